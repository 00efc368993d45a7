"""``crpv-watch search``: the search of the site from the shell, with every facet of the API."""

from __future__ import annotations

import json

import click

from ..search.types import SORTS as SORT_CHOICES
from .context import Context, _load_sources_or_fail, pass_ctx


@click.command()
@click.argument("query", default="")
@click.option("--theme", multiple=True,
              help="Identifiant de thème (répétable ; les valeurs d'une même facette se combinent en OU).")
@click.option("--pillar", multiple=True, help="Identifiant de pilier (avec ses thèmes, une seule case en OU).")
@click.option("--centre", multiple=True, help="Identifiant de source.")
@click.option("--region", multiple=True, help="Code INSEE de région.")
@click.option("--department", multiple=True, help="Code de département.")
@click.option("--qpv", multiple=True, help="Code de quartier prioritaire.")
@click.option("--type", "type_", multiple=True, help="Identifiant de type de document.")
@click.option("--year", multiple=True, help="Année de publication.")
@click.option("--language", multiple=True, help="Code de langue (fr, en…).")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="Publié à partir du (AAAA-MM-JJ).")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Publié jusqu'au (AAAA-MM-JJ).")
@click.option("--sort", type=click.Choice(SORT_CHOICES), default="relevance", help="Ordre des résultats.")
@click.option("--limit", type=click.IntRange(1, 100), default=10, help="Résultats par page.")
@click.option("--page", type=click.IntRange(1, 10_000), default=1, help="Numéro de page.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON lisible par un programme.")
@pass_ctx
def search(ctx: Context, query, date_from, date_to, sort, limit, page, as_json, type_, **facets):
    """Chercher dans l'index (une requête QUERY vide parcourt tout)."""
    from ..search.known_values import unknown_values
    from ..search.types import SearchRequest

    _load_sources_or_fail(ctx)
    req = SearchRequest(q=query, type=list(type_), **{k: list(v) for k, v in facets.items()},
                        date_from=date_from.date() if date_from else None,
                        date_to=date_to.date() if date_to else None, sort=sort, page=page, per_page=limit)
    unknown = unknown_values(req, ctx.services.valid_facet_values)
    if unknown:  # a silent « 0 document » would read as « nothing on this subject »
        for u in unknown:
            click.echo("Erreur : " + u.message(ctx.services.label), err=True)
        raise SystemExit(2)
    res = ctx.services.engine.search(req)
    if as_json:
        click.echo(json.dumps(res.to_json(), ensure_ascii=False, indent=2))
        return
    if res.notice:
        click.echo(res.notice)
    click.echo(f"{res.total} document(s)")
    for hit in res.results:
        date = hit.published.isoformat() if hit.published else "----------"
        click.echo(f"{date}  {hit.title}  [{hit.centre}; {hit.type}; {', '.join(hit.themes)}]\n            {hit.url}")


def register(main: click.Group) -> None:
    main.add_command(search)
