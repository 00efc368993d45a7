"""The Atom feed of a search (read back with feedparser) and the OpenSearch description."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser
import pytest
from test_web_search import HOSTILE, build_services

from crpv_watch.web.app import create_app

OS = "{http://a9.com/-/spec/opensearch/1.1/}"


def parse(client, path: str):
    resp = client.get(path)
    assert resp.status_code == 200
    assert resp.mimetype == "application/atom+xml"
    feed = feedparser.parse(resp.get_data())
    assert not feed.bozo, feed.get("bozo_exception")
    return resp, feed


def test_feed_of_a_search_newest_first(client, services):
    base = services.settings.base_url.rstrip("/")
    _resp, feed = parse(client, "/search.atom?theme=participation_habitants&sort=relevance&page=3")
    assert feed.version == "atom10"
    assert len(feed.entries) == 3  # the page and sort of the URL do not apply: all of them, newest first
    dates = [e.published for e in feed.entries]
    assert dates == sorted(dates, reverse=True)
    assert feed.feed.language == "fr"
    assert "Participation des habitants" in feed.feed.title
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == f"{base}/search.atom?theme=participation_habitants"
    assert links["alternate"] == f"{base}/?theme=participation_habitants"
    first = feed.entries[0]
    assert first.title == "Un jardin partagé au cœur du quartier"
    assert first.link.startswith(base + "/documents/") and first.id == first.link
    assert first.author == "Profession Banlieue"
    assert {t.term for t in first.tags} == {"participation_habitants", "transition_ecologique"}
    assert any(link.rel == "related" and link.href.startswith("http://127.0.0.1:9/") for link in first.links)


def test_feed_escapes_content(client):
    resp, feed = parse(client, "/search.atom?q=compost")
    raw = resp.get_data(as_text=True)
    assert "<script>" not in raw
    entry = feed.entries[0]
    assert entry.title.startswith(HOSTILE)  # the reader gets the text, as text
    # The highlighted snippet travels as escaped HTML (feedparser's sanitizer then drops <mark>, unknown to it).
    assert "&lt;mark&gt;compost&lt;/mark&gt;" in raw
    assert "compost" in entry.summary and "<script>" not in entry.summary


def test_feed_of_no_result_is_valid(client):
    _resp, feed = parse(client, "/search.atom?q=zzzzqqqq")
    assert feed.entries == [] and feed.feed.updated


def test_feed_links_follow_base_url(tmp_path):
    services = build_services(tmp_path, base_url="https://veille.example.org/crpv/")
    try:
        client = create_app(services=services).test_client()
        _resp, feed = parse(client, "/search.atom?q=jardin")
        assert all(e.link.startswith("https://veille.example.org/crpv/documents/") for e in feed.entries)
        description = ET.fromstring(client.get("/opensearch.xml").get_data())
        templates = [u.get("template") for u in description.findall(f"{OS}Url")]
        assert "https://veille.example.org/crpv/?q={searchTerms}" in templates
    finally:
        services.close()


@pytest.mark.parametrize("kind", ["text/html", "application/atom+xml", "application/json"])
def test_opensearch_description(client, services, kind):
    resp = client.get("/opensearch.xml")
    assert resp.mimetype == "application/opensearchdescription+xml"
    root = ET.fromstring(resp.get_data())
    assert root.tag == f"{OS}OpenSearchDescription"
    short = root.find(f"{OS}ShortName").text
    assert short and len(short) <= 16
    assert root.find(f"{OS}InputEncoding").text == "UTF-8"
    urls = {u.get("type"): u.get("template") for u in root.findall(f"{OS}Url")}
    template = urls[kind]
    assert template.startswith(services.settings.base_url.rstrip("/")) and "{searchTerms}" in template
    # The template works: filled in, it answers.
    path = template.replace(services.settings.base_url.rstrip("/"), "").replace("{searchTerms}", "jardin")
    assert client.get(path).status_code == 200
