"""`crpv-watch sources purge ID [--delete]`: a source's opt-out, through the CLI, on two loopback sites."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner
from faulty_server import FaultyServer
from minisite import MiniSite, article, listing
from sqlalchemy import select

from crpv_watch.cli import main
from crpv_watch.services import Services
from crpv_watch.settings import Settings
from crpv_watch.store.models import AuditLog, Document

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)


@pytest.fixture
def cli(tmp_path, monkeypatch):
    with FaultyServer() as alpha, FaultyServer(host="127.0.0.2") as beta:
        a, b = MiniSite(alpha), MiniSite(beta)
        a.page("/liste", listing(["/partage", "/propre"]))
        a.page("/partage", article("partage"))
        a.page("/propre", article("propre"))
        b.page("/liste", listing(["/republie", "/autre"]))
        b.page("/republie", article("partage"))  # the same text: one document found at two places
        b.page("/autre", article("autre"))
        entries = [{"id": sid, "name": sid, "homepage": srv.url("/"), "start_urls": [srv.url("/liste")],
                    "private_hosts": ["127.0.0.1", "127.0.0.2"]} for sid, srv in (("alpha", alpha), ("beta", beta))]
        sources = tmp_path / "sources.yaml"
        sources.write_text(yaml.safe_dump({"sources": entries}))
        for name, value in {"CRAWL_DELAY": "0", "RETRY_BASE_DELAY": "0", "SECRET_KEY": "x"}.items():
            monkeypatch.setenv(f"CRPV_WATCH_{name}", value)
        runner = CliRunner()

        def invoke(*args):
            return runner.invoke(main, ["--data-dir", str(tmp_path / "data"), "--sources", str(sources), *args],
                                 catch_exceptions=False)

        invoke.urls = {"alpha": alpha.url(""), "beta": beta.url("")}
        yield invoke


def search(cli) -> dict:
    return json.loads(cli("search", "", "--json", "--limit", "50").stdout)


def test_purge_keeps_shared_documents_under_the_other_source(cli, tmp_path):
    result = cli("crawl", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["documents_total"] == 3  # partage (alpha + beta), propre, autre
    assert cli("sources", "purge", "inconnue", "--yes").exit_code == 2

    result = cli("sources", "purge", "alpha", "--yes", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"source": "alpha", "purged": 1, "deleted": 0, "moved": 1, "places": 2}
    found = search(cli)
    assert found["total"] == 2
    assert {h["centre"] for h in found["results"]} == {"beta"}
    shared = next(h for h in found["results"] if h["url"].endswith("/republie"))
    assert [p["centre"] for p in shared["found_at"]] == ["beta"]

    # Later crawls leave the purged source alone; its purged documents stay out of search.
    report = json.loads(cli("crawl", "--json").stdout)
    alpha = next(s for s in report["sources"] if s["id"] == "alpha")
    assert alpha["fetched"] == 0 and report["documents_total"] == 2

    result = cli("sources", "purge", "beta", "--delete", "--yes", "--json")
    assert json.loads(result.stdout) == {"source": "beta", "purged": 0, "deleted": 2, "moved": 0, "places": 2}
    assert search(cli)["total"] == 0

    services = Services(Settings.load(data_dir=tmp_path / "data"))  # the CLI's database, from the environment
    try:
        with services.db.session() as session:
            statuses = sorted(d.status for d in session.scalars(select(Document)))
            assert statuses == ["purged"]  # alpha's own document; beta's rows are gone
            log = session.scalars(select(AuditLog).where(AuditLog.action == "source.purge")
                                  .order_by(AuditLog.id)).all()
            assert [(e.target, e.after["delete"]) for e in log] == [("alpha", False), ("beta", True)]
            assert log[0].user_email.startswith("cli:")
    finally:
        services.close()
