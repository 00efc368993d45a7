"""Issue 13, findings 1 and 8, through the editors' web pages served over HTTP, the Tester and a crawl.

- A source allowed some private hosts: an editor can no longer repoint it (form and Tester), the permission lets
  through the hosts it names and no other, and link-local / metadata / unique-local addresses stay refused
  whatever it names (a stub resolver stands in for DNS: no traffic ever leaves loopback).
- A « billion laughs » feed is refused before feedparser expands it; an editor's pattern such as ``(a+)+$``
  runs in linear time, and a pattern RE2 cannot run is refused with a clear message.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape

import httpx
import pytest
from editors_support import ADMIN, EDITOR, make_app, make_services
from faulty_server import FaultyServer
from minisite import listing
from werkzeug.serving import make_server

from crpv_watch.crawl import ssrf
from crpv_watch.crawl.parse_feed import parse_feed

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
]>
<rss version="2.0"><channel><title>&lol7;</title><link>http://x/</link><description>d</description>
<item><title>&lol7;</title><link>http://x/a</link></item></channel></rss>"""

# Names a stub resolver maps: the metadata service, a unique-local address, and two loopback "intranet" hosts.
STUB_DNS = {"metadonnees.interne": ["169.254.169.254"], "ula.interne": ["fd00::1"],
            "intranet-a.interne": ["127.0.0.1"], "intranet-b.interne": ["127.0.0.2"]}


def stub_resolver(host: str) -> list[str]:
    return STUB_DNS.get(host, ["93.184.215.14"])  # a "public" answer never contacted in these tests


