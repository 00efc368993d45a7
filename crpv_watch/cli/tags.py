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
@click.option("--dry-run", is_flag=True, help="Montrer ce qui changerait ; ne rien changer.")
@pass_ctx
def tags_recompute(ctx: Context, dry_run: bool):
    """Ré-étiqueter chaque document de la base avec le thésaurus actuel (les corrections des éditeurs l'emportent)."""
    from ..tagging.overrides import recompute
    from ..tagging.sections import section_hints

    sources = _load_sources_or_fail(ctx)
    by_id = {s.id: s for s in sources}
    tagger = ctx.services.tagger
    click.echo(f"Étiquetage : {tagger.describe()}.")

    def tag(doc, source_id):
        source = by_id.get(source_id)
        if source is None:
            return tagger.tag(doc)
        # Feed categories are not kept in the store: URL prefixes and breadcrumbs apply again, categories not.
        hints = section_hints(source.sections, doc.url, doc.meta.get("breadcrumb") or [])
        return tagger.tag(doc, default_themes=tuple(source.themes), sections=hints)

    with ctx.services.db.session() as session:
        report = recompute(session, tag, dry_run=dry_run)
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


FIGURE_KEYS = (("theme_micro_f1", "thèmes F1"), ("type_accuracy", "types justes"), ("type_unqualified", "à qualifier"))
SPLIT_LABELS = {"real-test": "textes réels, sites de test", "own-test": "jeu du projet, test",
                "real": "textes réels (dev)", "own": "jeu du projet (entraînement)", "real-dev": "textes réels (dev)",
                "own-train": "jeu du projet (entraînement)", "editors-editors": "exemples des éditeurs"}


def _figures(summary: dict | None) -> str:
    if not summary:
        return "—"
    return " ; ".join(f"{label} {summary[key]:.3f}" if isinstance(summary[key], float) else f"{label} {summary[key]}"
                      for key, label in FIGURE_KEYS)


@tags.command("train")
@click.option("--force", is_flag=True, help="Installer le nouveau modèle même s'il ne fait pas mieux que celui en service.")
@pass_ctx
def tags_train(ctx: Context, force: bool):
    """Entraîner la partie apprise sur les textes annotés et les corrections des éditeurs ; l'installer si elle fait mieux.

    Reproductible et hors ligne : les mêmes données donnent le même fichier (DATA_DIR/tagging-model.json).
    """
    from ..tagging.retrain import RetrainError, run_training

    try:
        import sklearn  # noqa: F401
    except ImportError:
        fail("scikit-learn manque : installez les dépendances du projet (pip install -e .).", code=1)
    click.echo(f"En service : {ctx.services.tagger.describe()}.")
    click.echo("Entraînement (validation croisée par site, quelques minutes)…")
    try:
        outcome = run_training(ctx.services, force=force, user="cli")
    except RetrainError as exc:
        fail(f"Entraînement impossible : {exc}.", code=1)
    report = outcome.report
    click.echo("Appris sur : " + ", ".join(f"{SPLIT_LABELS.get(k, k)} {n}" for k, n in sorted(report["trained_on"].items())))
    for corpus, figs in sorted(report["cross_validation"].items()):
        click.echo(f"Validation croisée, {SPLIT_LABELS.get(corpus, corpus)} : règles {_figures(figs['rules'])} | "
                   f"règles + modèle {_figures(figs['combined'])}")
    for split, figs in sorted(report["held_out"].items()):
        click.echo(f"{SPLIT_LABELS.get(split, split)} (réservés) :")
        click.echo(f"  avant (en service)  {_figures(figs['avant'])}")
        click.echo(f"  règles seules       {_figures(figs['règles'])}")
        click.echo(f"  après (nouveau)     {_figures(figs['après'])}")
    click.echo(f"Modèle {outcome.reason}.")


@tags.command("etat")
@pass_ctx
def tags_status(ctx: Context):
    """Dire si l'étiqueteur tourne avec les règles seules ou avec un modèle appris, et ce dont il a appris."""
    from ..store.examples import count_examples
    from ..tagging.retrain import last_report, model_info

    click.echo(f"Étiquetage : {ctx.services.tagger.describe()}.")
    info = model_info(ctx.services.settings)
    if info is None:
        click.echo("Aucun modèle appris : construisez-le avec « crpv-watch tags train ».")
    else:
        click.echo("Appris sur : " + ", ".join(f"{SPLIT_LABELS.get(k, k)} {n}"
                                               for k, n in sorted(info.get("trained_on", {}).items())))
    with ctx.services.db.session() as session:
        click.echo(f"Exemples des éditeurs (corrections et vérifications) : {count_examples(session)}.")
    report = last_report(ctx.services.settings)
    if report:
        click.echo(f"Dernier entraînement : {report.get('finished', '?')} — {report.get('reason', '')}.")


def _drain(ctx: Context) -> None:
    """Carry the queued changes into the index now (the CLI is the index writer for its own changes)."""
    from ..indexing.writer import Indexer

    _load_sources_or_fail(ctx)
    done = Indexer(ctx.services).drain()
    click.echo(f"Index mis à jour ({done} document(s)).")


def register(main: click.Group) -> None:
    main.add_command(tags)


# The English name of earlier versions, kept for scripts; hidden from the French help.
tags.add_command(click.Command("status", callback=tags_status.callback, params=tags_status.params,
                               help=tags_status.help, hidden=True))
