"""``crpv-watch sources …``: validate and list the sources file; purge a source's documents (opt-out)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .context import Context, _load_sources_or_fail, fail, pass_ctx


@click.group()
def sources():
    """Valider et lister les sources suivies."""


@sources.command("validate")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def sources_validate(ctx: Context, file: Path | None):
    """Vérifier un fichier de sources ; chaque problème est signalé avec fichier, ligne et champ."""
    from ..sources.load import SourcesError, load_sources

    path = file or ctx.settings.sources_path
    try:
        loaded = load_sources(path)
    except SourcesError as exc:
        fail(str(exc), code=1)
    except FileNotFoundError:
        fail(f"{path}: fichier introuvable", code=1)
    enabled = sum(1 for s in loaded if s.enabled)
    click.echo(f"{path}: {len(loaded)} sources valides ({enabled} activées)")


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON lisible par un programme.")
@pass_ctx
def sources_list(ctx: Context, as_json: bool):
    """Lister les sources du fichier des sources."""
    loaded = _load_sources_or_fail(ctx)
    if as_json:
        click.echo(json.dumps([{"id": s.id, "name": s.name, "region": s.region, "homepage": s.homepage,
                                "enabled": s.enabled, "schedule": s.schedule} for s in loaded],
                              ensure_ascii=False, indent=2))
        return
    for s in loaded:
        flag = "✓" if s.enabled else "·"
        click.echo(f"{flag} {s.id:<32} {','.join(s.region):<8} {s.schedule:<10} {s.homepage}")


@sources.command("purge")
@click.argument("source_id")
@click.option("--delete", is_flag=True, help="Supprimer les documents de la base au lieu de les marquer purgés.")
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON lisible par un programme.")
@pass_ctx
def sources_purge(ctx: Context, source_id: str, delete: bool, yes: bool, as_json: bool):
    """Retirer les documents d'une source de la recherche et des lettres (elle demande à partir).

    Les documents trouvés aussi chez une autre source restent, sous cette source. Les collectes suivantes
    ignorent la source ; retirez-la aussi du fichier des sources.
    """
    from ..indexing.writer import Indexer, WriterBusy, writer_lock
    from ..store import audit
    from ..store.purge import purge_source, source_known

    services = ctx.services
    with services.db.session() as session:
        if not source_known(session, source_id):
            fail(f"source inconnue (aucun document ni état enregistré) : {source_id}")
    if not yes:
        what = "supprimer les documents" if delete else "retirer les documents de la recherche"
        click.confirm(f"{what} de la source {source_id} ?", abort=True, err=True)
    try:
        with writer_lock(services.settings, f"sources purge {source_id}"):
            with services.db.session() as session:
                result = purge_source(session, source_id, delete=delete)
                audit.record(session, audit.cli_user(), "source.purge", source_id,
                             before=None, after={"delete": delete, **result.to_json()})
            Indexer(services).drain()
    except WriterBusy as exc:
        fail(str(exc), code=3)
    if as_json:
        click.echo(json.dumps({"source": source_id, **result.to_json()}, ensure_ascii=False))
        return
    click.echo(f"Source {source_id} purgée : {result.purged} document(s) retiré(s) de la recherche, "
               f"{result.deleted} supprimé(s), {result.moved} conservé(s) sous une autre source.")


def register(main: click.Group) -> None:
    main.add_command(sources)
