"""The whole pipeline over real HTTP: the demo network crawled, stored, tagged, indexed and searched.

Counts are exact and come from the demo network's ground-truth manifest.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import fast_settings, free_demo_port

from crpv_watch.crawl.run import CrawlRunner
from crpv_watch.demo import DemoNetwork
from crpv_watch.search.types import SearchRequest
from crpv_watch.services import Services
from crpv_watch.store import repo
from crpv_watch.store.models import Document, Place
from crpv_watch.text.dedup import canonicalize

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)

DEMO_PORT = free_demo_port()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pipeline")
    network = DemoNetwork(port=DEMO_PORT)
    network.start()
    sources = tmp / "sources.yaml"
    network.write_sources(sources)
    services = Services(fast_settings(tmp, sources_path=sources))
    runner = CrawlRunner(services)
    report = runner.run()
    yield network, services, runner, report
    runner.close()
    services.close()
    network.stop()


def crawl(runner):
    return runner.run()


def search(services, q="", **filters):
    return services.engine.search(SearchRequest(q=q, per_page=100, **filters))


def totals(report):
    keys = ("new", "updated", "unchanged", "duplicates", "skipped", "removed")
    out = {k: sum(getattr(s, k) for s in report.sources) for k in keys}
    out["errors"] = sum(len(s.errors) for s in report.sources)
    return out


def test_first_crawl_finds_every_document_once(demo):
    network, services, _, report = demo
    manifest = network.manifest
    expected = len(manifest["documents"])
    assert expected >= 60
    assert report.status == "completed"
    assert report.documents_total == expected
    assert search(services).total == expected
    counts = totals(report)
    assert counts["new"] == expected, report.to_json()
    assert counts["errors"] == 0, [s.errors for s in report.sources]
    merged = [d for d in manifest["duplicates"] if d["reason"] != "tracking-params"]
    assert counts["duplicates"] == len(merged)
    assert counts["skipped"] == len(manifest["traps"])


def test_every_manifest_document_is_stored_with_its_title_and_date(demo):
    network, services, _, _ = demo
    wrong = []
    with services.db.session() as session:
        for expected in network.manifest["documents"]:
            place = repo.place_by_url(session, canonicalize(expected["url"]))
            if place is None:
                wrong.append((expected["url"], "missing"))
                continue
            doc = place.document
            if doc.title != expected["title"]:
                wrong.append((expected["url"], "title", doc.title, expected["title"]))
            want = dt.date.fromisoformat(expected["published"]) if expected["published"] else None
            if doc.published != want:
                wrong.append((expected["url"], "published", doc.published, want))
            if doc.source_id != expected["source_id"]:
                wrong.append((expected["url"], "centre", doc.source_id, expected["source_id"]))
    assert not wrong, wrong


def test_traps_and_chrome_stay_out_of_the_index(demo):
    network, services, _, _ = demo
    for word in network.manifest["chrome_words"]:
        assert search(services, f"exact:{word}").total == 0, word  # exact: the word itself, not its close forms
    with services.db.session() as session:
        for trap in network.manifest["traps"]:
            assert repo.place_by_url(session, canonicalize(trap["url"])) is None, trap
        for hub in network.manifest["hubs"]:
            assert repo.place_by_url(session, canonicalize(hub)) is None, hub


def test_key_phrases_find_their_document(demo):
    network, services, _, _ = demo
    missed = []
    for doc in network.manifest["documents"]:
        res = search(services, f'"{doc["key_phrase"]}"')
        urls = {canonicalize(h.url) for h in res.results} | {
            canonicalize(p["url"]) for h in res.results for p in h.found_at}
        if canonicalize(doc["url"]) not in urls:
            missed.append(doc["key_phrase"])
    assert not missed


def test_duplicates_list_every_place(demo):
    network, services, _, _ = demo
    with services.db.session() as session:
        for dup in network.manifest["duplicates"]:
            original = repo.place_by_url(session, canonicalize(dup["duplicate_of"]))
            assert original is not None, dup
            urls = {p.url for p in original.document.places}
            if dup["reason"] != "tracking-params":
                assert canonicalize(dup["url"]) in urls, dup
        assert session.query(Document).count() == len(network.manifest["documents"])


def test_facets_cover_every_theme_and_centre(demo):
    network, services, _, _ = demo
    res = search(services)
    centres = {f.value for f in res.facets["centre"]}
    assert centres == {s["source_id"] for s in network.manifest["sites"]}
    themes = {f.value for f in res.facets["theme"] if f.count}
    assert len(themes) >= 20
    years = {f.value for f in res.facets["year"]}
    assert all(len(y) == 4 and y.isdigit() for y in years)


def test_french_search_finds_plural_and_unaccented_forms(demo):
    _, services, _, _ = demo
    accented = search(services, "développement économique").total
    assert accented > 0
    assert search(services, "developpement economique").total == accented
    assert search(services, "conseil citoyen").total == search(services, "conseils citoyens").total > 0


def test_second_crawl_changes_nothing_and_uses_conditional_requests(demo):
    network, services, runner, _ = demo
    before = len(network.requests)
    report = crawl(runner)
    counts = totals(report)
    assert counts["new"] == 0 and counts["updated"] == 0, report.to_json()
    assert counts["errors"] == 0
    statuses = [r["status"] for r in network.requests[before:]]
    assert 304 in statuses
    traps = {t["url"].split("/", 3)[3] for t in network.manifest["traps"]}
    refetched = [r["path"] for r in network.requests[before:]
                 if r["path"].endswith(".pdf") and r["status"] == 200 and r["path"].lstrip("/") not in traps]
    assert not refetched  # known PDFs answered 304
    assert report.documents_total == len(network.manifest["documents"])


def test_new_changed_and_gone_documents(demo):
    network, services, runner, _ = demo
    total = len(network.manifest["documents"])
    added = network.publish_new()
    report = crawl(runner)
    assert totals(report)["new"] == len(added)
    assert report.documents_total == total + len(added)
    assert search(services, f'exact:"{added[0]["key_phrase"]}"').total == 1

    listing_doc = next(d for d in network.manifest["documents"]
                       if d["content_type"] == "text/html" and d["source_id"] == "demo-carrefour-quartiers")
    network.change(listing_doc["url"])
    report = crawl(runner)
    assert totals(report)["updated"] == 1, report.to_json()

    network.set_status(listing_doc["url"], 404)
    report = crawl(runner)
    assert totals(report)["errors"] == 1 and totals(report)["removed"] == 0
    network.set_status(listing_doc["url"], 410)
    report = crawl(runner)
    assert totals(report)["removed"] == 1
    assert report.documents_total == total + len(added) - 1
    with services.db.session() as session:
        place = session.query(Place).filter_by(url=canonicalize(listing_doc["url"])).one()
        assert place.document.status == "removed"  # kept in the store with its history
    network.reset()
