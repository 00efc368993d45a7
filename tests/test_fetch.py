"""The fetch stage through real HTTP on loopback (tests/faulty_server.py), and the SSRF guard with stub resolvers.

Every test runs under the autouse `connects` fixture: a socket that tries to connect anywhere but 127/8 or ::1 fails the test,
so a guard regression cannot reach a real network. Names other than IP literals always go through a stub resolver
(the system resolver is never asked, so no DNS traffic either).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import socket
import subprocess
import threading
import tracemalloc

import httpx
import pytest
from conftest import fast_settings
from faulty_server import HTML, LAST_MODIFIED, FaultyServer

from crpv_watch.crawl import ssrf
from crpv_watch.crawl.fetch import Fetcher, sniff
from crpv_watch.crawl.politeness import backoff, parse_retry_after
from crpv_watch.crawl.robots import product_token
from crpv_watch.sources.load import Source

# The hosts this test file's loopback servers are reached under; each must be listed to reach a private address.
LOCAL = Source(id="local", name="Loopback", homepage="http://127.0.0.1/",
               private_hosts=["127.0.0.1", "127.0.0.2", "centre.example", "www.centre.test"])
STRICT = Source(id="strict", name="Strict", homepage="http://127.0.0.2/")


@pytest.fixture(autouse=True)
def connects(monkeypatch):
    """Records every outgoing connection attempt; refuses (and fails the test on) any non-loopback one."""
    attempts: list[tuple] = []
    real_socket = socket.socket

    class LoopbackOnlySocket(real_socket):
        def connect(self, address):
            self._check(address)
            return super().connect(address)

        def connect_ex(self, address):
            self._check(address)
            return super().connect_ex(address)

        @staticmethod
        def _check(address):
            attempts.append(address)
            host = address[0] if isinstance(address, tuple) else address
            if not ipaddress.ip_address(host.split("%")[0]).is_loopback:
                raise AssertionError(f"test tried to connect to non-loopback {address}")

    monkeypatch.setattr(socket, "socket", LoopbackOnlySocket)
    return attempts


@pytest.fixture
def make_fetcher(tmp_path):
    made = []

    def make(resolver=None, **overrides):
        fetcher = Fetcher(fast_settings(tmp_path, **overrides), resolver=resolver or stub_resolver({}))
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()


@pytest.fixture
def server():
    with FaultyServer() as srv:
        yield srv


@pytest.fixture
def server2():
    with FaultyServer(host="127.0.0.2") as srv:
        yield srv


def stub_resolver(table: dict[str, list[str]], calls: list | None = None):
    def resolve(host: str) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise socket.gaierror(f"stub resolver: unknown host {host}")
        return table[host]
    return resolve


def starts(server, path):
    return [e.start for e in server.requests_for(path)]


# --- basics ---------------------------------------------------------------------------------------------------

def test_plain_get(make_fetcher, server):
    res = make_fetcher().fetch(server.url("/ok"), source=LOCAL)
    assert res.ok and res.status == 200 and res.body == HTML
    assert res.requests == 1 and res.final_url == res.url == server.url("/ok")
    assert res.content_type == "text/html" and res.encoding == "utf-8"
    assert res.headers["content-length"] == str(len(HTML))  # lower-cased names
    sent = server.requests_for("/ok")[0].headers
    assert sent["user-agent"].startswith("crpv-watch/") and "https://github.com/crpv-watch" in sent["user-agent"]
    assert sent["accept-encoding"] == "gzip, deflate"


def test_charset_from_header(make_fetcher, server):
    res = make_fetcher().fetch(server.url("/latin1"), source=LOCAL)
    assert res.encoding == "ISO-8859-1" and res.body.decode(res.encoding) == "<html><body>été</body></html>"


def test_conditional_get(make_fetcher, server):
    fetcher = make_fetcher()
    first = fetcher.fetch(server.url("/etag"), source=LOCAL)
    assert first.etag == '"v1"' and first.last_modified == LAST_MODIFIED
    by_etag = fetcher.fetch(server.url("/etag"), source=LOCAL, etag=first.etag)
    by_date = fetcher.fetch(server.url("/etag"), source=LOCAL, last_modified=first.last_modified)
    for res in (by_etag, by_date):
        assert res.not_modified and res.status == 304 and res.error is None and res.body == b""
    sent = server.requests_for("/etag")
    assert sent[1].headers["if-none-match"] == '"v1"' and sent[2].headers["if-modified-since"] == LAST_MODIFIED


# --- retries --------------------------------------------------------------------------------------------------

def test_500_then_200_is_retried(make_fetcher, server):
    res = make_fetcher().fetch(server.url("/500-then-200"), source=LOCAL)
    assert res.ok and res.requests == 2


def test_persistent_5xx_backs_off_then_gives_up(make_fetcher, server):
    res = make_fetcher(max_retries=2, retry_base_delay=0.05).fetch(server.url("/status/502"), source=LOCAL)
    assert res.error == "HTTP 502" and res.status == 502 and res.requests == 3
    t = starts(server, "/status/502")
    assert t[1] - t[0] >= 0.025 and t[2] - t[1] >= 0.05  # base·2^n, jitter ×0.5 at worst


def test_backoff_is_exponential_with_jitter():
    assert backoff(0, 3) == 0
    for attempt in range(4):
        assert 0.5 * 2 ** attempt <= backoff(1.0, attempt) <= 1.5 * 2 ** attempt


def test_429_retry_after_is_honoured(make_fetcher, server):
    res = make_fetcher().fetch(server.url("/429"), source=LOCAL)
    assert res.ok and res.requests == 2
    t = starts(server, "/429")
    assert t[1] - t[0] >= 0.95


def test_retry_after_beyond_cap_gives_up_and_closes_the_host(make_fetcher, server):
    fetcher = make_fetcher(retry_after_cap=2.0)
    res = fetcher.fetch(server.url("/503-long"), source=LOCAL)
    assert res.error == "retry later (Retry-After 3600 s)" and res.status == 503 and res.requests == 1
    again = fetcher.fetch(server.url("/ok"), source=LOCAL)  # the host asked for an hour: do not ask it again
    assert again.error.startswith("retry later") and again.requests == 0
    assert server.requests_for("/ok") == []


def test_retry_after_http_date():
    now = dt.datetime(2025, 1, 1, 10, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Wed, 01 Jan 2025 10:00:30 GMT", now=now) == 30
    assert parse_retry_after("Wed, 01 Jan 2025 09:00:00 GMT", now=now) == 0
    assert parse_retry_after("120") == 120 and parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_client_errors_are_not_retried(make_fetcher, server):
    fetcher = make_fetcher()
    first, second = (fetcher.fetch(server.url("/gone"), source=LOCAL) for _ in range(2))
    assert (first.status, first.error, first.requests) == (404, "HTTP 404", 1)
    assert (second.status, second.error, second.requests) == (410, "HTTP 410", 1)


def test_connection_refused_is_retried_then_reported(make_fetcher):
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    res = make_fetcher(max_retries=1).fetch(f"http://127.0.0.1:{port}/", source=LOCAL)
    assert res.status == 0 and res.error.startswith("connection error") and res.requests == 2


# --- timeouts and limits ----------------------------------------------------------------------------------------

def test_read_timeout_is_retried(make_fetcher, server):
    res = make_fetcher(read_timeout=0.2, max_retries=1).fetch(server.url("/delay?s=1"), source=LOCAL)
    assert res.error == "timeout" and res.requests == 2


def test_slow_drip_stops_at_total_timeout(make_fetcher, server):
    fetcher = make_fetcher(read_timeout=2.0, total_timeout=0.5)
    res = fetcher.fetch(server.url("/slow-drip?every=0.05&n=400"), source=LOCAL)
    assert res.error == "timeout (total 0.5 s)" and res.requests == 1  # too slow is not retried
    assert res.elapsed < 1.5


def test_endless_body_is_cut_at_the_limit(make_fetcher, server):
    res = make_fetcher(max_html_bytes=200_000).fetch(server.url("/endless"), source=LOCAL)
    assert res.error == "too large (> 200000 bytes)" and res.truncated and len(res.body) == 200_000


def test_declared_length_over_the_limit_is_refused_up_front(make_fetcher, server):
    res = make_fetcher(max_html_bytes=100_000).fetch(server.url("/bytes?n=300000"), source=LOCAL)
    assert res.error == "too large (> 100000 bytes)" and res.truncated and res.requests == 1


def test_limit_depends_on_kind(make_fetcher, server):
    fetcher = make_fetcher(max_html_bytes=100_000, max_pdf_bytes=1_000_000)
    assert fetcher.fetch(server.url("/stream-bytes?n=300000"), source=LOCAL, kind="pdf").ok
    feed = fetcher.fetch(server.url("/stream-bytes?n=300000"), source=LOCAL, kind="feed")
    assert feed.truncated and len(feed.body) == 100_000


@pytest.mark.parametrize("path", ["/gzip-bomb", "/deflate-bomb"])
def test_compression_bomb_is_stopped_by_the_decoded_size(make_fetcher, server, path):
    fetcher = make_fetcher(max_html_bytes=1_000_000)
    fetcher.fetch(server.url("/ok"), source=LOCAL)  # warm up (robots, pool) outside the measurement
    tracemalloc.start()
    try:
        res = fetcher.fetch(server.url(path), source=LOCAL)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.error == "too large (> 1000000 bytes)" and res.truncated and len(res.body) == 1_000_000
    assert peak < 12_000_000, f"decoded {peak} bytes in memory for a 1 MB limit"


# --- redirects --------------------------------------------------------------------------------------------------

def test_redirect_chain_is_followed(make_fetcher, server):
    res = make_fetcher().fetch(server.url("/chain/3"), source=LOCAL)
    assert res.ok and res.final_url == server.url("/chain/0") and res.url == server.url("/chain/3")
    assert res.requests == 4


def test_too_many_redirects(make_fetcher, server):
    res = make_fetcher(max_redirects=5).fetch(server.url("/chain/7"), source=LOCAL)
    assert res.error == "too many redirects (> 5)" and res.requests == 6


def test_redirect_loop(make_fetcher, server):
    res = make_fetcher().fetch(server.url("/redirect-loop/a"), source=LOCAL)
    assert res.error == "redirect loop" and res.requests == 2


def test_redirect_to_another_scheme_is_refused(make_fetcher, server):
    res = make_fetcher().fetch(server.url("/redirect?to=file:///etc/passwd"), source=LOCAL)
    assert res.error == "unsupported scheme: file" and res.requests == 1
    assert make_fetcher().fetch("ftp://127.0.0.1/x", source=LOCAL).error == "unsupported scheme: ftp"


# --- content type ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, expected", [("/octet-html", "text/html"), ("/octet-pdf", "application/pdf"),
                                            ("/pdf-as-html", "application/pdf"), ("/ok", "text/html")])
def test_content_type_is_sniffed_when_the_server_lies(make_fetcher, server, path, expected):
    assert make_fetcher().fetch(server.url(path), source=LOCAL, kind="any").content_type == expected


@pytest.mark.parametrize("declared, body, expected", [
    ("application/octet-stream", b'<?xml version="1.0"?>\n<rss version="2.0">', "application/rss+xml"),
    ("", b"\xef\xbb\xbf<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'>", "application/atom+xml"),
    ("text/xml", b"<?xml version='1.0'?><rss>", "application/rss+xml"),
    ("application/pdf", b"<!DOCTYPE html><html>Connexion requise", "text/html"),
    ("text/plain", b"just text", "text/plain"),
    ("image/png", b"%PDF-1.7", "image/png"),
])
def test_sniff(declared, body, expected):
    assert sniff(declared, body) == expected


# --- robots.txt and politeness ----------------------------------------------------------------------------------

ROBOTS = "User-agent: *\nDisallow: /private\nCrawl-delay: 0.3\nSitemap: http://127.0.0.1/sitemap.xml\n" \
         "\nUser-agent: github\nDisallow: /\n"  # must not match our UA, whose contact URL contains "github"


def test_robots_rules_are_read_once_and_honoured(make_fetcher):
    with FaultyServer(robots=ROBOTS) as srv:
        with make_fetcher() as fetcher:
            assert not fetcher.allowed(srv.url("/private/doc.pdf"), LOCAL)
            assert fetcher.allowed(srv.url("/public"), LOCAL)
            verdict = fetcher.robots_verdict(srv.url("/private/x"), LOCAL)
            assert verdict["allowed"] is False and verdict["crawl_delay"] == 0.3
            assert verdict["sitemaps"] == ["http://127.0.0.1/sitemap.xml"] and verdict["delay"] == 0.3
            fetcher.fetch(srv.url("/ok"), source=LOCAL)
            fetcher.fetch(srv.url("/ok"), source=LOCAL)
        assert len(srv.requests_for("/robots.txt")) == 1
        t = starts(srv, "/ok")
        assert t[1] - t[0] >= 0.3  # Crawl-delay beats settings.crawl_delay = 0


def test_redirect_target_must_be_allowed_by_robots(make_fetcher):
    with FaultyServer(robots="User-agent: *\nDisallow: /private\n") as srv:
        with make_fetcher() as fetcher:
            res = fetcher.fetch(srv.url("/redirect?to=/private/x"), source=LOCAL)
    assert res.error.startswith("disallowed by robots.txt") and srv.requests_for("/private/x") == []


def test_missing_robots_allows_everything(make_fetcher, server):
    verdict = make_fetcher().robots_verdict(server.url("/anything"), LOCAL)
    assert verdict["allowed"] and verdict["crawl_delay"] is None and "404" in verdict["reason"]


def test_unreachable_robots_disallows_for_the_run(make_fetcher):
    with FaultyServer(robots_status=503) as srv:
        fetcher = make_fetcher(max_retries=1)
        verdict = fetcher.robots_verdict(srv.url("/page"), LOCAL)
        assert verdict["allowed"] is False and "unreachable" in verdict["reason"] and "503" in verdict["reason"]
        assert not fetcher.allowed(srv.url("/other"), LOCAL)
        assert len(srv.requests_for("/robots.txt")) == 2  # retried once, then cached for the run


def test_product_token():
    assert product_token("crpv-watch/0.1 (+https://github.com/crpv-watch/crpv-watch; veille)") == "crpv-watch"


def test_same_host_one_in_flight_and_delay_apart(make_fetcher, server):
    fetcher = make_fetcher(crawl_delay=0.2)
    fetcher.fetch(server.url("/ok"), source=LOCAL)  # robots.txt and first request
    threads = [threading.Thread(target=fetcher.fetch, args=(server.url("/delay?s=0.1"),), kwargs={"source": LOCAL})
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log = sorted(server.log, key=lambda e: e.start)
    assert len(log) == 5
    for before, after in zip(log, log[1:], strict=False):
        assert after.start >= before.end, "two requests in flight to one host"
        assert after.start - before.start >= 0.2


def test_source_crawl_delay_overrides_settings(make_fetcher, server):
    fetcher = make_fetcher(crawl_delay=0.0)
    slow = Source(id="s", name="s", homepage="http://x/", private_hosts=["127.0.0.1"], crawl_delay=0.25)
    fetcher.fetch(server.url("/ok"), source=slow)
    fetcher.fetch(server.url("/ok"), source=slow)
    t = starts(server, "/ok")
    assert t[1] - t[0] >= 0.25


def test_different_hosts_proceed_in_parallel(make_fetcher, server, server2):
    fetcher = make_fetcher(crawl_delay=0.2)
    for srv in (server, server2):
        fetcher.fetch(srv.url("/ok"), source=LOCAL)
    threads = [threading.Thread(target=fetcher.fetch, args=(srv.url("/delay?s=0.4"),), kwargs={"source": LOCAL})
               for srv in (server, server2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a, b = server.requests_for("/delay")[0], server2.requests_for("/delay")[0]
    assert a.start < b.end and b.start < a.end, "requests to two hosts did not overlap"


# --- SSRF guard -------------------------------------------------------------------------------------------------

def test_private_address_refused_before_any_connection(make_fetcher, connects):
    calls: list[str] = []
    fetcher = make_fetcher(resolver=stub_resolver({"evil.example": ["10.0.0.1"]}, calls))
    res = fetcher.fetch("http://evil.example/admin")
    assert res.error == "refused address 10.0.0.1 (private)" and res.status == 0 and res.requests == 0
    assert not fetcher.allowed("http://evil.example/admin")  # robots.txt cannot be fetched either
    assert calls and connects == []


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1/", "loopback"), ("http://127.1/", "loopback"), ("http://2130706433/", "loopback"),
    ("http://[::1]/", "loopback"), ("http://[::ffff:10.0.0.1]/", "private"), ("http://192.168.1.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"), ("http://[fe80::1]/", "link-local"),
    ("http://0.0.0.0/", "unspecified"), ("http://[::]/", "unspecified"), ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"), ("http://240.0.0.1/", "reserved"), ("http://100.64.0.1/", "non-global"),
    ("http://[2002:a00:1::]/", "private"),  # 6to4 wrapping of 10.0.0.1
])
def test_ip_literals_are_checked_without_the_resolver(make_fetcher, connects, url, reason):
    calls: list[str] = []
    res = make_fetcher(resolver=stub_resolver({}, calls)).fetch(url)
    assert res.error.startswith("refused address") and res.error.endswith(f"({reason})")
    assert calls == [] and connects == []


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    with pytest.raises(ssrf.AddressRefused):
        ssrf.check_host("mixed.example", stub_resolver({"mixed.example": ["8.8.8.8", "10.1.2.3"]}))
    assert ssrf.check_host("pub.example", stub_resolver({"pub.example": ["8.8.8.8"]})) == ["8.8.8.8"]


def test_transport_alone_refuses_before_connecting(connects):
    """Code that uses the transport without the Fetcher's pre-check is guarded too."""
    resolver = stub_resolver({"evil.example": ["10.0.0.1"]})
    with httpx.Client(transport=ssrf.GuardedTransport(resolver), trust_env=False) as client:
        with pytest.raises(ssrf.AddressRefused, match=r"10\.0\.0\.1 \(private\)"):
            client.get("http://evil.example/")
    assert connects == []


