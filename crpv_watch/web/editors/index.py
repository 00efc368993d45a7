"""The search index, for admins: its state, « Reconstruire l'index », the progress of the current or last rebuild.

The web never writes the index: the button queues a request (``crawl_requests.request_rebuild``) that the
writing process (``run`` or ``worker``) carries out within seconds, writing its progress to
the database (``index_rebuild``) — as ``crpv-watch index rebuild`` does too. The page reloads
itself while a rebuild runs or waits (a meta refresh: no script needed).
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from ...indexing import rebuild as index_rebuild
from ...indexing import requests as crawl_requests
from ...store import audit
from ..auth import login_required
from ..filters import services
from ..health import heartbeat
from .workspace import ActionForm, user_email

bp = Blueprint("editors_index", __name__, url_prefix="/editeurs/index")

REFRESH_SECONDS = 3


def _when(value):
    try:
        return dt.datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


@bp.route("/")
@login_required(role="admin")
def show():
    svc = services()
    record = index_rebuild.read_progress(svc)
    if record is not None:
        record = {**record, "started": _when(record.get("started")), "finished": _when(record.get("finished"))}
    pending = [{**p, "at": _when(p.get("at"))} for p in crawl_requests.pending(svc, crawl_requests.REBUILD)]
    running = bool(record) and record.get("status") == "running"
    return render_template("editors/search_index.html", state=index_rebuild.index_state(svc), record=record,
                           pending=pending, running=running, beat=heartbeat(svc),
                           refresh=REFRESH_SECONDS if (running or pending) else None)


@bp.route("/reconstruire", methods=["POST"])
@login_required(role="admin")
def rebuild():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    svc = services()
    request_id = crawl_requests.request_rebuild(svc, user_email())
    with svc.db.session() as db:
        state = index_rebuild.index_state(svc)
        audit.record(db, user_email(), "index.rebuild", "index", None,
                     {"request": request_id, "in_index": state["in_index"], "searchable": state["searchable"]})
    if heartbeat(svc)["status"] != "ok":
        flash("Reconstruction demandée, mais aucun processus d'écriture (crpv-watch run ou worker) ne semble "
              "actif : elle démarrera quand il sera relancé.", "error")
    else:
        flash("Reconstruction de l'index demandée : elle démarre dans quelques secondes.", "success")
    return redirect(url_for("editors_index.show"))
