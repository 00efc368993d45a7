"""``/healthz``: is the database answering, is the index readable, is the crawling process alive?

The crawling process (``run`` or ``worker``) writes a heartbeat to the database every few seconds, so that web
nodes on other machines read it too; a heartbeat older than ``STALE_AFTER`` means the schedule, the crawls and the index writer stopped. No heartbeat at all is reported as
``absent`` without failing the check: ``serve`` alone (a reader beside a worker on another host, or a site
without crawling) is a legitimate set-up. The database and the index are checked by writing (a committed row,
a 64 KiB file beside the index): a full disk or a read-only database answers reads but not writes. Answers 200
when everything present is healthy, 503 otherwise with ``failing`` naming the parts; no detail that would help
an attacker (paths, versions) is given.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from pathlib import Path

from flask import Blueprint, current_app, jsonify

from ..store import coordination, failures, ratelimit, repo
from ..store.models import utcnow
from ..worker.scheduler import HEARTBEAT_EVERY, HEARTBEAT_KEY
from .filters import services

bp = Blueprint("health", __name__)

STALE_AFTER = dt.timedelta(seconds=HEARTBEAT_EVERY * 6)


def heartbeat(svc) -> dict:
    try:
        with svc.db.session() as session:
            data = coordination.get_state(session, HEARTBEAT_KEY)
        if data is None:
            return {"status": "absent"}
        at = dt.datetime.fromisoformat(data["at"])
    except (ValueError, KeyError, TypeError):
        return {"status": "error"}
    except Exception:  # the database: check() reports it on its own line
        current_app.logger.exception("healthz: heartbeat")
        return {"status": "error"}
    age = (utcnow() - at).total_seconds()
    return {"status": "ok" if age <= STALE_AFTER.total_seconds() else "stale", "age_seconds": round(age, 1),
            "mode": data.get("mode"), "crawl_jobs": data.get("crawl_jobs")}


PROBE_BYTES = 64 * 1024  # big enough to need a new block: a nearly full disk fails it like an index commit would


def _database_writable(svc) -> None:
    # A real write, committed: SELECT 1 answers on a full disk or a read-only database file.
    with svc.db.session() as session:
        repo.ping(session)
        ratelimit.take(session, "healthz:write-probe", 1 << 30, 3600)


def _index_writable(settings) -> None:
    index_dir = Path(settings.index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(prefix=".healthz-", dir=index_dir)
    try:
        os.write(fd, b"\0" * PROBE_BYTES)
        os.fsync(fd)
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(probe)


def _part(out: dict, name: str, probe) -> None:
    try:
        out[name] = {"status": "ok", **(probe() or {})}
    except Exception as exc:
        written = failures.describe(exc)
        current_app.logger.error("healthz: %s: %s", name, written or exc)
        # The kind of failure, not its details (paths, versions): the page is public.
        out[name] = {"status": "error", "writable": False} if written else {"status": "error"}


def check() -> tuple[dict, bool]:
    svc = services()
    out: dict = {}
    _part(out, "database", lambda: _database_writable(svc))
    _part(out, "index", lambda: (_index_writable(svc.settings), {"documents": svc.engine.count()})[1])
    out["scheduler"] = heartbeat(svc)
    failing = [k for k in ("database", "index") if out[k]["status"] != "ok"]
    if out["scheduler"]["status"] not in ("ok", "absent"):
        failing.append("scheduler")
    out["failing"] = failing
    return out, not failing


@bp.route("/healthz")
def healthz():
    checks, healthy = check()
    response = jsonify({"status": "ok" if healthy else "error", **checks})
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
