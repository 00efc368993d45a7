"""``crpv-watch tags``: editors' corrections and re-tagging the store without recrawling."""

from __future__ import annotations

import click

from .context import Context, _load_sources_or_fail, fail, pass_ctx

EXAMPLES_PER_THEME = 3


@click.group()
def tags():
    """Corriger les thèmes et le type d'un document ; ré-étiqueter la base après un changement du thésaurus."""


@tags.command("set")
@click.argument("doc_id")
@click.option("--add", "add", multiple=True, metavar="THEME", help="Thème à ajouter (répétable).")
@click.option("--remove", "remove", multiple=True, metavar="THEME", help="Thème à retirer (répétable).")
@click.option("--type", "doctype", metavar="TYPE", help="Type de document à fixer.")
@click.option("--by", "user_email", envvar="CRPV_WATCH_EDITOR", default="",
              help="Qui fait la correction (e-mail ; par défaut $CRPV_WATCH_EDITOR ou l'utilisateur du système).")
@pass_ctx
def tags_set(ctx: Context, doc_id: str, add, remove, doctype, user_email: str):
    """Corriger l'étiquetage de DOC_ID : la correction survit aux collectes, aux recalculs et aux reconstructions de l'index."""
    import getpass

    from ..tagging.overrides import OverrideError, set_tags

    if not user_email:
        try:
            user_email = f"cli:{getpass.getuser()}"
        except Exception:  # no login name in some containers
            user_email = "cli"
    try:
        with ctx.services.db.session() as session:
            result = set_tags(session, doc_id, ctx.services.vocabulary, add=add, remove=remove, doctype=doctype,
                              user_email=user_email)
    except OverrideError as exc:
        fail(str(exc), code=1)
    b, a = result.before, result.after
    click.echo(f"{doc_id} : thèmes {', '.join(a['themes']) or '—'} ; type {a['doctype']}")
    if not result.changed:
        click.echo("(déjà ainsi : la correction est enregistrée pour les prochains passages du tagger)")
    elif b != a:
        click.echo(f"avant : thèmes {', '.join(b['themes']) or '—'} ; type {b['doctype']}")
    _drain(ctx)


@tags.command("recompute")
@click.option("--dry-run", is_flag=True, help="Montrer ce qui changerait ; ne rien changer.")
@pass_ctx
def tags_recompute(ctx: Context, dry_run: bool):
    """Ré-étiqueter chaque document de la base avec le thésaurus actuel (les corrections des éditeurs l'emportent)."""
    from ..tagging.overrides import recompute
    from ..tagging.tagger import Tagger

    sources = _load_sources_or_fail(ctx)
    defaults = {s.id: tuple(s.themes) for s in sources}
    tagger = Tagger(ctx.services.vocabulary)
    with ctx.services.db.session() as session:
        report = recompute(session, lambda doc, themes: tagger.tag(doc, default_themes=themes),
                           lambda source_id: defaults.get(source_id, ()), dry_run=dry_run)
    label = ctx.services.vocabulary.theme_label
    verb = "changeraient" if dry_run else "ont changé"
    click.echo(f"{report.examined} documents examinés ; {len(report.changes)} {verb} de thèmes, type ou territoire"
               f" ; {report.explanations_only} d'explications seulement.")
    for theme in sorted(set(report.theme_added) | set(report.theme_removed)):
        click.echo(f"  {theme} ({label(theme)}) : +{report.theme_added[theme]} −{report.theme_removed[theme]}")
        shown = [c for c in report.changes if theme in c.added or theme in c.removed][:EXAMPLES_PER_THEME]
        for c in shown:
            sign = "+" if theme in c.added else "−"
            click.echo(f"      {sign} {c.document_id}  {c.title[:90]}")
    for (old, new), n in sorted(report.type_changes.items()):
        click.echo(f"  type {old} → {new} : {n}")
    if report.territory_changed:
        click.echo(f"  territoires (départements, QPV) changés : {report.territory_changed}")
    if dry_run:
        click.echo("Essai à blanc : rien n'a été modifié.")
        return
    _drain(ctx)


def _drain(ctx: Context) -> None:
    """Carry the queued changes into the index now (the CLI is the index writer for its own changes)."""
    from ..indexing.writer import Indexer

    _load_sources_or_fail(ctx)
    done = Indexer(ctx.services).drain()
    click.echo(f"Index mis à jour ({done} document(s)).")


def register(main: click.Group) -> None:
    main.add_command(tags)
