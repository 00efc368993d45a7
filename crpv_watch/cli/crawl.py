"""``crpv-watch crawl`` and ``crpv-watch index rebuild``: the commands that write the index."""

from __future__ import annotations

import json

import click

from .context import Context, _load_sources_or_fail, fail, pass_ctx


@click.command()
@click.option("--source", "source_ids", multiple=True, help="Only this source (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report on stdout (progress on stderr).")
@pass_ctx
def crawl(ctx: Context, source_ids, as_json: bool):
    """Crawl the enabled sources (or the given ones) and update the index."""
    from ..indexing.writer import WriterBusy
    from ..worker.progress import crawl_with_progress

    _load_sources_or_fail(ctx)
    try:
        report = crawl_with_progress(ctx.services, list(source_ids) or None, quiet=as_json)
    except KeyError as exc:
        fail(str(exc.args[0]))
    except WriterBusy as exc:
        fail(str(exc), code=3)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    if report.store_failures:  # never a success that stored nothing
        fail(f"collecte n° {report.run_id} en échec : {report.store_failures} document(s) refusé(s) par la base "
             f"de données ({report.first_store_error()})", code=4)
    if report.write_failure:  # the report above says how far the crawl got
        fail(report.write_failure, code=4)




@click.group()
def index():
    """Maintain the search index."""


@index.command("rebuild")
@pass_ctx
def index_rebuild(ctx: Context):
    """Rebuild the index from the database, aside, then swap it in."""
    from ..indexing.writer import WriterBusy, writer_lock
    from ..worker.progress import rebuild_with_bar

    _load_sources_or_fail(ctx)
    try:
        with writer_lock(ctx.settings, "index rebuild"):
            count = rebuild_with_bar(ctx.services)  # also records its progress for the web page
    except WriterBusy as exc:
        fail(str(exc), code=3)
    click.echo(f"Index reconstruit : {count} documents")


def register(main: click.Group) -> None:
    main.add_command(crawl)
    main.add_command(index)
