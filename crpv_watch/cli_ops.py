"""Operations commands: ``crpv-watch worker`` (the crawling process of a production install)."""

from __future__ import annotations

import click

from .cli import Context, _load_sources_or_fail, main, pass_ctx


@main.command()
@click.option("--crawl-now", is_flag=True, help="Collecter aussi tout de suite chaque source activée.")
@pass_ctx
def worker(ctx: Context, crawl_now: bool):
    """Planificateur, collectes, lettres et seul écrivain de l'index, sans site (servez le site avec gunicorn)."""
    from .runtime import run_worker

    _load_sources_or_fail(ctx)
    ctx.services.db  # noqa: B018 - migrate the database before anything else starts
    run_worker(ctx.services, crawl_now=crawl_now)