def test_public_name_resolving_to_loopback(make_fetcher, server):
    fetcher = make_fetcher(resolver=stub_resolver({"centre.example": ["127.0.0.1"]}))
    url = server.url("/ok", host="centre.example")
    refused = fetcher.fetch(url)
    assert refused.error == "refused address 127.0.0.1 (loopback)" and server.log == []
    allowed = fetcher.fetch(url, source=LOCAL)
    # Success proves the connection went to the resolver's address (centre.example exists nowhere else) while
    # the request kept its name.
    assert allowed.ok and server.requests_for("/ok")[0].headers["host"] == f"centre.example:{server.port}"


@pytest.fixture
def loopback2_is_public(monkeypatch):
    """127.0.0.2 plays a public address, so a "public" server exists without leaving the machine."""
    real = ssrf.refusal_reason

    def reason(ip):
        return None if ip == ipaddress.ip_address("127.0.0.2") else real(ip)

    monkeypatch.setattr(ssrf, "refusal_reason", reason)


def test_redirect_from_public_host_to_loopback_is_refused(make_fetcher, server, server2, loopback2_is_public,
                                                          connects):
    fetcher = make_fetcher(resolver=stub_resolver({"evil.example": ["10.0.0.1"]}))
    to_loopback = fetcher.fetch(server2.url(f"/redirect?to={server.url('/ok')}"), source=STRICT)
    assert to_loopback.error == "refused address 127.0.0.1 (loopback)" and to_loopback.requests == 1
    to_private = fetcher.fetch(server2.url("/redirect?to=http://evil.example/"), source=STRICT)
    assert to_private.error == "refused address 10.0.0.1 (private)"
    assert server.log == [] and all(a[0] == "127.0.0.2" for a in connects)
    # The same redirect is followed for a source that allows private networks.
    followed = fetcher.fetch(server2.url(f"/redirect?to={server.url('/ok')}"), source=LOCAL)
    assert followed.ok and followed.final_url == server.url("/ok") and followed.requests == 2


