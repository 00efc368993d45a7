"""Discovery and incremental crawling through CrawlRunner against small loopback sites (tests/minisite.py):
feed autodiscovery, sitemaps (robots.txt, /sitemap.xml, indexes, gzip, lastmod), per-source limits, unsupported
types, X-Robots-Tag, feed entries whose ``updated`` changes."""

from __future__ import annotations

import pytest
from faulty_server import FaultyServer
from minisite import MiniSite, article, crawl_setup, listing, make_pdf, totals

from crpv_watch.crawl.sitemaps import normalize_lastmod, parse_sitemap
from crpv_watch.sources.load import Source


@pytest.fixture
def server():
    with FaultyServer(robots="User-agent: *\nDisallow: /private/\n") as srv:
        yield srv


def source(server, **kw) -> Source:
    return Source(id=kw.pop("id", "mini"), name="Mini", homepage=server.url("/"), private_hosts=["127.0.0.1"], **kw)


def run(runner):
    report = runner.run()
    return report, totals(report)


def test_feed_autodiscovery_from_the_homepage(tmp_path, server):
    site = MiniSite(server)
    site.page("/", listing(["/a"], head=f"<link rel='alternate' type='application/atom+xml' href='{site.base}/flux'>"))
    site.rss("/flux", [("/a", "2024-05-01T08:00:00Z"), ("/b", "2024-05-02T08:00:00Z")])
    site.page("/a", article("a"))
    site.page("/b", article("b"))
    services, runner = crawl_setup(tmp_path, source(server))
    try:
        report, t = run(runner)
        assert t["new"] == 2 and not t["errors"], report.to_json()
        assert report.documents_total == 2
        assert server.requests_for("/sitemap.xml") == []  # a feed was found: no sitemap fallback
        # Second run: the homepage answers 200 again but the feed's entries keep their stamps: no refetch.
        before = len(server.requests_for("/a"))
        _, t = run(runner)
        assert t["unchanged"] == 2 and len(server.requests_for("/a")) == before
    finally:
        runner.close()
        services.close()


def test_sitemaps_from_robots_index_gzip_scope_and_lastmod(tmp_path):
    robots = "User-agent: *\nDisallow: /private/\nSitemap: {base}/sitemap_index.xml\n"
    with FaultyServer() as server:
        site = MiniSite(server)
        server.robots = robots.format(base=site.base)
        site.sitemap("/sitemap_index.xml", [("/sitemap-posts.xml.gz", "2024-06-01"), ("/sitemap-pages.xml", "")],
                     index=True)
        posts = [("/a", "2024-05-01"), ("/b", ""), ("/tag/quartiers/", "2024-05-01"), ("/private/c", ""),
                 ("/exclu/d", ""), ("http://127.0.0.9:9/ailleurs", "2024-05-01"), ("/rapport.xlsx", "")]
        site.sitemap("/sitemap-posts.xml.gz", posts, gz=True)
        site.sitemap("/sitemap-pages.xml", [("/", "2024-01-01"), ("/pdf/guide.pdf", "2024-04-01T10:00:00+02:00")])
        site.page("/", listing([]))  # no feed to autodiscover
        for key in ("a", "b"):
            site.page(f"/{key}", article(key))
        site.page("/pdf/guide.pdf", make_pdf("guide"), "application/pdf")
        services, runner = crawl_setup(tmp_path, source(server, feeds=[], sitemaps=True, exclude=["/exclu/"]))
        try:
            report, t = run(runner)
            assert t["new"] == 3 and not t["errors"], report.to_json()
            # robots-disallowed and unsupported URLs are skipped; off-host, tag and excluded ones never candidates
            assert t["skipped_reasons"] == {"robots": 1, "unsupported type": 1}
            assert not server.requests_for("/rapport.xlsx") and not server.requests_for("/exclu/d")
            assert not server.requests_for("/sitemap.xml")  # robots.txt named the sitemaps

            # Second run: /a and the PDF keep their lastmod: not requested; /b has none: refetched.
            _, t = run(runner)
            assert t["unchanged"] == 3 and t["new"] == 0
            assert len(server.requests_for("/a")) == 1 and len(server.requests_for("/pdf/guide.pdf")) == 1
            assert len(server.requests_for("/b")) == 2

            # A new lastmod: fetched again (and its new text is an update).
            posts[0] = ("/a", "2024-07-01")
            site.sitemap("/sitemap-posts.xml.gz", posts, gz=True)
            site.page("/a", article("a", extra="<p>Mise à jour : le bilan complet de l’action est en ligne.</p>"))
            _, t = run(runner)
            assert t["updated"] == 1 and len(server.requests_for("/a")) == 2
        finally:
            runner.close()
            services.close()


def test_sitemap_fallback_for_a_homepage_only_source(tmp_path, server):
    site = MiniSite(server)
    site.page("/", listing([]))  # no feed advertised, no start_urls: /sitemap.xml is the last resort
    services, runner = crawl_setup(tmp_path, source(server))
    try:
        report, t = run(runner)
        assert t["new"] == 0 and not t["errors"], report.to_json()  # no sitemap either: not an error
        assert len(server.requests_for("/sitemap.xml")) == 1
        site.sitemap("/sitemap.xml", [("/a", "2024-05-01")])
        site.page("/a", article("a"))
        report, t = run(runner)
        assert t["new"] == 1 and not t["errors"], report.to_json()
    finally:
        runner.close()
        services.close()


