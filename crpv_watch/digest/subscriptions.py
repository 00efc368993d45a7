"""Subscribers and their alerts: subscribe, confirm, manage, leave, export, delete.

An alert stores the parameters of a search (``SearchRequest``) as a JSON dict, so a search page becomes an alert
and an alert can be shown back as a search (``search_url``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from .. import urls
from ..search.types import FACET_NAMES, FACETS, SearchRequest
from ..store import subscribers
from ..store.models import Alert, Dossier, Subscriber, utcnow

# The queries live in the store; they stay reachable here, where the pages, the sender and the CLI look for them.
from ..store.subscribers import MAILABLE as MAILABLE
from ..store.subscribers import by_email as by_email
from ..store.subscribers import counts_by_status as counts_by_status
from ..store.subscribers import get as get
from ..store.subscribers import list_all as list_all
from ..store.subscribers import mailable as mailable

FREQUENCIES = ("weekly", "daily")
FREQUENCY_LABELS = {"weekly": "chaque semaine", "daily": "chaque jour"}
STATUS_LABELS = {"pending": "en attente de confirmation", "active": "actif", "paused": "en pause",
                 "unsubscribed": "désinscrit", "bouncing": "adresse en échec"}


class InvalidEmail(ValueError):
    """The address is not an e-mail address; the message is shown as is to the person who typed it."""


def normalize_email(raw: str) -> str:
    raw = (raw or "").strip()
    if not raw:
        raise InvalidEmail("Saisissez votre adresse e-mail.")
    if len(raw) > 320:
        raise InvalidEmail("Cette adresse e-mail est trop longue.")
    try:
        # Syntax only: a DNS lookup would leak the address and make the form slow and flaky.
        info = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(f"Cette adresse e-mail n'est pas valide ({_reason_fr(exc)}). "
                           "Vérifiez-la, par exemple : prenom.nom@mairie-exemple.fr") from exc
    return info.normalized.lower()


def _reason_fr(exc: EmailNotValidError) -> str:
    text = str(exc)
    if "@" in text and "sign" in text:
        return "il manque le signe @ ou la partie après @"
    if "domain" in text.lower():
        return "le nom de domaine après @ est incorrect"
    return "caractères ou forme non autorisés"


# -- alert parameters -------------------------------------------------------------------------------------


def alert_params(req: SearchRequest) -> dict[str, Any]:
    """The stored form of a search: what ``SearchRequest.to_params()`` gives, minus paging and sort."""
    out: dict[str, Any] = {}
    for key, value in req.to_params():
        if key in ("page", "sort"):
            continue
        if key in FACETS:
            out.setdefault(key, []).append(value)
        else:
            out[key] = value
    return out


def alert_request(params: dict[str, Any]) -> SearchRequest:
    pairs: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        pairs.extend((key, str(v)) for v in value) if isinstance(value, list) else pairs.append((key, str(value)))
    return SearchRequest.from_args(MultiDict(pairs))


def search_url(params: dict[str, Any]) -> str:
    return urls.search(alert_request(params))


def describe_dossier(title: str) -> str:
    return f"Les ajouts au dossier « {title} »"


def describe_alert(alert: Alert, label) -> str:
    """What an alert sends, in French: its search, or the dossier it follows."""
    if alert.dossier_id is not None:
        return describe_dossier(alert.dossier.title if alert.dossier is not None else "supprimé")
    return describe(alert.params, label)


def alert_url(alert: Alert) -> str:
    """Where an alert's documents are on the site: its search, or the followed dossier's page."""
    if alert.dossier_id is not None and alert.dossier is not None:
        return urls.dossier(alert.dossier.slug)
    return search_url(alert.params)


def describe(params: dict[str, Any], label) -> str:
    """A short French description: « jardins partagés » — Thème : Transition écologique — Centre : ORIV."""
    req = alert_request(params)
    parts = [f"« {req.q} »"] if req.q else []
    for facet in FACETS:
        values = getattr(req, facet)
        if values:
            parts.append(f"{FACET_NAMES[facet]} : " + ", ".join(label(facet, v) for v in values))
    if req.date_from:
        parts.append(f"depuis le {req.date_from.strftime('%d/%m/%Y')}")
    if req.date_to:
        parts.append(f"jusqu'au {req.date_to.strftime('%d/%m/%Y')}")
    return " — ".join(parts) or "Toutes les nouvelles publications"


# -- subscribers --------------------------------------------------------------------------------------------


def subscribe(session: Session, email: str, params: dict[str, Any], *, frequency: str = "weekly",
              source: str = "site", confirmed: bool = False, name: str = "", dossier_id: int | None = None,
              now: dt.datetime | None = None) -> tuple[Subscriber, Alert]:
    """Record an alert for ``email`` (creating the subscriber); inactive until confirmed unless ``confirmed``.
    With ``dossier_id`` the alert follows that dossier instead of a search (``params`` then stays empty)."""
    now = now or utcnow()
    sub = by_email(session, email)
    if sub is None:
        sub = Subscriber(email=email, status="pending", frequency=frequency if frequency in FREQUENCIES else "weekly",
                         created_at=now, consent_source=source)
        session.add(sub)
    elif sub.status == "pending" and frequency in FREQUENCIES:
        sub.frequency = frequency
    # Following a dossier twice is following it once: the alert already there is the one to confirm.
    alert = next((a for a in sub.alerts if dossier_id is not None and a.dossier_id == dossier_id), None)
    if alert is None:
        alert = Alert(params={} if dossier_id else params, name=name[:300], active=False, created_at=now,
                      source=source, dossier=_dossier(session, dossier_id))
        sub.alerts.append(alert)
    session.flush()
    if confirmed:
        activate(session, sub, alert, now)
    return sub, alert


def _dossier(session: Session, dossier_id: int | None) -> Dossier | None:
    # Set as an object, not an id: the pages and the confirmation mail name it after the session is closed.
    return session.get(Dossier, dossier_id) if dossier_id is not None else None


def activate(session: Session, sub: Subscriber, alert: Alert | None, now: dt.datetime | None = None) -> None:
    """Consent given (the confirmation link, or ``--confirmed``): the alert, and the address, become active."""
    now = now or utcnow()
    if sub.status != "active" and sub.status != "paused":
        sub.status = "active"
        sub.confirmed_at = now
        sub.last_digest_at = None  # the first digest covers what is new since this confirmation
        sub.unsubscribed_at = None
        sub.bounce_count = 0
    sub.consent_at = now
    if alert is not None:
        sub.consent_source = alert.source or sub.consent_source
        if not alert.active:
            alert.active = True
            alert.created_at = now  # an alert's window starts when it starts counting, not when it was typed
    session.flush()


def confirm(session: Session, subscriber_id: int, email: str, alert_id: int | None,
            now: dt.datetime | None = None) -> Subscriber | None:
    sub = get(session, subscriber_id, email)
    if sub is None:
        return None
    alert = next((a for a in sub.alerts if a.id == alert_id), None)
    if alert_id is not None and alert is None:
        return None  # the alert was deleted since the mail went out
    activate(session, sub, alert, now)
    return sub


def unsubscribe(session: Session, sub: Subscriber, now: dt.datetime | None = None) -> None:
    if sub.status != "unsubscribed":
        sub.status = "unsubscribed"
        sub.unsubscribed_at = now or utcnow()


def set_paused(sub: Subscriber, paused: bool) -> None:
    if paused and sub.status == "active":
        sub.status = "paused"
    elif not paused and sub.status == "paused":
        sub.status = "active"


def add_alert(session: Session, sub: Subscriber, params: dict[str, Any], source: str,
              now: dt.datetime | None = None, dossier_id: int | None = None) -> Alert:
    """An alert added from the manage page: the signed link already proves the address, so it is active."""
    if dossier_id is not None:
        known = next((a for a in sub.alerts if a.dossier_id == dossier_id), None)
        if known is not None:
            known.active = True
            return known
    alert = Alert(params={} if dossier_id else params, active=True, created_at=now or utcnow(), source=source,
                  dossier=_dossier(session, dossier_id))
    sub.alerts.append(alert)
    session.flush()
    return alert


def delete_alert(session: Session, sub: Subscriber, alert_id: int) -> bool:
    alert = next((a for a in sub.alerts if a.id == alert_id), None)
    if alert is None:
        return False
    sub.alerts.remove(alert)
    session.flush()
    return True


def delete_subscriber(session: Session, sub: Subscriber) -> None:
    """GDPR erasure: the address, its alerts and its digest log go (ON DELETE CASCADE and the ORM cascade)."""
    for digest in subscribers.digests_of(session, sub.id):
        session.delete(digest)
    session.delete(sub)
    session.flush()


def export(session: Session, sub: Subscriber) -> dict[str, Any]:
    """Everything kept about an address (GDPR access and portability)."""

    def iso(value: dt.datetime | None) -> str | None:
        return value.replace(tzinfo=dt.UTC).isoformat() if value else None

    digests = subscribers.digests_of(session, sub.id)
    return {
        "email": sub.email,
        "status": sub.status,
        "frequency": sub.frequency,
        "created_at": iso(sub.created_at),
        "confirmed_at": iso(sub.confirmed_at),
        "consent": {"at": iso(sub.consent_at), "source": sub.consent_source},
        "unsubscribed_at": iso(sub.unsubscribed_at),
        "last_digest_at": iso(sub.last_digest_at),
        "delivery_failures": {"count": sub.bounce_count, "last": sub.last_bounce},
        "alerts": [{"id": a.id, "params": a.params, "active": a.active, "created_at": iso(a.created_at),
                    "source": a.source, **({"dossier": a.dossier.slug} if a.dossier is not None else {})}
                   for a in sub.alerts],
        "digests": [{"period": d.period, "status": d.status, "message_id": d.message_id, "documents": d.document_ids,
                     "sent_at": iso(d.sent_at)} for d in digests],
    }


