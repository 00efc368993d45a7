"""The ``crpv-watch`` command: one sub-command per verb."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from ..settings import PROJECT_ROOT, Settings, SettingsError
from . import french
from .context import Context, fail


class _WriteFailuresReported(click.Group):
    """Every command: a write failure (full disk, read-only database, busy index) is one French line on stderr and
    exit status 4, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from ..store.failures import describe

            message = describe(exc)
            if message is None:
                raise
            logging.getLogger("crpv_watch").debug("write failure", exc_info=True)
            fail(message, code=4)


@click.group(cls=_WriteFailuresReported, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Aide d'une commande : crpv-watch COMMANDE --help.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="CRPV_WATCH_DATA_DIR",
              help="Tout l'état : base, boîte aux lettres (par défaut ./var ; l'index va dans ./index).")
@click.option("--sources", "sources_path", type=click.Path(dir_okay=False, path_type=Path),
              envvar="CRPV_WATCH_SOURCES_PATH",
              help="Le fichier des sources (par défaut ./sources.yaml, ou celui de la démonstration après make run).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Un fichier de réglages TOML (aussi CRPV_WATCH_CONFIG).")
@click.option("-v", "--verbose", count=True, help="Plus de journal (-vv pour le détail).")
@click.pass_context
def main(ctx: click.Context, data_dir, sources_path, config_file, verbose):
    """crpv-watch: la veille des centres de ressources politique de la ville."""
    logging.basicConfig(level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        settings = Settings.load(config_file, data_dir=data_dir, sources_path=sources_path)
    except SettingsError as exc:
        fail(str(exc))
    settings = _demo_sources_unless_told(settings, sources_path)
    ctx.obj = Context(settings)
    ctx.call_on_close(ctx.obj.close)


def _demo_sources_unless_told(settings: Settings, given: Path | None) -> Settings:
    """After `make run`, the data directory holds the demo's sources: use them unless a sources file was named
    (option, environment or settings file), so that nothing of the demo reaches the internet; say so on stderr."""
    demo = settings.data_dir / "sources.demo.yaml"
    default = (PROJECT_ROOT / "sources.yaml").resolve()
    if given is None and Path(settings.sources_path).resolve() == default and demo.is_file():
        click.echo(f"(sources du réseau de démonstration : {demo} ; --sources pour un autre fichier)", err=True)
        return settings.replace(sources_path=demo)
    return settings


french.install()  # Click's own words (« Usage: », « Show this message and exit. ») in French

from . import admin, crawl, digest, search, serving, sources, tags  # noqa: E402  (they import nothing from here)

for _module in (sources, crawl, search, admin, serving, digest, tags):
    _module.register(main)  # each verb group registers its commands on the group it is given
