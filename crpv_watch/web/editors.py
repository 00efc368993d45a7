"""The editors' area. For now a dashboard of counts; the full workspace comes later behind the same guard."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from ..store import repo, users
from .auth import login_required
from .filters import services

bp = Blueprint("editors", __name__, url_prefix="/editeurs")


@bp.route("/")
@login_required
def dashboard():
    svc = services()
    with svc.db.session() as db:
        searchable = repo.count_searchable(db)
        accounts = users.count_users(db)
        runs = repo.latest_runs(db, limit=1)
        last_run = runs[0] if runs else None
    try:
        sources = len(svc.sources)
    except Exception:  # a missing or broken sources.yaml is shown, not fatal
        current_app.logger.exception("sources unavailable")
        sources = None
    try:
        indexed = svc.engine.count()
    except Exception:
        current_app.logger.exception("index unavailable")
        indexed = None
    return render_template("editors/dashboard.html", searchable=searchable, indexed=indexed, sources=sources,
                           accounts=accounts, last_run=last_run)
