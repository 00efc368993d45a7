"""The ``crpv-watch`` command: one sub-command per verb."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from .search.types import SORTS as SORT_CHOICES
from .settings import Settings, SettingsError


class Context:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._services = None

    @property
    def services(self):
        if self._services is None:
            from .services import Services

            self._services = Services(self.settings)
        return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.close()


pass_ctx = click.make_pass_decorator(Context)


def fail(message: str, code: int = 2) -> None:
    click.echo(f"Erreur : {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


def _load_sources_or_fail(ctx: Context):
    from .sources import SourcesError

    try:
        return ctx.services.sources
    except SourcesError as exc:
        fail(str(exc))
    except FileNotFoundError as exc:
        fail(f"{exc.filename}: fichier introuvable")


# -- sources ------------------------------------------------------------------------------------------------
@main.group()
def sources():
    """Validate and list the watched sources."""


@sources.command("validate")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def sources_validate(ctx: Context, file: Path | None):
    """Check a sources file; every problem is reported with file:line and field."""
    from .sources import SourcesError, load_sources

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
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def sources_list(ctx: Context, as_json: bool):
    """List the sources of the sources file."""
    loaded = _load_sources_or_fail(ctx)
    if as_json:
        click.echo(json.dumps([{"id": s.id, "name": s.name, "region": s.region, "homepage": s.homepage,
                                "enabled": s.enabled, "schedule": s.schedule} for s in loaded],
                              ensure_ascii=False, indent=2))
        return
    for s in loaded:
        flag = "✓" if s.enabled else "·"
        click.echo(f"{flag} {s.id:<32} {','.join(s.region):<8} {s.schedule:<10} {s.homepage}")


# -- crawl --------------------------------------------------------------------------------------------------
@main.command()
@click.option("--source", "source_ids", multiple=True, help="Only this source (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report on stdout (progress on stderr).")
@pass_ctx
def crawl(ctx: Context, source_ids, as_json: bool):
    """Crawl the enabled sources (or the given ones) and update the index."""
    from .indexer import WriterBusy
    from .progress import crawl_with_progress

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
             f"de données ({report.first_store_error()})", code=1)


# -- search -------------------------------------------------------------------------------------------------
@main.command()
@click.argument("query", default="")
@click.option("--theme", multiple=True, help="Theme id (repeatable; values of one facet are OR-ed).")
@click.option("--pillar", multiple=True)
@click.option("--centre", multiple=True, help="Source id.")
@click.option("--region", multiple=True, help="INSEE region code.")
@click.option("--department", multiple=True, help="Department code.")
@click.option("--qpv", multiple=True, help="QPV code.")
@click.option("--type", "type_", multiple=True, help="Document type id.")
@click.option("--year", multiple=True)
@click.option("--language", multiple=True)
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="Published on or after (YYYY-MM-DD).")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Published on or before (YYYY-MM-DD).")
@click.option("--sort", type=click.Choice(SORT_CHOICES), default="relevance")
@click.option("--limit", type=click.IntRange(1, 100), default=10)
@click.option("--page", type=click.IntRange(1, 10_000), default=1)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def search(ctx: Context, query, date_from, date_to, sort, limit, page, as_json, type_, **facets):
    """Search the index (an empty QUERY browses everything)."""
    from .search.types import SearchRequest

    _load_sources_or_fail(ctx)
    req = SearchRequest(q=query, type=list(type_), **{k: list(v) for k, v in facets.items()},
                        date_from=date_from.date() if date_from else None,
                        date_to=date_to.date() if date_to else None, sort=sort, page=page, per_page=limit)
    res = ctx.services.engine.search(req)
    if as_json:
        click.echo(json.dumps(res.to_json(), ensure_ascii=False, indent=2))
        return
    if res.notice:
        click.echo(res.notice)
    click.echo(f"{res.total} document(s)")
    for hit in res.results:
        date = hit.published.isoformat() if hit.published else "----------"
        click.echo(f"{date}  {hit.title}  [{hit.centre}; {hit.type}; {', '.join(hit.themes)}]\n            {hit.url}")


# -- index and database -------------------------------------------------------------------------------------
@main.group()
def index():
    """Maintain the search index."""


@index.command("rebuild")
@pass_ctx
def index_rebuild(ctx: Context):
    """Rebuild the index from the database, aside, then swap it in."""
    from .indexer import WriterBusy, writer_lock
    from .progress import rebuild_with_bar

    _load_sources_or_fail(ctx)
    try:
        with writer_lock(ctx.settings, "index rebuild"):
            count = rebuild_with_bar(ctx.services)  # also records its progress for the web page
    except WriterBusy as exc:
        fail(str(exc), code=3)
    click.echo(f"Index reconstruit : {count} documents")


@main.group()
def db():
    """Database maintenance."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context):
    """Apply the database migrations (idempotent)."""
    ctx.services.db.upgrade()
    click.echo("Base de données à jour.")


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def db_backup(ctx: Context, file: Path):
    """Write a consistent copy of the SQLite database to FILE."""
    from .store.db import StoreError

    try:
        ctx.services.db.backup(file)
    except StoreError as exc:
        fail(str(exc))
    click.echo(f"Sauvegarde écrite : {file}")


