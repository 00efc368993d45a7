"""What every ``crpv-watch`` command shares: the context object (settings, lazily built services) and the
helpers to fail with a French message, load the sources, and take the --host/--port pair."""

from __future__ import annotations

import sys

import click

from ..settings import Settings


class Context:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._services = None

    @property
    def services(self):
        if self._services is None:
            from ..services import Services

            self._services = Services(self.settings)
        return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.close()


pass_ctx = click.make_pass_decorator(Context)


def fail(message: str, code: int = 2) -> None:
    click.echo(f"Erreur : {message}", err=True)
    sys.exit(code)


def _load_sources_or_fail(ctx: Context):
    from ..sources.load import SourcesError

    try:
        return ctx.services.sources
    except SourcesError as exc:
        fail(str(exc))
    except FileNotFoundError as exc:
        fail(f"{exc.filename}: fichier introuvable")


def web_address(command):
    """The --host/--port pair of the commands that serve the site."""
    command = click.option("--port", default=5000, show_default=True, type=int)(command)
    return click.option("--host", default="127.0.0.1", show_default=True)(command)
