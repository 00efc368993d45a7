"""The ``crpv-watch`` command: one sub-command per verb."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from ..settings import Settings, SettingsError
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


@click.group(cls=_WriteFailuresReported, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="CRPV_WATCH_DATA_DIR",
              help="All state: database, mail spool (default: ./var; the index goes to ./index).")
@click.option("--sources", "sources_path", type=click.Path(dir_okay=False, path_type=Path),
              envvar="CRPV_WATCH_SOURCES_PATH", help="The sources file (default: ./sources.yaml).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A TOML settings file (also CRPV_WATCH_CONFIG).")
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.pass_context
def main(ctx: click.Context, data_dir, sources_path, config_file, verbose):
    """crpv-watch: la veille des centres de ressources politique de la ville."""
    logging.basicConfig(level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        settings = Settings.load(config_file, data_dir=data_dir, sources_path=sources_path)
    except SettingsError as exc:
        fail(str(exc))
    ctx.obj = Context(settings)
    ctx.call_on_close(ctx.obj.close)


from . import admin, crawl, digest, search, serving, sources, tags  # noqa: E402  (they import nothing from here)

for _module in (sources, crawl, search, admin, serving, digest, tags):
    _module.register(main)  # each verb group registers its commands on the group it is given
