"""``crpv-watch db …`` and ``crpv-watch users …``: the database and the editors' accounts."""

from __future__ import annotations

from pathlib import Path

import click

from .context import Context, fail, pass_ctx


@click.group()
def db():
    """Entretien de la base de données."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context):
    """Appliquer les migrations de la base (sans effet si elle est à jour)."""
    ctx.services.db.upgrade()
    click.echo("Base de données à jour.")


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def db_backup(ctx: Context, file: Path):
    """Écrire dans FILE une copie cohérente de la base SQLite."""
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
    """Copier toutes les lignes de la base FROM_URL dans la base vide TO_URL (par exemple de SQLite vers PostgreSQL).

    L'index de recherche n'est pas copié : reconstruisez-le sur la nouvelle base (`crpv-watch index rebuild`).
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
    """Les comptes des éditeurs et des administrateurs."""


@users.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["editor", "admin"]), default="editor")
@click.option("--password", envvar="CRPV_WATCH_NEW_PASSWORD", help="Demandé s'il n'est pas donné.")
@pass_ctx
def users_add(ctx: Context, email: str, role: str, password: str | None):
    """Créer un compte (ou redéfinir son mot de passe et son rôle)."""
    from ..store.users import create_user

    if not password:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        fail("le mot de passe doit faire au moins 10 caractères")
    with ctx.services.db.session() as session:
        create_user(session, email, password, role)
    click.echo(f"Compte {email} ({role}) enregistré.")


@users.command("reset-link")
@click.argument("email")
@click.option("--send", is_flag=True, help="L'envoyer aussi par e-mail (SMTP ou la boîte Maildir, selon mail_url).")
@pass_ctx
def users_reset_link(ctx: Context, email: str, send: bool):
    """Créer un lien à usage unique (24 heures) pour que EMAIL choisisse un nouveau mot de passe."""
    import getpass

    from ..store import audit
    from ..store import users as accounts
    from ..web.editors import reset_tokens

    settings = ctx.settings
    with ctx.services.db.session() as session:
        user = accounts.get_user_by_email(session, email)
        if user is None:
            fail(f"aucun compte pour {email}")
        url = reset_tokens.reset_url(settings, reset_tokens.make_token(settings.secret, user))
        audit.record(session, f"cli:{getpass.getuser()}", "user.reset_link", user.email)
    click.echo(url)
    if send:
        reset_tokens.send_link(settings, email, url)
        click.echo(f"Lien envoyé à {email}.", err=True)


def register(main: click.Group) -> None:
    main.add_command(db)
    main.add_command(users)
