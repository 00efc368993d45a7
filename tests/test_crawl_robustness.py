"""A crawl against a misbehaving site (tests/faulty_server.py) goes on and records every failure on the run, with
URL, stage and reason; a robots.txt Crawl-delay beyond ``max_crawl_delay`` postpones the source."""

from __future__ import annotations

from faulty_server import FaultyServer
from minisite import MiniSite, article, crawl_setup, listing, make_pdf, totals
from sqlalchemy import select

from crpv_watch.sources.load import Source
from crpv_watch.store.models import CrawlError, CrawlRun, CrawlRunSource


def test_faulty_routes_are_recorded_and_the_crawl_goes_on(tmp_path):
    with FaultyServer(robots="User-agent: *\nAllow: /\n") as server:
        site = MiniSite(server)
        broken_pdf = make_pdf("tronque")
        site.page("/tronque.pdf", broken_pdf[: len(broken_pdf) // 2], "application/pdf")
        site.page("/bon", article("bon"))
        site.page("/flux-casse", b"<rss><channel><item><title>sans fin", "application/rss+xml")
        links = ["/status/500", "/status/429", "/redirect-loop/a", "/bytes?n=300000", "/tronque.pdf", "/bon",
                 "/status/503"]
        site.page("/liste", listing(links))
        other = Source(id="other", name="Other", homepage="http://127.0.0.3:9/", private_hosts=["127.0.0.3"],
                       feeds=["http://127.0.0.3:9/flux"])  # nothing listens there: a source-level failure
        mini = Source(id="faulty", name="Faulty", homepage=server.url("/"), private_hosts=["127.0.0.1"],
                      feeds=[server.url("/flux-casse")], start_urls=[server.url("/liste")])
        services, runner = crawl_setup(tmp_path, mini, other, max_html_bytes=100_000, max_retries=1,
                                       connect_timeout=1.0)
        try:
            report = runner.run()
            t = totals(report)
            assert report.status == "completed" and t["new"] == 1, report.to_json()
            reasons = {(e["url"].replace(server.url(""), ""), e["stage"]): e["error"] for e in t["errors"]}
            assert reasons[("/status/500", "fetch")] == "HTTP 500"
            assert reasons[("/status/429", "fetch")] == "HTTP 429"
            assert reasons[("/status/503", "fetch")] == "HTTP 503"
            assert reasons[("/redirect-loop/a", "fetch")] == "redirect loop"
            assert reasons[("/bytes?n=300000", "fetch")].startswith("too large")
            assert reasons[("/tronque.pdf", "parse")].startswith("PDF: broken")
            assert reasons[("/flux-casse", "parse")].startswith("broken feed")
            assert reasons[("http://127.0.0.3:9/flux", "fetch")].startswith("connection error")
            with services.db.session() as session:
                rows = session.scalars(select(CrawlError).where(CrawlError.run_id == report.run_id)).all()
                assert len(rows) == len(t["errors"]) == 8
                assert {(r.source_id, r.stage) for r in rows} >= {("faulty", "parse"), ("other", "fetch")}
                counts = {r.source_id: r.error_count for r in session.scalars(select(CrawlRunSource))}
                assert counts == {"faulty": 7, "other": 1}
                # Every request of « other » failed: that source failed, the run as a whole did not.
                statuses = {r.source_id: r.status for r in session.scalars(select(CrawlRunSource))}
                assert statuses == {"faulty": "completed", "other": "failed"}
                assert session.get(CrawlRun, report.run_id).status == "completed"
        finally:
            runner.close()
            services.close()


def test_crawl_delay_beyond_the_cap_postpones_the_source(tmp_path):
    with FaultyServer(robots="User-agent: *\nCrawl-delay: 600\n") as slow, FaultyServer(host="127.0.0.2") as fine:
        for srv in (slow, fine):
            site = MiniSite(srv)
            site.page("/liste", listing(["/a"]))
            site.page("/a", article("a" + srv.host))
        sources = [Source(id=f"s{n}", name="S", homepage=srv.url("/"), private_hosts=["127.0.0.1", "127.0.0.2"],
                          start_urls=[srv.url("/liste")]) for n, srv in enumerate((slow, fine))]
        services, runner = crawl_setup(tmp_path, *sources, max_crawl_delay=60.0)
        try:
            report = runner.run()
            postponed, done = report.sources
            assert postponed.status == "postponed" and done.status == "completed" and done.new == 1
            [error] = postponed.errors
            assert error["stage"] == "robots" and "Crawl-delay 600 s > max_crawl_delay 60 s" in error["error"]
            assert slow.paths() == ["/robots.txt"]  # nothing else was asked of the slow host
            # Fetches that land on such a host anyway (a redirect, an attachment) fail fast instead of sleeping.
            res = runner.fetcher.fetch(slow.url("/a"), source=sources[1])
            assert res.error and "postponed" in res.error
            with services.db.session() as session:
                statuses = {r.source_id: r.status for r in session.scalars(select(CrawlRunSource))}
            assert statuses == {"s0": "postponed", "s1": "completed"}
        finally:
            runner.close()
            services.close()


def test_a_crawl_whose_requests_all_failed_is_failed(tmp_path):
    dead = Source(id="dead", name="Dead", homepage="http://127.0.0.3:9/", private_hosts=["127.0.0.3"],
                  feeds=["http://127.0.0.3:9/flux"])  # nothing listens there
    services, runner = crawl_setup(tmp_path, dead, max_retries=0, connect_timeout=1.0)
    try:
        report = runner.run()
        assert report.status == "failed" and report.sources[0].status == "failed"
        with services.db.session() as session:
            assert session.get(CrawlRun, report.run_id).status == "failed"
    finally:
        runner.close()
        services.close()
