"""``crpv-watch search``: the search of the site from the shell, with every facet of the API."""

from __future__ import annotations

import json

import click

from ..search.types import SORTS as SORT_CHOICES
from .context import Context, _load_sources_or_fail, pass_ctx


@click.command()
@click.argument("query", default="")
@click.option("--theme", multiple=True, help="Theme id (repeatable; values of one facet are OR-ed).")
@click.option("--pillar", multiple=True)
@click.option("--centre", multiple=True, help="Source id.")
@click.option("--region", multiple=True, help="INSEE region code.")
@click.option("--department", multiple=True, help="Department code.")
@click.option("--qpv", multiple=True, help="QPV code.")
@click.option("--type", "type_", multiple=True, help="Document type id.")
@click.option("--year", multiple=True)
@click.option("--language", multiple=True)
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="Published on or after (YYYY-MM-DD).")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Published on or before (YYYY-MM-DD).")
@click.option("--sort", type=click.Choice(SORT_CHOICES), default="relevance")
@click.option("--limit", type=click.IntRange(1, 100), default=10)
@click.option("--page", type=click.IntRange(1, 10_000), default=1)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def search(ctx: Context, query, date_from, date_to, sort, limit, page, as_json, type_, **facets):
    """Search the index (an empty QUERY browses everything)."""
    from ..search.types import SearchRequest

    _load_sources_or_fail(ctx)
    req = SearchRequest(q=query, type=list(type_), **{k: list(v) for k, v in facets.items()},
                        date_from=date_from.date() if date_from else None,
                        date_to=date_to.date() if date_to else None, sort=sort, page=page, per_page=limit)
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
