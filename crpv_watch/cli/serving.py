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


serve = _web_command("serve", False, "Servir le site seul (ni planificateur, ni écriture de l'index).")
run = _web_command("run", True, "Site + planificateur + écriture de l'index en un seul processus (petites "
                                "installations).")


@click.group(invoke_without_command=True)
@web_address
@click.option("--demo-port", default=8800, show_default=True, type=int, help="Port des sites de démonstration.")
@click.option("--no-serve", is_flag=True, help="Collecter le réseau de démonstration puis s'arrêter (sans site).")
@click.pass_context
def demo(click_ctx: click.Context, host: str, port: int, demo_port: int, no_serve: bool):
    """Servir le réseau de démonstration en local, le collecter, puis `run` (ce que fait `make run`)."""
    if click_ctx.invoked_subcommand is not None:
        return
    from ..worker.runtime import run_demo

    run_demo(click_ctx.obj, host, port, demo_port, serve=not no_serve)


@demo.command("publish")
@click.option("--count", default=4, show_default=True, type=click.IntRange(1, 50),
              help="Nombre de nouveaux documents.")
@pass_ctx
def demo_publish(ctx: Context, count: int):
    """Publier de nouveaux documents sur les sites de démonstration en marche (la collecte suivante les trouve)."""
    from ..demo.publications import publish

    titles = publish(ctx.settings.data_dir, count)
    click.echo(f"{len(titles)} nouveau(x) document(s) sur le site de démonstration « Passerelles » :")
    for title in titles:
        click.echo(f"  - {title}")
    click.echo("Ils paraissent dès la prochaine visite du site (le réseau lancé par `make run` ou `crpv-watch "
               "demo` les publie ; arrêté, il les publiera à son démarrage). Collectez-les avec `crpv-watch "
               "crawl`, ou attendez la collecte planifiée ; puis `crpv-watch digest send --now` pour la lettre.")




@click.command()
@click.option("--crawl-now", is_flag=True, help="Collecter aussi tout de suite chaque source activée.")
@pass_ctx
def worker(ctx: Context, crawl_now: bool):
    """Planificateur, collectes, lettres et seul écrivain de l'index, sans site (servez le site avec gunicorn)."""
    from ..worker.runtime import run_worker

    _load_sources_or_fail(ctx)
    ctx.services.db  # noqa: B018 - migrate the database before anything else starts
    run_worker(ctx.services, crawl_now=crawl_now)


def register(main: click.Group) -> None:
    for command in (serve, run, worker, demo):
        main.add_command(command)
