"""Crawl-side commands added to the ``sources`` group: ``crpv-watch sources purge ID [--delete]`` (opt-out)."""

from __future__ import annotations

import getpass
import json

import click

from .cli import Context, fail, pass_ctx, sources


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
    from . import audit
    from .indexer import Indexer, WriterBusy, writer_lock
    from .store.purge import purge_source, source_known

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
                audit.record(session, f"cli:{getpass.getuser()}", "source.purge", source_id,
                             before=None, after={"delete": delete, **result.to_json()})
            Indexer(services).drain()
    except WriterBusy as exc:
        fail(str(exc), code=3)
    if as_json:
        click.echo(json.dumps({"source": source_id, **result.to_json()}, ensure_ascii=False))
        return
    click.echo(f"Source {source_id} purgée : {result.purged} document(s) retiré(s) de la recherche, "
               f"{result.deleted} supprimé(s), {result.moved} conservé(s) sous une autre source.")