def test_broken_declared_sitemap_is_an_error_of_the_run(tmp_path):
    with FaultyServer() as server:
        site = MiniSite(server)
        server.robots = f"User-agent: *\nSitemap: {site.base}/broken.xml\nSitemap: {site.base}/absent.xml\n"
        site.page("/", listing([]))
        site.page("/broken.xml", b"<html><body>pas un sitemap</body></html>", "text/xml")
        services, runner = crawl_setup(tmp_path, source(server, sitemaps=True))
        try:
            report, t = run(runner)
            assert {(e["url"].rsplit("/", 1)[1], e["stage"]) for e in t["errors"]} == {
                ("broken.xml", "parse"), ("absent.xml", "fetch")}
            assert report.sources[0].status == "completed"
        finally:
            runner.close()
            services.close()


def test_parse_sitemap_is_bounded_and_safe():
    xxe = (b"<?xml version='1.0'?><!DOCTYPE u [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
           b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc>http://h/&x;</loc></url>"
           b"<url><loc>http://h/ok</loc><lastmod>2024-05-02T10:00:00+02:00</lastmod></url></urlset>")
    parsed = parse_sitemap(xxe)
    assert [e.url for e in parsed.urls][-1] == "http://h/ok"
    assert all("root:" not in e.url for e in parsed.urls)
    assert parsed.urls[-1].lastmod == "2024-05-02T08:00:00+00:00"
    many = b"<urlset>" + b"".join(b"<url><loc>http://h/%d</loc></url>" % i for i in range(100)) + b"</urlset>"
    assert len(parse_sitemap(many, max_entries=10).urls) == 10
    assert len(parse_sitemap(many[: len(many) // 2]).urls) > 10  # cut at the size limit: entries before the cut
    assert parse_sitemap(b"<rss></rss>").error and parse_sitemap(b"").error
    assert normalize_lastmod("2024-05-02") == "2024-05-02T00:00:00+00:00" and normalize_lastmod("hier") == ""


def test_max_pages_and_max_depth(tmp_path, server):
    site = MiniSite(server)
    paths = [f"/doc{i}" for i in range(5)]
    site.page("/liste", listing(paths))
    for p in paths:
        site.page(p, article(p, links="<p><a href='/annexe.pdf'>L’annexe (PDF)</a></p>"))
    site.page("/annexe.pdf", make_pdf("annexe"), "application/pdf")
    services, runner = crawl_setup(tmp_path, source(server, id="limited", start_urls=[server.url("/liste")],
                                                    max_pages=3, max_depth=0))
    try:
        report, t = run(runner)
        assert t["new"] == 3 and t["skipped_reasons"] == {"limits": 2}, report.to_json()
        assert not server.requests_for("/annexe.pdf")  # depth 0: attachments are not followed
    finally:
        runner.close()
        services.close()
    services, runner = crawl_setup(tmp_path / "deep", source(server, id="deep", start_urls=[server.url("/liste")],
                                                             max_depth=1))
    try:
        report, t = run(runner)
        assert t["new"] == 6 and not t["skipped"], report.to_json()  # 5 pages + their shared PDF, fetched once
    finally:
        runner.close()
        services.close()


def test_changed_feed_stamp_is_refetched_and_x_robots_tag_is_honoured(tmp_path, server):
    site = MiniSite(server)
    site.rss("/flux", [("/a", "2024-05-01T08:00:00Z"), ("/cache", "2024-05-01T08:00:00Z")])
    site.page("/a", article("a"))
    site.page("/cache", article("cache"), headers={"X-Robots-Tag": "googlebot: nofollow, noindex"})
    services, runner = crawl_setup(tmp_path, source(server, feeds=[server.url("/flux")]))
    try:
        _, t = run(runner)
        assert t["new"] == 1 and t["skipped_reasons"] == {"noindex": 1}
        _, t = run(runner)
        assert t["unchanged"] == 1 and len(server.requests_for("/a")) == 1  # same stamp: no request at all
        site.rss("/flux", [("/a", "2024-06-01T08:00:00Z"), ("/cache", "2024-05-01T08:00:00Z")])
        site.page("/a", article("a", extra="<p>Mise à jour : le calendrier des ateliers a changé.</p>"))
        _, t = run(runner)
        assert t["updated"] == 1 and len(server.requests_for("/a")) == 2
        # A new stamp on an unchanged page (304 or same body): the stamp is kept, no request next time.
        site.rss("/flux", [("/a", "2024-06-02T08:00:00Z"), ("/cache", "2024-05-01T08:00:00Z")])
        _, t = run(runner)
        assert t["unchanged"] == 1 and len(server.requests_for("/a")) == 3
        _, t = run(runner)
        assert t["unchanged"] == 1 and len(server.requests_for("/a")) == 3
    finally:
        runner.close()
        services.close()
