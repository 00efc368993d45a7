"""``crpv-watch subscribers …`` and ``crpv-watch digest …``: subscriptions and alert digests from the shell."""

from __future__ import annotations

import json

import click

from ..store import audit
from .context import Context, fail

# pass_obj, not the type-checked pass_ctx: under `python -m crpv_watch.cli` the context object is an instance of
# `__main__.Context`, a different class from `crpv_watch.cli.Context`.
pass_ctx = click.pass_obj


FREQUENCY_CODES = {"hebdomadaire": "weekly", "quotidienne": "daily"}  # the store keeps the codes


@click.group()
def subscribers():
    """Les abonnés aux lettres de veille et leurs alertes."""


@subscribers.command("add")
@click.argument("email")
@click.option("--theme", "themes", multiple=True, help="Identifiant de thème (répétable).")
@click.option("--centre", "centres", multiple=True, help="Centre (identifiant de source), répétable.")
@click.option("--region", "regions", multiple=True, help="Code INSEE de région, répétable.")
@click.option("--type", "types", multiple=True, help="Identifiant de type de document, répétable.")
@click.option("--query", "query", default="", help="Mots-clés, comme dans la case de recherche.")
@click.option("--frequency", type=click.Choice(["hebdomadaire", "quotidienne", "weekly", "daily"]),
              default="hebdomadaire", show_default=True, metavar="[hebdomadaire|quotidienne]",
              callback=lambda _ctx, _param, value: FREQUENCY_CODES.get(value, value),
              help="Une lettre par semaine ou par jour.")
@click.option("--confirmed", is_flag=True, help="Consentement déjà recueilli : pas de mail de confirmation.")
@pass_ctx
def subscribers_add(ctx: Context, email, themes, centres, regions, types, query, frequency, confirmed):
    """Ajouter une alerte pour EMAIL ; un mail de confirmation part, sauf avec --confirmed."""
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
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON lisible par un programme.")
@pass_ctx
def subscribers_list(ctx: Context, as_json: bool):
    """Chaque abonné, avec son état, sa fréquence et ses alertes."""
    from ..digest import subscriptions as subs

    with ctx.services.db.session() as session:
        people = subs.list_all(session)
        rows = [{"email": s.email, "status": s.status, "frequency": s.frequency,
                 "confirmed_at": s.confirmed_at.isoformat() if s.confirmed_at else None,
                 "bounces": s.bounce_count,
                 "alerts": [{"id": a.id, "active": a.active, "params": a.params,
                             "description": subs.describe_alert(a, ctx.services.label),
                             **({"dossier": a.dossier.slug} if a.dossier is not None else {})}
                            for a in s.alerts]} for s in people]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("Aucun abonné.")
    for row in rows:
        alerts = "; ".join(a["description"] + ("" if a["active"] else " (à confirmer)") for a in row["alerts"])
        click.echo(f"{row['email']:<40} {row['status']:<13} {row['frequency']:<7} {alerts}")


@subscribers.command("delete")
@click.argument("email")
@pass_ctx
def subscribers_delete(ctx: Context, email: str):
    """Effacer EMAIL, ses alertes et l'historique de ses lettres (RGPD)."""
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
    """Construire et envoyer les lettres de veille."""


@digest.command("preview")
@click.argument("email")
@click.option("--html", "as_html", is_flag=True, help="Afficher la version HTML plutôt que le texte.")
@pass_ctx
def digest_preview(ctx: Context, email: str, as_html: bool):
    """Afficher la lettre que EMAIL recevrait maintenant (rien n'est envoyé ni enregistré)."""
    from ..digest.sender import DigestSender

    result = DigestSender(ctx.services).preview(email.strip().lower())
    with ctx.services.db.session() as session:
        audit.record(session, audit.cli_user(), "subscriber.preview", email.strip().lower(), None,
                     {"found": result is not None, "part": "html" if as_html else "text"})
    if result is None:
        fail(f"{email} : abonné inconnu", code=1)
    _content, subject, text, html = result
    click.echo(html if as_html else f"Objet : {subject}\n\n{text}")


def _say_when_due(ctx: Context, force: bool) -> None:
    """Letters wait for their day: say when it is, and how not to wait."""
    from ..digest.sender import when_due
    from ..store.models import utcnow

    settings = ctx.settings
    click.echo(when_due(utcnow(), settings.digest_cron, settings.timezone))
    if not force:
        click.echo("Pour construire et envoyer maintenant la lettre de la période en cours : "
                   "crpv-watch digest send --now (ajoutez --dry-run pour voir d'abord ce qui partirait).")


@digest.command("send")
@click.option("--dry-run", is_flag=True, help="Construire les lettres et les lister ; ne rien envoyer ni enregistrer.")
@click.option("--now", "force", is_flag=True, help="Envoyer maintenant les lettres de la période, sans attendre "
                                                    "l'heure prévue.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON lisible par un programme.")
@pass_ctx
def digest_send(ctx: Context, dry_run: bool, force: bool, as_json: bool):
    """Envoyer les lettres dues (chaque abonné en reçoit une par période, au plus)."""
    from ..digest.sender import DigestSender

    try:
        report = DigestSender(ctx.services).run(force=force, dry_run=dry_run)
    except ValueError as exc:
        fail(str(exc))
    if dry_run:
        for email, count, subject in report.previews:
            click.echo(f"{email:<40} {count:>4}  {subject}")
        click.echo(f"{len(report.previews)} lettre(s) construite(s), aucune envoyée (--dry-run).")
        _say_when_due(ctx, force)
        return
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        click.echo(f"Envoyées : {report.sent} (+ {report.resent} reprises) ; vides : {report.empty} ; "
                   f"en échec temporaire : {report.failed} ; refusées : {report.bounced}")
        if not (report.sent or report.resent or report.empty or force):
            _say_when_due(ctx, force)
    if report.stopped:
        click.echo(f"Envoi interrompu (serveur de messagerie) : {report.stopped}", err=True)
        raise SystemExit(1)


def register(main: click.Group) -> None:
    main.add_command(subscribers)
    main.add_command(digest)
