"""The bundled demo network: served over real HTTP on loopback, checked against its own manifest."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import time
import unicodedata
import urllib.robotparser
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import feedparser
import httpx
import pypdf
import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import free_demo_port

from crpv_watch.demo import DemoNetwork
from crpv_watch.demo import pdfs as demo_pdfs
from crpv_watch.demo.compose import build_docs
from crpv_watch.settings import PACKAGE_DATA, PROJECT_ROOT
from crpv_watch.sources.load import load_sources

PORT = free_demo_port()  # not 8800: a running `make run` (or another test run) must not collide
PAGINATION_CLASSES = {"page-numbers", "lien_pagination", "pager__item", "next"}


@pytest.fixture(scope="module")
def net():
    started = time.perf_counter()
    network = DemoNetwork(port=PORT).start()
    network.startup_seconds = time.perf_counter() - started
    yield network
    network.stop()


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=20, trust_env=False) as c:
        yield c


@pytest.fixture(scope="module")
def manifest(net):
    return net.manifest


def decode(resp: httpx.Response) -> str:
    if "charset=" in resp.headers.get("content-type", ""):
        return resp.text
    head = resp.content[:1024].decode("ascii", "replace")
    match = re.search(r'charset=["\']?([\w-]+)', head)
    return resp.content.decode(match.group(1) if match else "utf-8")


def main_of(html: str):
    soup = BeautifulSoup(html, "lxml")
    return soup, soup.find("main")


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().replace("’", "'").replace("œ", "oe"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


def test_starts_fast_and_on_one_address_per_site(net, manifest):
    assert net.startup_seconds < 2.0
    hosts = [urlsplit(s["base_url"]).hostname for s in manifest["sites"]]
    assert hosts == ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"]
    assert {s["shape"] for s in manifest["sites"]} >= {"rss", "atom", "listing", "pdf"}


def test_manifest_counts(manifest):
    docs = manifest["documents"]
    assert len(docs) >= 60
    assert len({d["url"] for d in docs}) == len(docs)
    assert len({d["key_phrase"] for d in docs}) == len(docs)
    assert manifest["counts"]["documents"] == len(docs) == sum(s["documents"] for s in manifest["sites"])
    assert {d["reason"] for d in manifest["duplicates"]} == {"canonical", "same-text", "tracking-params"}
    assert {t["reason"] for t in manifest["traps"]} == {"robots", "noindex"}
    assert sorted(d["pages"] for d in docs if d["content_type"] == "application/pdf")[-1] == 20
    assert {s["source_id"] for s in manifest["sites"]} == {d["source_id"] for d in docs}
    for d in docs:
        dt.date.fromisoformat(d["published"])
        assert (d["pages"] is None) == (d["content_type"] == "text/html")


def test_every_theme_and_doctype_is_known_and_covered(manifest, shared_dir):
    themes = {t["id"] for t in yaml.safe_load((shared_dir / "domain" / "themes.yaml").read_text())["themes"]}
    doctypes = {t["id"] for t in yaml.safe_load((shared_dir / "domain" / "doctypes.yaml").read_text())["doctypes"]}
    used = {t for d in manifest["documents"] for t in d["themes"]}
    assert themes - used == set()
    assert used <= themes
    assert {d["type"] for d in manifest["documents"]} <= doctypes


def test_documents_use_the_vocabulary_of_their_themes():
    """Each document contains at least one keyword of each theme the manifest gives it (what a tagger sees)."""
    vocab = {t["id"]: [fold(k) for k in t["keywords"]] + list(t.get("acronyms") or [])
             for t in yaml.safe_load((PACKAGE_DATA / "themes.yaml").read_text())["themes"]}
    for doc in build_docs():
        raw = " ".join([doc.title, doc.lead] + [p for _, ps in doc.sections + doc.pdf_pages for p in ps])
        text = fold(raw)
        for theme in doc.themes:
            hits = [k for k in vocab[theme] if (k in raw if k.isupper() else re.search(rf"\b{re.escape(k)}", text))]
            assert hits, f"{doc.key}: no keyword of {theme}"


def test_documents_are_not_near_duplicates_of_each_other():
    docs = [d for d in build_docs() if not d.republished_from]
    shingles = {}
    for d in docs:
        words = fold(" ".join([d.lead] + [p for _, ps in d.sections + d.pdf_pages for p in ps])).split()
        shingles[d.key] = {tuple(words[i:i + 4]) for i in range(len(words) - 3)}
    for a, b in itertools.combinations(docs, 2):
        sa, sb = shingles[a.key], shingles[b.key]
        assert len(sa & sb) / len(sa | sb) < 0.5, (a.key, b.key)  # Jaccard of 4-word shingles


def test_every_document_is_served_with_its_key_phrase(net, manifest, client):
    chrome_words = [w.lower() for w in manifest["chrome_words"]]
    seen_chrome = set()
    for doc in manifest["documents"]:
        resp = client.get(doc["url"])
        assert resp.status_code == 200, doc["url"]
        assert resp.headers["content-type"].split(";")[0] == doc["content_type"]
        assert resp.headers["etag"] and resp.headers["last-modified"]
        if doc["content_type"] == "application/pdf":
            reader = pypdf.PdfReader(io.BytesIO(resp.content))
            assert len(reader.pages) == doc["pages"] >= 1
            assert reader.metadata.title == doc["title"]
            assert reader.metadata.creation_date.date().isoformat() == doc["published"]
            text = " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())
            assert doc["key_phrase"] in text, doc["url"]
            for char in "œ’«»":
                assert char in text or char not in doc["title"]
            continue
        html = decode(resp)
        soup, main = main_of(html)
        article = main.find("article")
        assert doc["key_phrase"] in " ".join(article.get_text(" ").split()), doc["url"]
        assert article.find("h1").get_text(strip=True) == doc["title"]
        assert soup.title.get_text().startswith(doc["title"]) and soup.title.get_text() != doc["title"]
        main_text = main.get_text(" ").lower()
        page_text = soup.get_text(" ").lower()
        for word in chrome_words:
            assert word not in main_text, (word, doc["url"])
            if word in page_text:
                seen_chrome.add(word)
    assert seen_chrome == set(chrome_words)


def _main_links(url: str, html: str) -> tuple[list[str], str | None]:
    soup, main = main_of(html)
    links, nxt = [], None
    head_next = soup.find("link", rel="next")
    if head_next:
        nxt = urljoin(url, head_next["href"])
    for a in main.find_all("a", href=True):
        href = urljoin(url, a["href"]).split("#")[0]
        classes = set(a.get("class") or []) | set(a.parent.get("class") or [])
        if "next" in (a.get("rel") or []) or a.get_text(strip=True) in ("Page suivante", "Suivant ›"):
            nxt = nxt or href
        if classes & PAGINATION_CLASSES or a.find_parent("nav") or a.find_parent(class_="pagination"):
            continue
        links.append(href)
    return links, nxt


def test_crawl_semantics_reach_exactly_the_manifest(net, manifest, client):
    """Feed entries, start_urls listings (and their pagination), PDFs in documents' main content."""
    candidates = set()
    pages_seen = set()
    for site in manifest["sites"]:
        for feed in site["feeds"]:
            parsed = feedparser.parse(client.get(feed).content)
            assert parsed.entries and not parsed.bozo
            for entry in parsed.entries:
                candidates.add(entry.link)
                candidates.update(link.href for link in entry.get("links", []) if link.get("rel") == "enclosure")
        for url in site["start_urls"]:
            while url and url not in pages_seen:
                pages_seen.add(url)
                resp = client.get(url)
                links, url = _main_links(str(resp.url), decode(resp))
                candidates.update(links)
    documents = {d["url"] for d in manifest["documents"]}
    for url in list(candidates):
        if url in documents and not url.endswith(".pdf"):
            candidates.update(u for u in _main_links(url, decode(client.get(url)))[0] if u.endswith(".pdf"))
    expected = documents | {d["url"] for d in manifest["duplicates"]} | {t["url"] for t in manifest["traps"]}
    expected -= {d["url"] for d in manifest["duplicates"] if d["reason"] == "same-text"} - candidates
    assert candidates == expected
    assert pages_seen <= set(manifest["hubs"])
    for hub in manifest["hubs"] + manifest["chrome_pages"]:
        resp = client.get(hub)
        assert resp.status_code == 200, hub
        if "html" in resp.headers["content-type"]:
            main = main_of(decode(resp))[1].get_text(" ").lower()
            assert not [w for w in manifest["chrome_words"] if w.lower() in main], hub