@db.command("copy")
@click.argument("from_url")
@click.argument("to_url")
@pass_ctx
def db_copy(ctx: Context, from_url: str, to_url: str):
    """Copy every row from the database FROM_URL into the empty database TO_URL (e.g. SQLite to PostgreSQL).

    The search index is not copied: rebuild it against the new database (`crpv-watch index rebuild`).
    """
    from .store.copy import copy_database
    from .store.db import StoreError

    try:
        report = copy_database(from_url, to_url)
    except StoreError as exc:
        fail(str(exc))
    for table, rows in report.tables.items():
        if rows:
            click.echo(f"{table:<20} {rows:>9} lignes")
    click.echo(f"Copie terminée : {report.rows} lignes. Pointez database_url vers la nouvelle base, puis lancez "
               "`crpv-watch index rebuild`.")


# -- users --------------------------------------------------------------------------------------------------
@main.group()
def users():
    """Editor and admin accounts."""


@users.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["editor", "admin"]), default="editor")
@click.option("--password", envvar="CRPV_WATCH_NEW_PASSWORD", help="Asked for when omitted.")
@pass_ctx
def users_add(ctx: Context, email: str, role: str, password: str | None):
    """Create an account (or reset its password and role)."""
    from .store.users import create_user

    if not password:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        fail("le mot de passe doit faire au moins 10 caractères")
    with ctx.services.db.session() as session:
        create_user(session, email, password, role)
    click.echo(f"Compte {email} ({role}) enregistré.")


def web_address(command):
    """The --host/--port pair of the commands that serve the site."""
    command = click.option("--port", default=5000, show_default=True, type=int)(command)
    return click.option("--host", default="127.0.0.1", show_default=True)(command)


# -- serving ------------------------------------------------------------------------------------------------
@main.command()
@web_address
@pass_ctx
def serve(ctx: Context, host: str, port: int):
    """Serve the web site alone (no scheduler, no index writer)."""
    from .runtime import serve_web

    _load_sources_or_fail(ctx)
    serve_web(ctx.services, host, port)


@main.command()
@web_address
@pass_ctx
def run(ctx: Context, host: str, port: int):
    """Web + scheduler + the index writer in one process (small installs)."""
    from .runtime import run_all

    _load_sources_or_fail(ctx)
    run_all(ctx.services, host, port)


@main.command()
@web_address
@click.option("--demo-port", default=8800, show_default=True, type=int, help="Port of the demo sites.")
@click.option("--no-serve", is_flag=True, help="Crawl the demo network and stop (no web).")
@pass_ctx
def demo(ctx: Context, host: str, port: int, demo_port: int, no_serve: bool):
    """Serve the bundled demo network on loopback, crawl it, then `run`."""
    from .runtime import run_demo

    run_demo(ctx, host, port, demo_port, serve=not no_serve)


from . import cli_ops  # noqa: E402,F401  (registers `worker`)
from .cli_digest import digest, subscribers  # noqa: E402  (the commands import this module's helpers)

main.add_command(subscribers)
main.add_command(digest)

from .cli_tags import tags  # noqa: E402  (at the bottom: cli_tags imports this module's helpers)

main.add_command(tags)

from . import cli_crawl  # noqa: E402,F401  (registers `sources purge` in the `sources` group)
