"""Crawl control: run one source or all now, follow the progress, read the history of runs and their errors.

The web never crawls: "Lancer maintenant" queues a request (``crawl_requests``) that the crawling process
(``run`` or ``worker``) starts within seconds. Progress comes from ``CrawlRun.progress``, which the crawler
writes as it goes; the page reloads itself while something runs (a meta refresh: no script needed).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ...indexing import requests as crawl_requests
from ...store import audit, workspace
from ...worker.scheduler import HEARTBEAT_EVERY
from ..auth import login_required
from ..filters import services
from ..health import heartbeat
from .workspace import ActionForm, user_email

bp = Blueprint("editors_crawl", __name__, url_prefix="/editeurs/collectes")

REFRESH_SECONDS = 3
PER_PAGE = 20


@bp.route("/")
@login_required
def index():
    svc = services()
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    with svc.db.session() as db:
        runs = workspace.runs_page(db, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
        running = workspace.running_runs(db)
    pending = crawl_requests.pending(svc)
    try:
        sources = svc.sources
    except Exception:
        sources = []
    return render_template("editors/crawls.html", runs=runs, running=running, pending=pending, page=page,
                           per_page=PER_PAGE, sources=sources, beat=heartbeat(svc),
                           refresh=REFRESH_SECONDS if (running or pending) else None,
                           heartbeat_every=HEARTBEAT_EVERY)


@bp.route("/<int:run_id>")
@login_required
def show(run_id: int):
    with services().db.session() as db:
        run = workspace.get_run(db, run_id)
        if run is None:
            abort(404)
        run.sources, run.errors  # noqa: B018
    return render_template("editors/crawl.html", run=run,
                           refresh=REFRESH_SECONDS if run.status == "running" else None)


@bp.route("/lancer", methods=["POST"])
@login_required
def start():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    svc = services()
    source_id = (request.form.get("source") or "").strip() or None
    if source_id is not None:
        try:
            known = svc.source(source_id)
        except Exception:
            known = None
        if known is None:
            abort(404)
    crawl_requests.request_crawl(svc, [source_id] if source_id else None, user_email())
    with svc.db.session() as db:
        audit.record(db, user_email(), "crawl.request", source_id or "*", None,
                     {"source_ids": [source_id] if source_id else "toutes les sources activées"})
    beat = heartbeat(svc)
    if beat["status"] != "ok":
        flash("Collecte demandée, mais aucun processus de collecte (crpv-watch run ou worker) ne semble actif : "
              "elle démarrera quand il sera relancé.", "error")
    else:
        flash("Collecte demandée : elle démarre dans quelques secondes.", "success")
    return redirect(url_for("editors_crawl.index"))