def test_duplicates_and_traps_are_marked(net, manifest, client):
    dup = {d["reason"]: d for d in manifest["duplicates"]}
    canonical = BeautifulSoup(decode(client.get(dup["canonical"]["url"])), "lxml").find("link", rel="canonical")
    assert canonical["href"] == dup["canonical"]["duplicate_of"]
    tracked = client.get(dup["tracking-params"]["url"])
    assert "utm_source=" in dup["tracking-params"]["url"]
    assert tracked.content == client.get(dup["tracking-params"]["duplicate_of"]).content
    copy, original = (main_of(decode(client.get(dup["same-text"][k])))[1].find("article")
                      for k in ("url", "duplicate_of"))
    assert str(copy) == str(original)
    assert urlsplit(dup["same-text"]["url"]).hostname != urlsplit(dup["same-text"]["duplicate_of"]).hostname
    robots = {}
    for site in manifest["sites"]:
        robots[site["source_id"]] = urllib.robotparser.RobotFileParser()
        robots[site["source_id"]].parse(client.get(site["base_url"] + "/robots.txt").text.splitlines())
    for trap in manifest["traps"]:
        assert robots[trap["source_id"]].can_fetch("crpv-watch", trap["url"]) == (trap["reason"] != "robots")
        if trap["reason"] == "noindex":
            resp = client.get(trap["url"])
            assert "noindex" in resp.headers.get("x-robots-tag", "") or \
                BeautifulSoup(decode(resp), "lxml").find("meta", attrs={"name": "robots", "content": re.compile("noindex")})
    for doc in manifest["documents"]:
        assert robots[doc["source_id"]].can_fetch("crpv-watch", doc["url"]), doc["url"]


