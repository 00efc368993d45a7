"""``crpv-watch db …`` and ``crpv-watch users …``: the database and the editors' accounts."""

from __future__ import annotations

from pathlib import Path

import click

from .context import Context, fail, pass_ctx


@click.group()
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
    from ..store.db import StoreError

    try:
        ctx.services.db.backup(file)
    except StoreError as exc:
        fail(str(exc))
    click.echo(f"Sauvegarde écrite : {file}")


@db.command("copy")
@click.argument("from_url")
@click.argument("to_url")
def db_copy(from_url: str, to_url: str):
    """Copy every row from the database FROM_URL into the empty database TO_URL (e.g. SQLite to PostgreSQL).

    The search index is not copied: rebuild it against the new database (`crpv-watch index rebuild`).
    """
    from ..store.copy import copy_database
    from ..store.db import StoreError

    try:
        report = copy_database(from_url, to_url)
    except StoreError as exc:
        fail(str(exc))
    for table, rows in report.tables.items():
        if rows:
            click.echo(f"{table:<20} {rows:>9} lignes")
    click.echo(f"Copie terminée : {report.rows} lignes. Pointez database_url vers la nouvelle base, puis lancez "
               "`crpv-watch index rebuild`.")


@click.group()
def users():
    """Editor and admin accounts."""


@users.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["editor", "admin"]), default="editor")
@click.option("--password", envvar="CRPV_WATCH_NEW_PASSWORD", help="Asked for when omitted.")
@pass_ctx
def users_add(ctx: Context, email: str, role: str, password: str | None):
    """Create an account (or reset its password and role)."""
    from ..store.users import create_user

    if not password:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        fail("le mot de passe doit faire au moins 10 caractères")
    with ctx.services.db.session() as session:
        create_user(session, email, password, role)
    click.echo(f"Compte {email} ({role}) enregistré.")


def register(main: click.Group) -> None:
    main.add_command(db)
    main.add_command(users)
