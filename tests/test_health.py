"""/healthz: database, index, and the crawling process's heartbeat."""

from __future__ import annotations

import datetime as dt

import pytest
from editors_support import make_app, make_services

from crpv_watch.store import coordination
from crpv_watch.store.models import utcnow
from crpv_watch.worker.scheduler import HEARTBEAT_KEY

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)


@pytest.fixture
def svc(tmp_path):
    svc = make_services(tmp_path)
    yield svc
    svc.close()


def beat(svc, age_seconds: float) -> None:
    at = utcnow() - dt.timedelta(seconds=age_seconds)
    with svc.db.session() as session:  # in the database: web nodes on other machines read it too
        coordination.put_state(session, HEARTBEAT_KEY, {"at": at.isoformat(), "pid": 1, "mode": "worker",
                                                        "crawl_jobs": 1})


def test_healthy_without_a_crawling_process(svc):
    resp = make_app(svc).test_client().get("/healthz")
    data = resp.get_json()
    assert resp.status_code == 200 and data["status"] == "ok"
    assert data["database"]["status"] == "ok" and data["index"]["status"] == "ok"
    assert data["scheduler"] == {"status": "absent"}
    assert resp.headers["Cache-Control"] == "no-store"


def test_fresh_heartbeat_is_ok_and_stale_one_fails(svc):
    client = make_app(svc).test_client()
    beat(svc, 5)
    data = client.get("/healthz").get_json()
    assert data["scheduler"]["status"] == "ok" and data["scheduler"]["mode"] == "worker"
    beat(svc, 3600)
    resp = client.get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["scheduler"]["status"] == "stale"


def test_database_failure_is_reported(svc):
    client = make_app(svc).test_client()
    svc.db._sessions.configure(bind=__import__("sqlalchemy").create_engine("sqlite:////nonexistent/dir/x.db"))
    resp = client.get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["database"]["status"] == "error"
    assert "nonexistent" not in resp.get_data(as_text=True)  # no detail for strangers