def test_windows_1252_with_charset_in_header_or_meta_only(manifest, client):
    spip = [d["url"] for d in manifest["documents"] if d["source_id"] == "demo-carrefour-quartiers"]
    in_header = in_meta = 0
    for url in spip:
        resp = client.get(url)
        assert "é".encode("cp1252") in resp.content and "é".encode() not in resp.content
        if "windows-1252" in resp.headers["content-type"]:
            in_header += 1
        else:
            assert b'charset=windows-1252">' in resp.content[:600]
            in_meta += 1
    assert in_header and in_meta


def test_conditional_requests_get_304(net, manifest, client):
    url = manifest["documents"][0]["url"]
    first = client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    older = format_datetime(parsedate_to_datetime(modified) - dt.timedelta(days=1), usegmt=True)
    assert client.get(url, headers={"If-Modified-Since": older}).status_code == 200
    assert client.get(url, headers={"If-None-Match": '"autre"'}).status_code == 200
    hub = manifest["sites"][0]["feeds"][0]
    assert client.get(hub, headers={"If-None-Match": client.get(hub).headers["etag"]}).status_code == 304
    logged = [r for r in net.requests if r["path"] == urlsplit(url).path and r["status"] == 304]
    assert logged and logged[-1]["host"] == urlsplit(url).hostname and logged[-1]["method"] == "GET"
    assert {"if_none_match", "if_modified_since", "time"} <= set(logged[-1])


def test_set_status_change_and_reset(net, manifest, client):
    url = manifest["documents"][3]["url"]
    before = client.get(url)
    net.set_status(url, 404)
    assert client.get(url).status_code == 404
    net.set_status(url, 410)
    assert client.get(url).status_code == 410
    net.set_status(url, None)
    assert client.get(url).status_code == 200
    pdf = next(d["url"] for d in manifest["documents"] if d["pages"] == 1)
    for target in (url, pdf):
        old = client.get(target)
        net.change(target)
        new = client.get(target)
        assert new.headers["etag"] != old.headers["etag"]
        assert parsedate_to_datetime(new.headers["last-modified"]) > parsedate_to_datetime(old.headers["last-modified"])
        assert client.get(target, headers={"If-None-Match": old.headers["etag"]}).status_code == 200
    net.set_status(url, 410)
    net.reset()
    after = client.get(url)
    assert after.status_code == 200 and after.headers["etag"] == before.headers["etag"]


def test_publish_new_adds_to_feed_and_listing(net, manifest, client):
    site = next(s for s in manifest["sites"] if s["shape"] == "rss")
    try:
        added = net.publish_new()
        assert len(added) == 1 and added[0]["published"] == dt.date.today().isoformat()
        assert net.manifest["counts"]["documents"] == manifest["counts"]["documents"] + 1
        feed = feedparser.parse(client.get(site["feeds"][0]).content)
        assert feed.entries[0].link == added[0]["url"]
        assert added[0]["url"] in _main_links(site["start_urls"][0], decode(client.get(site["start_urls"][0])))[0]
        resp = client.get(added[0]["url"])
        assert resp.status_code == 200 and added[0]["key_phrase"] in decode(resp)
        second = net.publish_new()
        assert second[0]["url"] != added[0]["url"] and second[0]["key_phrase"] != added[0]["key_phrase"]
    finally:
        net.reset()
    assert net.manifest == manifest


def test_two_networks_serve_identical_bytes(net):
    other = DemoNetwork(port=PORT)
    for site, routes in net._routes.items():
        for path in routes:
            assert net.respond(site, path)[2] == other.respond(site, path)[2], path
    doc = next(d for d in build_docs() if d.key == "D06")
    assert demo_pdfs._build(doc, ()) == demo_pdfs._build(doc, ())


def test_committed_sources_file_matches(tmp_path):
    committed = PROJECT_ROOT / "sources.demo.yaml"
    assert committed.read_text(encoding="utf-8") == DemoNetwork(port=8800).sources_yaml()
    sources = load_sources(committed)
    assert len(sources) == 5 and all(s.private_hosts and s.id.startswith("demo-") for s in sources)
    assert all(s.feeds or s.start_urls for s in sources)
    assert DemoNetwork(port=PORT).write_sources(tmp_path / "s.yaml").read_text().count(f":{PORT}/") >= 10
