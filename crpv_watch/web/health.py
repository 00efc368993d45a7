"""``/healthz``: is the database answering, is the index readable, is the crawling process alive?

The crawling process (``run`` or ``worker``) writes a heartbeat file every few seconds; a heartbeat older than
``STALE_AFTER`` means the schedule, the crawls and the index writer stopped. No heartbeat at all is reported as
``absent`` without failing the check: ``serve`` alone (a reader beside a worker on another host, or a site
without crawling) is a legitimate set-up. Answers 200 when everything present is healthy, 503 otherwise; no
detail that would help an attacker (paths, versions) is given.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from flask import Blueprint, current_app, jsonify

from ..store import repo
from ..store.models import utcnow
from ..worker.scheduler import HEARTBEAT_EVERY, HEARTBEAT_FILE
from .filters import services

bp = Blueprint("health", __name__)

STALE_AFTER = dt.timedelta(seconds=HEARTBEAT_EVERY * 6)


def heartbeat(settings) -> dict:
    try:
        data = json.loads((Path(settings.data_dir) / HEARTBEAT_FILE).read_text(encoding="utf-8"))
        at = dt.datetime.fromisoformat(data["at"])
    except FileNotFoundError:
        return {"status": "absent"}
    except (OSError, ValueError, KeyError):
        return {"status": "error"}
    age = (utcnow() - at).total_seconds()
    return {"status": "ok" if age <= STALE_AFTER.total_seconds() else "stale", "age_seconds": round(age, 1),
            "mode": data.get("mode"), "crawl_jobs": data.get("crawl_jobs")}


def check() -> tuple[dict, bool]:
    svc = services()
    out: dict = {}
    try:
        with svc.db.session() as session:
            repo.ping(session)
        out["database"] = {"status": "ok"}
    except Exception:
        current_app.logger.exception("healthz: database")
        out["database"] = {"status": "error"}
    try:
        out["index"] = {"status": "ok", "documents": svc.engine.count()}
    except Exception:
        current_app.logger.exception("healthz: index")
        out["index"] = {"status": "error"}
    out["scheduler"] = heartbeat(svc.settings)
    healthy = all(out[k]["status"] == "ok" for k in ("database", "index")) and \
        out["scheduler"]["status"] in ("ok", "absent")
    return out, healthy


@bp.route("/healthz")
def healthz():
    checks, healthy = check()
    response = jsonify({"status": "ok" if healthy else "error", **checks})
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
