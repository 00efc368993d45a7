"""``crpv-watch subscribers …`` and ``crpv-watch digest …``: subscriptions and alert digests from the shell."""

from __future__ import annotations

import json

import click

from ..store import audit
from .context import Context, fail

# pass_obj, not the type-checked pass_ctx: under `python -m crpv_watch.cli` the context object is an instance of
# `__main__.Context`, a different class from `crpv_watch.cli.Context`.
pass_ctx = click.pass_obj


@click.group()
def subscribers():
    """Digest subscribers and their alerts."""


@subscribers.command("add")
@click.argument("email")
@click.option("--theme", "themes", multiple=True, help="Theme id (repeatable).")
@click.option("--centre", "centres", multiple=True, help="Centre (source id), repeatable.")
@click.option("--region", "regions", multiple=True, help="Region INSEE code, repeatable.")
@click.option("--type", "types", multiple=True, help="Document type id, repeatable.")
@click.option("--query", "query", default="", help="Keywords, as in the search box.")
@click.option("--frequency", type=click.Choice(["weekly", "daily"]), default="weekly", show_default=True)
@click.option("--confirmed", is_flag=True, help="Consent already obtained: no confirmation mail.")
@pass_ctx
def subscribers_add(ctx: Context, email, themes, centres, regions, types, query, frequency, confirmed):
    """Add an alert for EMAIL; a confirmation mail is sent unless --confirmed."""
    from ..digest import subscriptions as subs
    from ..digest.confirmation import send_confirmation
    from ..digest.send import DeliveryError
    from ..search.types import SearchRequest

    try:
        address = subs.normalize_email(email)
    except subs.InvalidEmail as exc:
        fail(str(exc))
    vocab = ctx.services.vocabulary
    unknown = [t for t in themes if t not in vocab.themes]
    if unknown:
        fail(f"thème(s) inconnu(s) : {', '.join(unknown)}")
    req = SearchRequest(q=query.strip(), theme=list(themes), centre=list(centres), region=list(regions),
                        type=list(types))
    with ctx.services.db.session() as session:
        sub, alert = subs.subscribe(session, address, subs.alert_params(req), frequency=frequency, source="cli",
                                    confirmed=confirmed)
        status = sub.status
        audit.record(session, audit.cli_user(), "subscriber.alert_add", address, None,
                     {"alert": alert.id, "params": alert.params, "confirmed": confirmed})
    if confirmed:
        click.echo(f"Alerte n° {alert.id} enregistrée pour {address} ({status}).")
        return
    try:
        send_confirmation(ctx.services, sub, alert)
    except DeliveryError as exc:
        fail(f"alerte enregistrée, mais le mail de confirmation n'a pas pu partir : {exc}", code=1)
    click.echo(f"Alerte n° {alert.id} enregistrée pour {address} : mail de confirmation envoyé.")


@subscribers.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def subscribers_list(ctx: Context, as_json: bool):
    """Every subscriber with status, frequency and alerts."""
    from ..digest import subscriptions as subs

    with ctx.services.db.session() as session:
        people = subs.list_all(session)
        rows = [{"email": s.email, "status": s.status, "frequency": s.frequency,
                 "confirmed_at": s.confirmed_at.isoformat() if s.confirmed_at else None,
                 "bounces": s.bounce_count,
                 "alerts": [{"id": a.id, "active": a.active, "params": a.params} for a in s.alerts]} for s in people]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("Aucun abonné.")
    for row in rows:
        alerts = "; ".join(subs.describe(a["params"], ctx.services.label) + ("" if a["active"] else " (à confirmer)")
                           for a in row["alerts"])
        click.echo(f"{row['email']:<40} {row['status']:<13} {row['frequency']:<7} {alerts}")


@subscribers.command("delete")
@click.argument("email")
@pass_ctx
def subscribers_delete(ctx: Context, email: str):
    """Erase EMAIL, its alerts and its digest log (GDPR)."""
    from ..digest import subscriptions as subs

    with ctx.services.db.session() as session:
        sub = subs.by_email(session, email.strip().lower())
        if sub is None:
            fail(f"{email} : abonné inconnu", code=1)
        subs.delete_subscriber(session, sub)
        audit.record(session, audit.cli_user(), "subscriber.delete", sub.email)
    click.echo(f"{email} : données supprimées.")


@click.group()
def digest():
    """Build and send the alert digests."""


@digest.command("preview")
@click.argument("email")
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the text one.")
@pass_ctx
def digest_preview(ctx: Context, email: str, as_html: bool):
    """Print the digest EMAIL would receive now (nothing is sent or recorded)."""
    from ..digest.sender import DigestSender

    result = DigestSender(ctx.services).preview(email.strip().lower())
    with ctx.services.db.session() as session:
        audit.record(session, audit.cli_user(), "subscriber.preview", email.strip().lower(), None,
                     {"found": result is not None, "part": "html" if as_html else "text"})
    if result is None:
        fail(f"{email} : abonné inconnu", code=1)
    _content, subject, text, html = result
    click.echo(html if as_html else f"Objet : {subject}\n\n{text}")


@digest.command("send")
@click.option("--dry-run", is_flag=True, help="Build the digests and list them; send and record nothing.")
@click.option("--now", "force", is_flag=True, help="Send this period's digests now, without waiting for the "
                                                    "scheduled time.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def digest_send(ctx: Context, dry_run: bool, force: bool, as_json: bool):
    """Send the digests that are due (each subscriber receives one per period, at most)."""
    from ..digest.sender import DigestSender

    try:
        report = DigestSender(ctx.services).run(force=force, dry_run=dry_run)
    except ValueError as exc:
        fail(str(exc))
    if dry_run:
        for email, count, subject in report.previews:
            click.echo(f"{email:<40} {count:>4}  {subject}")
        click.echo(f"{len(report.previews)} lettre(s) construite(s), aucune envoyée (--dry-run).")
        return
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        click.echo(f"Envoyées : {report.sent} (+ {report.resent} reprises) ; vides : {report.empty} ; "
                   f"en échec temporaire : {report.failed} ; refusées : {report.bounced}")
    if report.stopped:
        click.echo(f"Envoi interrompu (serveur de messagerie) : {report.stopped}", err=True)
        raise SystemExit(1)


def register(main: click.Group) -> None:
    main.add_command(subscribers)
    main.add_command(digest)
