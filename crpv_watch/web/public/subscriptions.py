"""Subscribing to alert digests without an account, managing them and leaving, from signed links; and the
editors' digest preview and send log.

Nothing here says whether an address is subscribed: the subscribe form always answers the same page, and the
unsubscribe page always says the address is unsubscribed.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from ... import urls
from ...digest import subscriptions as subs
from ...digest.tokens import TokenError, Tokens
from ...search.types import SearchRequest
from ...store import audit, ratelimit
from ...store import dossiers as dossier_store
from ...store import subscribers as subscriber_store
from ..auth import csrf, login_required
from ..errors import error_response
from ..filters import services
from .search import unknown_filters

bp = Blueprint("subscriptions", __name__, url_prefix="/abonnement")
editors_bp = Blueprint("digests", __name__, url_prefix="/editeurs/digests")

HOUR = 3600
TOKEN_MESSAGES = {
    "expired": ("Lien expiré", "Ce lien a expiré. Pour confirmer, abonnez-vous à nouveau : un nouveau lien vous "
                               "sera envoyé. Pour gérer un abonnement, utilisez le lien de la dernière lettre reçue."),
    "invalid": ("Lien invalide", "Ce lien est incomplet ou n'est pas valable. Vérifiez qu'il a été copié en entier "
                                 "depuis le message reçu."),
    "gone": ("Abonnement introuvable", "Cet abonnement n'existe plus : les données ont peut-être été supprimées."),
}


class CsrfOnlyForm(FlaskForm):
    """The CSRF token of the subscription forms; their fields are read from ``request.form`` (lists)."""


def tokens() -> Tokens:
    return Tokens.from_settings(services().settings)


def token_page(reason: str):
    title, message = TOKEN_MESSAGES[reason]
    status = 404 if reason == "gone" else 400
    return render_template("subscriptions/token_error.html", title=title, message=message), status


def choices() -> dict:
    """Themes by pillar, centres and regions offered by the forms."""
    svc = services()
    vocab = svc.vocabulary
    groups: dict[str, list] = {}
    for theme in vocab.themes.values():
        pillar = vocab.pillar_label(theme.pillar) if theme.pillar else "Axes transversaux et méthodes"
        groups.setdefault(pillar, []).append((theme.id, theme.label))
    try:
        sources = [s for s in svc.sources if s.enabled]
    except Exception:
        current_app.logger.exception("sources unavailable")
        sources = []
    regions = sorted({r for s in sources for r in s.region}, key=lambda r: vocab.region_label(r))
    return {"themes": groups, "centres": [(s.id, s.name) for s in sources],
            "regions": [(r, vocab.region_label(r)) for r in regions]}


def request_from_form(form) -> SearchRequest:
    return SearchRequest.from_args(form)


def unknown_message(req: SearchRequest) -> str | None:
    """A French refusal naming the facet values that match nothing known, with the closest known ones, or None
    when all are known. The search page's own check (``search.unknown_filters``): an alert accepts exactly the
    values a search does."""
    unknown = unknown_filters(req)
    if not unknown:
        return None
    named = " ".join(u.message(services().label) for u in unknown)
    return (f"Cette recherche ne peut pas devenir une alerte : valeur inconnue. {named} "
            "Retirez-la ou choisissez parmi les valeurs proposées par la recherche.")


def atom_url(req: SearchRequest) -> str:
    return urls.atom(req)


def followed_dossier(slug: str):
    """The published dossier at ``slug`` (« recevoir les ajouts à ce dossier »), or None."""
    with services().db.session() as db:
        return dossier_store.published_by_slug(db, slug)


def published_dossiers() -> list:
    with services().db.session() as db:
        return dossier_store.published_dossiers(db)


@bp.route("", methods=["GET", "POST"])
def subscribe():
    form = CsrfOnlyForm()
    slug = request.values.get("dossier")
    dossier = followed_dossier(slug) if slug is not None else None
    if slug is not None and dossier is None:
        return error_response(404, "Ce dossier documentaire n'existe pas ou n'est plus publié : il ne peut pas être "
                                   "suivi. Voyez la liste des dossiers publiés.")
    source = ("site:dossier" if dossier else
              request.values.get("origine") == "recherche" and "site:recherche" or "site:/abonnement")
    req = request_from_form(request.values)
    frequency = request.values.get("frequency") or "weekly"
    email_value = (request.form.get("email") or "").strip()
    error, status = None, 200
    refusal = None if dossier else unknown_message(req)
    if refusal:
        error, status = refusal, 400
    elif request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            email = subs.normalize_email(email_value)
        except subs.InvalidEmail as exc:
            error, status = str(exc), 400
        else:
            svc = services()
            limit = svc.settings.subscribe_rate_limit
            with svc.db.session() as db:
                if not ratelimit.take(db, f"subscribe:{request.remote_addr or 'unknown'}", limit, HOUR):
                    return error_response(429, "Trop de demandes d'abonnement depuis cette connexion. "
                                               "Réessayez dans une heure.")
            with svc.db.session() as db:
                sub, alert = subs.subscribe(db, email, subs.alert_params(req), frequency=frequency, source=source,
                                            dossier_id=dossier.id if dossier else None)
                # At most one confirmation mail per address and hour: the form cannot be used to flood a mailbox.
                mail = ratelimit.take(db, f"confirm-mail:{email}", 1, HOUR)
            if mail:
                from ...digest.confirmation import send_confirmation
                from ...digest.send import DeliveryError

                try:
                    send_confirmation(svc, sub, alert)
                except (DeliveryError, ValueError):
                    current_app.logger.exception("confirmation mail not sent")
            return redirect(url_for("subscriptions.thanks"))
    return render_template("subscriptions/subscribe.html", form=form, req=req, frequency=frequency,
                           email=email_value, error=error, choices=choices(), origin=request.values.get("origine", ""),
                           atom_url=url_for("dossiers.atom", slug=dossier.slug) if dossier else atom_url(req),
                           dossier=dossier, dossiers=[] if dossier else published_dossiers(),
                           follow_url=urls.follow_dossier,
                           description=subs.describe(subs.alert_params(req), services().label)), status


@bp.route("/merci")
def thanks():
    return render_template("subscriptions/thanks.html")


@bp.route("/confirmer/<token>")
def confirm(token: str):
    try:
        data = tokens().read("confirm", token)
    except TokenError as exc:
        return token_page(exc.reason)
    with services().db.session() as db:
        sub = subs.confirm(db, data.subscriber_id, data.email, data.alert_id)
        if sub is None:
            return token_page("gone")
        manage = tokens().make("manage", sub.id, sub.email)
    return render_template("subscriptions/confirmed.html", manage_url=url_for(".manage", token=manage))


def _subscriber(token: str, db):
    data = tokens().read("manage", token)
    sub = subs.get(db, data.subscriber_id, data.email)
    if sub is None:
        raise TokenError("gone")
    return sub


@bp.route("/gerer/<token>", methods=["GET", "POST"])
def manage(token: str):
    form = CsrfOnlyForm()
    svc = services()
    with svc.db.session() as db:
        try:
            sub = _subscriber(token, db)
        except TokenError as exc:
            return token_page(exc.reason)
        if request.method == "POST":
            if not form.validate_on_submit():
                abort(400)
            refusal = request.form.get("action") == "add_alert" and unknown_message(request_from_form(request.form))
            if refusal:
                flash(refusal, "error")
            else:
                flash(_apply(db, sub, request.form), "success")
            return redirect(url_for(".manage", token=token))
        alerts = [{"id": a.id, "active": a.active, "description": subs.describe_alert(a, svc.label),
                   "search_url": subs.alert_url(a)} for a in sub.alerts]
        followed = {a.dossier_id for a in sub.alerts}
        unsubscribe = tokens().make("unsubscribe", sub.id, sub.email)
        return render_template("subscriptions/manage.html", form=form, sub=sub, alerts=alerts, token=token,
                               choices=choices(), status_label=subs.STATUS_LABELS.get(sub.status, sub.status),
                               dossiers=[d for d in published_dossiers() if d.id not in followed],
                               unsubscribe_url=url_for(".unsubscribe", token=unsubscribe))


def _apply(db, sub, form) -> str:
    action = form.get("action")
    if action == "frequency" and form.get("frequency") in subs.FREQUENCIES:
        sub.frequency = form["frequency"]
        return f"Fréquence enregistrée : {subs.FREQUENCY_LABELS[sub.frequency]}."
    if action in ("pause", "resume"):
        subs.set_paused(sub, action == "pause")
        return "Envois suspendus." if action == "pause" else "Envois repris."
    if action == "delete_alert" and form.get("alert", "").isdigit():
        subs.delete_alert(db, sub, int(form["alert"]))
        return "Alerte supprimée."
    if action == "activate_alert" and form.get("alert", "").isdigit():
        alert = next((a for a in sub.alerts if a.id == int(form["alert"])), None)
        if alert is not None and sub.status in ("unsubscribed", "pending"):
            return _ask_consent(db, sub, alert)
        if alert is not None:
            subs.activate(db, sub, alert)
        return "Alerte activée."
    if action in ("add_alert", "follow_dossier"):
        params = subs.alert_params(request_from_form(form))
        dossier = dossier_store.published_by_slug(db, form.get("dossier", "")) if action == "follow_dossier" else None
        if action == "follow_dossier" and dossier is None:
            return "Ce dossier n'est plus publié : il ne peut pas être suivi."
        dossier_id = dossier.id if dossier else None
        if sub.status in ("unsubscribed", "pending"):
            _sub, alert = subs.subscribe(db, sub.email, params, source="site:gestion", dossier_id=dossier_id)
            return _ask_consent(db, sub, alert)
        subs.add_alert(db, sub, params, source="site:gestion", dossier_id=dossier_id)
        return f"Vous recevrez les ajouts au dossier « {dossier.title} »." if dossier else "Alerte ajoutée."
    if action == "resubscribe" and sub.status == "unsubscribed":
        alert = next(iter(sub.alerts), None)
        if alert is None:
            return "Aucune alerte à rétablir : ajoutez-en une ci-dessous."
        return _ask_consent(db, sub, alert)
    abort(400)


def _ask_consent(db, sub, alert) -> str:
    """Coming back after unsubscribing is a new consent: a new double opt-in, by a mail to the address. Holding
    a manage link (an old mail, a forwarded one) is not enough to be mailed again."""
    if ratelimit.take(db, f"confirm-mail:{sub.email}", 1, HOUR):
        from ...digest.confirmation import send_confirmation
        from ...digest.send import DeliveryError

        try:
            send_confirmation(services(), sub, alert)
        except (DeliveryError, ValueError):
            current_app.logger.exception("confirmation mail not sent")
    return ("Un mail de confirmation a été envoyé à votre adresse : les envois reprendront quand vous aurez "
            "cliqué sur son lien.")


@bp.route("/gerer/<token>/export.json")
def export(token: str):
    with services().db.session() as db:
        try:
            sub = _subscriber(token, db)
        except TokenError as exc:
            return token_page(exc.reason)
        data = subs.export(db, sub)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="mes-donnees-crpv-watch.json"',
                             "Cache-Control": "no-store"})


@bp.route("/gerer/<token>/supprimer", methods=["POST"])
def delete(token: str):
    form = CsrfOnlyForm()
    if not form.validate_on_submit():
        abort(400)
    with services().db.session() as db:
        try:
            sub = _subscriber(token, db)
        except TokenError as exc:
            return token_page(exc.reason)
        subs.delete_subscriber(db, sub)
    return render_template("subscriptions/deleted.html")


@bp.route("/desinscription/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the one-click POST comes from the mail client, without a form; the signed link is the proof
def unsubscribe(token: str):
    try:
        data = tokens().read("unsubscribe", token, allow_expired=True)
    except TokenError as exc:
        return token_page(exc.reason)
    if request.method == "GET":
        # A page with a button, not an unsubscription on GET: link scanners of mail systems open every link.
        return render_template("subscriptions/unsubscribe.html", token=token)
    with services().db.session() as db:
        sub = subs.get(db, data.subscriber_id, data.email)
        if sub is not None:
            subs.unsubscribe(db, sub)
    # Nothing more: an unsubscribe link (valid for ever, so that leaving always works) must not open the
    # subscriber's data or alerts. Coming back goes through the subscription form and its double opt-in.
    return render_template("subscriptions/unsubscribed.html")


# -- editors ----------------------------------------------------------------------------------------------


PREVIEW_CHOICES = 200  # subscribers offered in the preview's list; any other address can still be typed
_STATUS_ORDER = {"active": 0, "paused": 1, "pending": 2, "bouncing": 3, "unsubscribed": 4}


def preview_choices(db) -> tuple[list[dict], bool]:
    """The subscribers an editor can pick for a preview: those who get letters first, then by address; and
    whether the list was cut at ``PREVIEW_CHOICES``."""
    found = subscriber_store.first_by_status(db, _STATUS_ORDER, PREVIEW_CHOICES + 1)
    return ([{"email": s.email, "status": subs.STATUS_LABELS.get(s.status, s.status),
              "alerts": sum(1 for a in s.alerts if a.active)} for s in found[:PREVIEW_CHOICES]],
            len(found) > PREVIEW_CHOICES)


@editors_bp.route("/")
@login_required
def log():
    svc = services()
    with svc.db.session() as db:
        counts = subs.counts_by_status(db)
        picks, truncated = preview_choices(db)
        digests = subscriber_store.recent_digests(db, 200)
        rows = [{"email": d.subscriber.email, "period": d.period, "status": d.status, "count": d.count,
                 "message_id": d.message_id, "attempts": d.attempts, "error": d.last_error,
                 "at": d.sent_at or d.created_at} for d in digests]
    email = (request.args.get("email") or "").strip().lower()
    preview = None
    if email:
        from ...digest.sender import DigestSender

        result = DigestSender(svc).preview(email)
        _audit_preview(email, result is not None)
        preview = {"missing": True} if result is None else {
            "subject": result[1], "text": result[2], "count": result[0].count,
            "since": result[0].window_start}
    return render_template("subscriptions/editors_digests.html", counts=counts, rows=rows, email=email,
                           preview=preview, status_labels=subs.STATUS_LABELS, subscribers=picks,
                           listed=any(c["email"] == email for c in picks), truncated=truncated,
                           limit=PREVIEW_CHOICES)


@editors_bp.route("/apercu.html")
@login_required
def preview_html():
    from ...digest.sender import DigestSender

    email = (request.args.get("email") or "").strip().lower()
    result = DigestSender(services()).preview(email)
    _audit_preview(email, result is not None, "html")
    if result is None:
        abort(404)
    response = Response(result[3], mimetype="text/html")
    # The mail's HTML carries inline styles (mail clients ignore style sheets): allow those, and nothing else.
    response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                                   "frame-ancestors 'none'")
    return response


def _audit_preview(email: str, found: bool, part: str = "text") -> None:
    """Reading a subscriber's letter is an action on that subscriber: it is in the audit log like the others."""
    with services().db.session() as db:
        audit.record(db, g.user.email, "subscriber.preview", email, None, {"found": found, "part": part})


@bp.route("/lien-d-apercu")
def preview_placeholder():
    """Where the links of a preview lead: previews never carry a subscriber's working link."""
    return render_template("errors/error.html", code=200, title="Lien d'exemple",
                           message="Ce lien vient d'un aperçu de lettre : dans la lettre envoyée, il est propre à "
                                   "chaque abonné et mène à la gestion de son abonnement ou à sa désinscription.")


def register(app) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(editors_bp)
