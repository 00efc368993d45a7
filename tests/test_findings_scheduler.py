"""Issue 13, finding 3: crawls must not starve the crawling process's own upkeep.

Twelve sources on a one-minute schedule whose feed is sent one byte per second (a real HTTP server on loopback):
the crawls hold their own pool, while the heartbeat keeps its period and an editor's hide reaches search within
one drain period. A source's crawl also has a total time budget: it stops there and says so in its report.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import httpx
from editors_support import EDITOR, add_document, login, make_app, make_services, post
from faulty_server import FaultyServer

from crpv_watch.crawl.run import CrawlRunner
from crpv_watch.web.health import heartbeat
from crpv_watch.worker.runtime import start_background
from crpv_watch.worker.scheduler import DRAIN_EVERY, HEARTBEAT_EVERY

SLOW_SOURCES = 12


def slow_sources_yaml(server: FaultyServer, count: int) -> str:
    entries = []
    for n in range(count):
        entries.append(f"""\
  - id: lent-{n}
    name: "Centre lent {n}"
    homepage: "{server.url('/')}"
    feeds: ["{server.url(f'/slow-drip?every=1&n=600&source={n}')}"]
    schedule: "* * * * *"
    private_hosts: [127.0.0.1]
""")
    return "sources:\n" + "".join(entries)


def api_titles(http: httpx.Client) -> list[str]:
    return [r["title"] for r in http.get("/api/search?q=").json()["results"]]


def test_upkeep_keeps_its_period_while_twelve_slow_crawls_run(tmp_path):
    from werkzeug.serving import make_server

    with FaultyServer() as slow:
        svc = make_services(tmp_path, slow_sources_yaml(slow, SLOW_SOURCES), total_timeout=300.0,
                            read_timeout=30.0)
        add_document(svc, "a-masquer", "Un document à masquer", source_id="lent-0")
        scheduler = start_background(svc, mode="worker")
        app = make_app(svc)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            # Every crawl job fires now rather than at the next minute.
            now = dt.datetime.now(dt.UTC)
            crawl_jobs = [j for j in scheduler.get_jobs() if j.id.startswith("crawl:")]
            assert len(crawl_jobs) == SLOW_SOURCES
            for job in crawl_jobs:
                job.modify(next_run_time=now)
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and not slow.requests_for("/slow-drip"):
                time.sleep(0.2)
            assert slow.requests_for("/slow-drip"), "no crawl started"

            with httpx.Client(base_url=f"http://127.0.0.1:{server.server_port}", timeout=10) as http:
                assert "Un document à masquer" in api_titles(http)
                client = app.test_client()
                login(client, *EDITOR)
                hidden_at = time.monotonic()
                assert post(client, "/editeurs/documents/a-masquer/masquer").status_code == 302
                while "Un document à masquer" in api_titles(http):
                    assert time.monotonic() - hidden_at <= DRAIN_EVERY + 2, "the hide waited for the crawls"
                    time.sleep(0.2)

                # The heartbeat keeps its period for a few periods while the crawls crawl on.
                ages = []
                end = time.monotonic() + 2.5 * HEARTBEAT_EVERY
                while time.monotonic() < end:
                    beat = heartbeat(svc)
                    ages.append(beat.get("age_seconds", 1e9))
                    assert beat["status"] == "ok", beat
                    time.sleep(1)
                assert max(ages) <= HEARTBEAT_EVERY + 3, ages
                assert http.get("/healthz").status_code == 200
            assert slow.requests_for("/slow-drip"), "the crawls were not running meanwhile"
        finally:
            server.shutdown()
            scheduler.shutdown(wait=False)
            svc.close()


def test_a_source_stops_at_its_time_budget_and_says_so(tmp_path):
    with FaultyServer() as slow:
        svc = make_services(tmp_path, slow_sources_yaml(slow, 1), source_time_budget=3.0, total_timeout=120.0,
                            read_timeout=30.0)
        runner = CrawlRunner(svc)
        started = time.monotonic()
        try:
            report = runner.run(["lent-0"])
        finally:
            runner.close()
            svc.close()
    took = time.monotonic() - started
    source = report.sources[0]
    assert source.status == "budget", source
    assert any(e["stage"] == "budget" and "time budget of 3 s spent" in e["error"] for e in source.errors)
    assert took < 60, f"the budget did not stop the crawl ({took:.0f} s)"
