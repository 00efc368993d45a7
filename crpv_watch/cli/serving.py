"""The process commands: ``serve`` (web alone), ``run`` (web + scheduler + index writer), ``worker``
(no web, beside gunicorn) and ``demo``."""

from __future__ import annotations

import click

from .context import Context, _load_sources_or_fail, pass_ctx, web_address


def _web_command(name: str, background: bool, help_text: str) -> click.Command:
    """``serve`` and ``run``: the same web, with or without the scheduler and the index writer beside it."""

    @web_address
    @pass_ctx
    def command(ctx: Context, host: str, port: int):
        from ..worker.runtime import serve_web

        _load_sources_or_fail(ctx)
        serve_web(ctx.services, host, port, background=background)

    return click.command(name, help=help_text)(command)


serve = _web_command("serve", False, "Serve the web site alone (no scheduler, no index writer).")
run = _web_command("run", True, "Web + scheduler + the index writer in one process (small installs).")


@click.command()
@web_address
@click.option("--demo-port", default=8800, show_default=True, type=int, help="Port of the demo sites.")
@click.option("--no-serve", is_flag=True, help="Crawl the demo network and stop (no web).")
@pass_ctx
def demo(ctx: Context, host: str, port: int, demo_port: int, no_serve: bool):
    """Serve the bundled demo network on loopback, crawl it, then `run`."""
    from ..worker.runtime import run_demo

    run_demo(ctx, host, port, demo_port, serve=not no_serve)




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
    for command in (serve, run, worker, demo):
        main.add_command(command)
