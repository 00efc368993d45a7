"""``crpv-watch tags``: editors' corrections and re-tagging the store without recrawling."""

from __future__ import annotations

import click

from .context import Context, _load_sources_or_fail, fail, pass_ctx

EXAMPLES_PER_THEME = 3


@click.group()
def tags():
    """Correct a document's themes and type; re-tag the store after a thesaurus change."""


@tags.command("set")
@click.argument("doc_id")
@click.option("--add", "add", multiple=True, metavar="THEME", help="Theme to add (repeatable).")
@click.option("--remove", "remove", multiple=True, metavar="THEME", help="Theme to remove (repeatable).")
@click.option("--type", "doctype", metavar="TYPE", help="Document type to set.")
@click.option("--by", "user_email", envvar="CRPV_WATCH_EDITOR", default="",
              help="Who makes the correction (e-mail; default $CRPV_WATCH_EDITOR or the system user).")
@pass_ctx
def tags_set(ctx: Context, doc_id: str, add, remove, doctype, user_email: str):
    """Override the tagger on DOC_ID: the correction survives recrawls, recomputes and index rebuilds."""
    from ..tagging.overrides import OverrideError, set_tags

    if not user_email:
        from ..store.audit import cli_user

        user_email = cli_user()
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
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@pass_ctx
def tags_recompute(ctx: Context, dry_run: bool):
    """Re-tag every stored document with the current thesaurus (editors' overrides still win)."""
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
