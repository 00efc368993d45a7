"""Operations commands: ``crpv-watch worker`` (the crawling process of a production install)."""

from __future__ import annotations

import click

from .context import Context, _load_sources_or_fail, pass_ctx


@click.command()
@click.option("--crawl-now", is_flag=True, help="Also crawl every enabled source right away.")
@pass_ctx
def worker(ctx: Context, crawl_now: bool):
    """Scheduler, crawls, digests and the only index writer, without web (serve the web with gunicorn)."""
    from ..worker.runtime import run_worker

    _load_sources_or_fail(ctx)
    ctx.services.db  # noqa: B018 - migrate the database before anything else starts
    run_worker(ctx.services, crawl_now=crawl_now)


def register(main: click.Group) -> None:
    main.add_command(worker)