def test_dns_rebinding_is_caught_at_connect_time(make_fetcher, server2, loopback2_is_public, connects):
    """The pre-check sees a "public" address; every later resolution says 10.0.0.1. The connection must use a
    checked address, so it is refused (and 10.0.0.1 is never dialled)."""
    answers = iter([["127.0.0.2"]])

    def rebinding(host):
        return next(answers, ["10.0.0.1"])

    res = make_fetcher(resolver=rebinding).fetch(server2.url("/ok", host="rebind.example"), source=STRICT)
    assert res.error == "refused address 10.0.0.1 (private)"
    assert server2.requests_for("/ok") == [] and connects == []


def test_allowed_public_name_connects_to_the_checked_address(make_fetcher, server2, loopback2_is_public):
    fetcher = make_fetcher(resolver=stub_resolver({"www.centre.example": ["127.0.0.2"]}))
    res = fetcher.fetch(server2.url("/ok", host="www.centre.example"), source=STRICT)
    assert res.ok and server2.requests_for("/ok")[0].headers["host"] == f"www.centre.example:{server2.port}"


@pytest.mark.parametrize("address, reason", [("8.8.8.8", None), ("2001:4860:4860::8888", None),
                                             ("10.0.0.1", "private"), ("::ffff:127.0.0.1", "loopback"),
                                             ("fc00::1", "private"), ("64:ff9b::a00:1", "reserved")])