@contextmanager
def served(svc) -> Iterator[str]:
    app = make_app(svc)
    app.config["CRPV_RESOLVER"] = stub_resolver
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextmanager
def signed_in(base: str, account: tuple[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=60) as http:
        token = csrf(http, "/connexion")
        assert http.post("/connexion", data={"email": account[0], "password": account[1], "csrf_token": token,
                                             "next": ""}).status_code == 302
        yield http


def csrf(http: httpx.Client, path: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', http.get(path).text).group(1)


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error-text" id="{field}-error">(.*?)</p>', html, re.S)
    return unescape(match.group(1)) if match else ""


def edit(http: httpx.Client, source_id: str, button: str = "save", **values) -> httpx.Response:
    data = {"csrf_token": csrf(http, f"/editeurs/sources/{source_id}/modifier"), "id": source_id,
            "name": "Intranet", "region": "84", "schedule": "daily", "enabled": "y", button: "x", **values}
    return http.post(f"/editeurs/sources/{source_id}/modifier", data=data)


@pytest.fixture
def intranet():
    with FaultyServer() as a, FaultyServer(host="127.0.0.2") as b:
        for server, name in ((a, "A"), (b, "B")):
            server.route("/", lambda r, name=name: r.send(200, f"<html><title>Hôte {name}</title></html>".encode()))
            server.route("/feed/", lambda r: r.send(200, b"<rss version='2.0'><channel><title>f</title></channel>"
                                                          b"</rss>", "application/rss+xml"))
        yield a, b


def test_only_an_admin_repoints_a_private_source_and_only_to_named_hosts(tmp_path, intranet):
    a, b = intranet
    sources = (f"sources:\n  - id: intranet\n    name: Intranet\n    homepage: \"{a.url('/', 'intranet-a.interne')}\"\n"
               f"    region: \"84\"\n    feeds: [\"{a.url('/feed/', 'intranet-a.interne')}\"]\n"
               f"    private_hosts: [intranet-a.interne]\n")
    svc = make_services(tmp_path, sources)
    before = svc.settings.sources_path.read_text(encoding="utf-8")
    other = {"homepage": b.url("/", "intranet-b.interne"), "feeds": b.url("/feed/", "intranet-b.interne")}
    with served(svc) as base:
        with signed_in(base, EDITOR) as editor:
            for button in ("test", "save"):
                resp = edit(editor, "intranet", button, **other)
                assert resp.status_code == 400
                assert "seul un administrateur" in field_error(resp.text, "homepage")
        assert b.log == [], "the Tester fetched the other internal host for an editor"
        assert svc.settings.sources_path.read_text(encoding="utf-8") == before

        with signed_in(base, ADMIN) as admin:
            # An admin repointing it still needs to name the new host: the permission is per host.
            resp = edit(admin, "intranet", "test", private_hosts="intranet-a.interne", **other)
            assert resp.status_code == 400 and "adresse 127.0.0.2" in field_error(resp.text, "homepage")
            assert b.log == []
            resp = edit(admin, "intranet", "test", private_hosts="intranet-b.interne", **other)
            assert resp.status_code == 200 and "Hôte B" in unescape(resp.text)
            # Link-local (metadata) and unique-local addresses stay refused, even named.
            for host in ("metadonnees.interne", "ula.interne"):
                resp = edit(admin, "intranet", "test", private_hosts=host, homepage=f"http://{host}/",
                            feeds=f"http://{host}/feed/")
                assert resp.status_code == 400 and "jamais autorisée" in field_error(resp.text, "homepage"), host
    svc.close()


@pytest.mark.parametrize("address", ["169.254.169.254", "fe80::1", "fd00:ec2::254", "100.100.100.200",
                                     "::ffff:169.254.169.254"])
def test_the_guard_refuses_metadata_ranges_whatever_the_allow_list(address):
    with pytest.raises(ssrf.AddressRefused):
        ssrf.check_host("h.interne", lambda _h: [address], frozenset({"h.interne"}))
    assert ssrf.check_host("h.interne", lambda _h: ["10.1.2.3"], frozenset({"h.interne"})) == ["10.1.2.3"]
    with pytest.raises(ssrf.AddressRefused):
        ssrf.check_host("autre.interne", lambda _h: ["10.1.2.3"], frozenset({"h.interne"}))


def test_an_entity_bomb_feed_is_refused_before_feedparser(tmp_path):
    started = time.process_time()
    feed = parse_feed("http://x/feed", BILLION_LAUGHS)
    cpu = time.process_time() - started
    assert feed.entries == [] and "declares XML entities" in feed.bozo
    assert cpu < 1.0, f"{cpu:.2f} s of CPU for an 1 kB feed"  # 4.4 s when feedparser expanded it

    with FaultyServer() as site:
        site.route("/feed/", lambda r: r.send(200, BILLION_LAUGHS, "application/rss+xml"))
        site.route("/", lambda r: r.send(200, b"<html><title>Accueil</title></html>"))
        svc = make_services(tmp_path)
        with served(svc) as base, signed_in(base, ADMIN) as admin:
            resp = admin.post("/editeurs/sources/nouvelle", data={
                "csrf_token": csrf(admin, "/editeurs/sources/nouvelle"), "id": "bombe", "name": "Bombe",
                "homepage": site.url("/"), "feeds": site.url("/feed/"), "region": "84", "schedule": "daily",
                "enabled": "y", "private_hosts": "127.0.0.1", "test": "Tester"})
        assert resp.status_code == 200 and "declares XML entities" in unescape(resp.text)
        svc.close()


def test_editor_patterns_run_in_linear_time_or_are_refused(tmp_path):
    slow_url = "/" + "a" * 60 + "!"
    with FaultyServer() as site:
        site.route("/", lambda r: r.send(200, b"<html><title>Accueil</title></html>"))
        site.route("/liste/", lambda r: r.send(200, listing([slow_url, "/doc-normal", "/doc-aaa"])))
        svc = make_services(tmp_path)
        with served(svc) as base, signed_in(base, ADMIN) as admin:
            def tester(exclude: str) -> httpx.Response:
                return admin.post("/editeurs/sources/nouvelle", data={
                    "csrf_token": csrf(admin, "/editeurs/sources/nouvelle"), "id": "motifs", "name": "Motifs",
                    "homepage": site.url("/"), "start_urls": site.url("/liste/"), "region": "84",
                    "schedule": "daily", "enabled": "y", "private_hosts": "127.0.0.1", "exclude": exclude,
                    "test": "Tester"}, timeout=30)

            # Backtracking would take longer than the universe's age on the 60 « a » followed by « ! »; RE2
            # answers at once, and still excludes what the pattern matches (/doc-aaa).
            resp = tester("(a+)+$")
            assert resp.status_code == 200 and "2 documents candidats" in unescape(resp.text)
            refused = tester("(a)\\1")
            assert refused.status_code == 400 and "RE2" in field_error(refused.text, "exclude")
        svc.close()
