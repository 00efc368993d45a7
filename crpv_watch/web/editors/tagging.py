"""The tagger, for editors: rules alone or rules + learned model, what it learned from, the last training's
before/after figures; for admins, « Réentraîner » (a request file the worker claims: ``worker/training.py``)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from ...indexing import requests as crawl_requests
from ...store import audit
from ...store.examples import count_examples
from ...tagging import retrain
from ..auth import login_required
from ..filters import services
from ..health import heartbeat
from .workspace import ActionForm, is_admin, user_email

bp = Blueprint("editors_tagging", __name__, url_prefix="/editeurs/etiquetage")

SPLIT_LABELS = {"real-test": "Textes réels, sites de test", "own-test": "Jeu du projet, test",
                "real": "Textes réels (dev), validation croisée", "own": "Jeu du projet, validation croisée",
                "real-dev": "Textes réels (dev)", "own-train": "Jeu du projet (entraînement)",
                "editors-editors": "Corrections des éditeurs"}


def tagging_status(svc) -> dict:
    """What the review page and this page say of the tagger in service."""
    info = retrain.model_info(svc.settings)
    return {"describe": svc.tagger.describe(), "model": info is not None, "info": info or {}}


@bp.route("/")
@login_required
def show():
    svc = services()
    with svc.db.session() as db:
        examples = count_examples(db)
    pending = crawl_requests.pending(svc, crawl_requests.TRAIN)
    return render_template("editors/tagging.html", status=tagging_status(svc), examples=examples,
                           report=retrain.last_report(svc.settings), pending=pending, admin=is_admin(),
                           labels=SPLIT_LABELS, refresh=5 if pending else None)


@bp.route("/entrainer", methods=["POST"])
@login_required(role="admin")
def train():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    svc = services()
    request_id = crawl_requests.request_training(svc, user_email())
    with svc.db.session() as db:
        audit.record(db, user_email(), "tagging.train", "tagging", None, {"request": request_id})
    if heartbeat(svc)["status"] != "ok":
        flash("Entraînement demandé, mais aucun processus d'écriture (crpv-watch run ou worker) ne semble actif : "
              "il démarrera quand il sera relancé.", "error")
    else:
        flash("Entraînement demandé : il démarre dans quelques secondes et dure une à quelques minutes. Le nouveau "
              "modèle n'est mis en service que s'il fait mieux sur les textes réservés.", "success")
    return redirect(url_for("editors_tagging.show"))