def test_refusal_reason(address, reason):
    assert ssrf.refusal_reason(ipaddress.ip_address(address)) == reason


def test_fetch_never_raises_on_garbage_urls(make_fetcher):
    fetcher = make_fetcher()
    for url in ("http://", "not a url", "http://exa mple.org/", "mailto:x@example.org"):
        res = fetcher.fetch(url)
        assert res.error and res.status == 0 and res.requests == 0


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for www.centre.test (openssl CLI; skipped without it)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl not found")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=www.centre.test", "-addext", "subjectAltName=DNS:www.centre.test"],
                   check=True, capture_output=True)
    return str(cert), str(key)


def test_tls_uses_the_host_name_for_sni_and_verification(make_fetcher, certificate, monkeypatch):
    """The socket goes to the checked IP; TLS still names (and verifies) the host of the URL."""
    with FaultyServer(tls=certificate) as srv:
        url = srv.url("/ok", host="www.centre.test")
        resolver = stub_resolver({"www.centre.test": ["127.0.0.1"]})
        untrusted = make_fetcher(resolver=resolver).fetch(url, source=LOCAL)
        assert untrusted.error.startswith("TLS error") and "CERTIFICATE_VERIFY_FAILED" in untrusted.error
        assert untrusted.requests == 1  # a certificate problem is not retried
        monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
        trusted = make_fetcher(resolver=resolver).fetch(url, source=LOCAL)
        assert trusted.ok and trusted.body == HTML
        assert srv.sni and set(srv.sni) == {"www.centre.test"}
