"""The fetch stage: one polite, bounded, SSRF-guarded HTTP GET per call, as a :class:`FetchResult`.

``Fetcher.fetch`` never raises for network or HTTP problems; it reports them in ``FetchResult.error``. It is
thread-safe: the crawl calls it from a thread pool, one host per worker, and the per-host gate
(:mod:`.politeness`) serialises requests to a host whatever the threads do.

What one ``fetch`` does, per hop (redirects are followed here, not by httpx, so that every hop goes through
the same checks):
1. scheme http/https only; the SSRF pre-check (:mod:`.ssrf`, which also enforces it at connect time);
2. robots.txt of the hop's origin is read once per Fetcher (for its Crawl-delay; redirect targets must also be
   allowed — the caller checks the first URL with :meth:`Fetcher.allowed`, it cannot check where it is sent);
3. the host gate (one in flight, ``delay`` since the previous exchange), then the request, with retries.

Limits: ``total_timeout`` is the wall clock of one request/response exchange (connect, headers and body; a
retry gets a fresh budget, but a total-timeout hit is not retried: the server is up but too slow, retrying
would only cost it more). Bodies are streamed and cut at the kind's byte limit *after* decoding, with a bounded
decompressor so a gzip bomb never inflates more than the limit in memory.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any

import httpx

from ..items import FetchResult
from ..settings import Settings
from . import ssrf
from .politeness import HostGate, backoff, host_key, parse_retry_after
from .robots import RobotsRules, product_token, robots_url, rules_from_result

log = logging.getLogger(__name__)

KINDS = ("html", "pdf", "office", "feed", "robots", "any")
ACCEPT = {
    "html": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    "pdf": "application/pdf,*/*;q=0.5",
    "office": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
               "application/vnd.oasis.opendocument.text,*/*;q=0.5"),
    "feed": "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5",
    "robots": "text/plain,*/*;q=0.5",
    "any": "*/*",
}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
# Types that say nothing about the content: the body is sniffed instead.
GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/binary", "application/unknown",
                 "application/force-download", "application/x-download", "application/download", "unknown/unknown",
                 "text/plain"}


class Fetcher:
    def __init__(self, settings: Settings, resolver: ssrf.Resolver | None = None):
        self.settings = settings
        self.resolver = resolver or ssrf.system_resolver
        agent = settings.user_agent
        if settings.contact_url and settings.contact_url not in agent:
            agent = f"{agent} (+{settings.contact_url})"
        self.user_agent = agent
        self.agent_token = product_token(agent)
        self._transport = ssrf.GuardedTransport(self.resolver)
        self._client = httpx.Client(
            transport=self._transport, follow_redirects=False, trust_env=False,  # no proxy may bypass the guard
            timeout=httpx.Timeout(connect=settings.connect_timeout, read=settings.read_timeout,
                                  write=settings.read_timeout, pool=settings.connect_timeout),
            # Only codings our bounded decoder handles (httpx would also offer br/zstd when installed).
            headers={"User-Agent": agent, "Accept-Encoding": "gzip, deflate", "Accept-Language": "fr,en;q=0.5"})
        self._gate = HostGate()
        self._lock = threading.Lock()
        self._robots: dict[tuple[str, bool], RobotsRules] = {}
        self._robots_locks: dict[tuple[str, bool], threading.Lock] = {}
        self._rng = random.Random()

    # --- public API ------------------------------------------------------------------------------------------

    def fetch(self, url: str, *, source: Any = None, etag: str | None = None, last_modified: str | None = None,
              kind: str = "html") -> FetchResult:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        started = time.monotonic()
        result = self._fetch(url, source, etag, last_modified, kind)
        result.elapsed = time.monotonic() - started
        return result

    def allowed(self, url: str, source: Any = None) -> bool:
        return self.robots_verdict(url, source)["allowed"]

    def robots_verdict(self, url: str, source: Any = None) -> dict[str, Any]:
        """The robots.txt verdict for ``url`` as the editors' "Tester" shows it (``reason`` says why)."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            return {"allowed": False, "crawl_delay": None, "sitemaps": [], "reason": f"invalid URL: {exc}"}
        if parsed.scheme not in ("http", "https") or not parsed.host:
            return {"allowed": False, "crawl_delay": None, "sitemaps": [], "reason": f"unsupported URL: {url}"}
        rules = self._rules(url, source)
        robots_delay = rules.crawl_delay(self.agent_token)
        return {"allowed": rules.allowed(url, self.agent_token), "crawl_delay": robots_delay,
                "sitemaps": list(rules.sitemaps), "robots_url": rules.url, "status": rules.status,
                "reason": rules.reason, "delay": max(self._base_delay(source), robots_delay or 0.0)}

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- robots and delays -----------------------------------------------------------------------------------

    def _rules(self, url: str, source: Any) -> RobotsRules:
        # Keyed by policy too: a refusal under a strict source must not stick to a source allowed on the LAN.
        key = (robots_url(url), _private_hosts(source))
        with self._lock:
            if key in self._robots:
                return self._robots[key]
            lock = self._robots_locks.setdefault(key, threading.Lock())
        with lock:  # one robots.txt request per origin, however many threads ask at once
            with self._lock:
                if key in self._robots:
                    return self._robots[key]
            rules = rules_from_result(self.fetch(key[0], source=source, kind="robots"))
            if rules.disallow_all:
                log.warning("%s: %s", key[0], rules.reason)
            with self._lock:
                self._robots[key] = rules
            return rules

    def _base_delay(self, source: Any) -> float:
        return float((getattr(source, "crawl_delay", None) or self.settings.crawl_delay) or 0.0)

    def _delay(self, url: str, source: Any, kind: str) -> float:
        delay = self._base_delay(source)
        if kind != "robots":
            delay = max(delay, self._rules(url, source).crawl_delay(self.agent_token) or 0.0)
        return delay

    # --- one fetch: hops ---------------------------------------------------------------------------------------

    def _fetch(self, url: str, source: Any, etag: str | None, last_modified: str | None, kind: str) -> FetchResult:
        private_hosts = _private_hosts(source)
        limit = self.settings.max_pdf_bytes if kind in ("pdf", "office", "any") else self.settings.max_html_bytes
        headers = {"Accept": ACCEPT[kind]}
        # Kept across redirects: the validators a caller stores come from the final URL's response.
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current, seen, spent = url, set(), 0
        result = FetchResult(url=url, final_url=url, status=0, requests=0)
        for hop in range(self.settings.max_redirects + 1):
            parsed, problem = self._check(current, private_hosts)
            if parsed is None:
                return FetchResult(url=url, final_url=current, status=0, error=problem, requests=spent)
            seen.add(_without_fragment(str(parsed)))
            if hop and kind != "robots" and not self.allowed(current, source):
                return FetchResult(url=url, final_url=current, status=0, requests=spent,
                                   error=f"disallowed by robots.txt (redirect to {current})")
            delay = self._delay(current, source, kind)
            if delay > max(self.settings.max_crawl_delay, self._base_delay(source)):  # a robots Crawl-delay
                return FetchResult(url=url, final_url=current, status=0, requests=spent, error=(
                    f"Crawl-delay {delay:g} s > max_crawl_delay {self.settings.max_crawl_delay:g} s: postponed"))
            result, used = self._exchange(parsed, headers, limit, private_hosts, delay)
            spent += used
            result.url, result.final_url, result.requests = url, current, spent
            if result.status not in REDIRECT_STATUSES or result.error:
                return result
            location = result.headers.get("location")
            if not location:
                result.error = f"HTTP {result.status} without Location"
                return result
            try:
                current = _without_fragment(str(parsed.join(location.strip())))
            except httpx.InvalidURL:
                result.error = f"bad redirect Location: {location[:200]}"
                return result
            if current in seen:
                result.error = "redirect loop"
                return result
            seen.add(current)
        result.error = f"too many redirects (> {self.settings.max_redirects})"
        return result

    def _check(self, url: str, private_hosts: frozenset[str]) -> tuple[httpx.URL | None, str]:
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            return None, f"invalid URL: {exc}"
        if parsed.scheme not in ("http", "https"):
            return None, f"unsupported scheme: {parsed.scheme or '(none)'}"
        if not parsed.host:
            return None, "invalid URL: no host"
        try:
            ssrf.check_host(parsed.raw_host.decode("ascii"), self.resolver, private_hosts)
        except (ssrf.AddressRefused, ssrf.ResolutionFailed) as exc:
            return None, str(exc)
        return parsed, ""

    # --- one hop: retries --------------------------------------------------------------------------------------

    def _exchange(self, url: httpx.URL, headers: dict[str, str], limit: int, private_hosts: frozenset[str],
                  delay: float) -> tuple[FetchResult, int]:
        host = host_key(url)
        attempts = 1 + max(0, self.settings.max_retries)
        spent = 0
        for attempt in range(attempts):
            closed_for = self._gate.closed(host)
            if closed_for is not None:
                return _failed(url, f"retry later (Retry-After {closed_for:g} s)"), spent
            with self._gate.slot(host, delay):
                spent += 1
                result, retry_in = self._once(url, headers, limit, private_hosts)
            if retry_in is None or attempt == attempts - 1:
                return result, spent
            if retry_in < 0:  # no server-given pause: ours
                retry_in = backoff(self.settings.retry_base_delay, attempt, self._rng)
            log.info("retrying %s in %.1f s (%s)", url, retry_in, result.error)
            self._gate.defer(host, retry_in)
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, url: httpx.URL, headers: dict[str, str], limit: int,
              private_hosts: frozenset[str]) -> tuple[FetchResult, float | None]:
        """One request. Returns the result and ``None`` (final), ``-1`` (retry after backoff) or seconds to wait
        before retrying (the server's Retry-After)."""
        total = self.settings.total_timeout
        deadline = time.monotonic() + total
        budget = getattr(_budget, "deadline", None)
        if budget is not None and budget < deadline:  # the source's crawl time budget ends first
            if budget <= time.monotonic():
                return _failed(url, BUDGET_SPENT), None
            deadline, total = budget, budget - time.monotonic()
        request = self._client.build_request(
            "GET", url, headers=headers,
            extensions={ssrf.EXT_PRIVATE_HOSTS: private_hosts, ssrf.EXT_DEADLINE: deadline})
        try:
            response = self._client.send(request, stream=True)
        except ssrf.AddressRefused as exc:  # the connect-time check caught what the pre-check let through
            return _failed(url, str(exc)), None
        except (httpx.HTTPError, OSError) as exc:
            return _failed(url, _describe(exc, deadline, total)), _retry_after_error(exc, deadline)
        try:
            return self._read(url, response, limit, deadline)
        except (httpx.HTTPError, OSError) as exc:
            result = _from_response(url, response)
            result.error = _describe(exc, deadline, total)
            return result, _retry_after_error(exc, deadline)
        finally:
            response.close()

    def _read(self, url: httpx.URL, response: httpx.Response, limit: int,
              deadline: float) -> tuple[FetchResult, float | None]:
        result = _from_response(url, response)
        status = response.status_code
        if status == 304:
            result.not_modified = True
            return result, None
        if 200 <= status < 300:
            self._read_body(response, result, limit, deadline)
            result.content_type = sniff(result.content_type, result.body)
            return result, None
        if status in REDIRECT_STATUSES:
            return result, None
        result.error = f"HTTP {status}"
        if status in (429, 503):
            wait = parse_retry_after(response.headers.get("retry-after"))
            if wait is not None:
                if wait > self.settings.retry_after_cap:
                    self._gate.close_for(host_key(url), wait)
                    result.error = f"retry later (Retry-After {wait:.0f} s)"
                    return result, None
                return result, wait
        # 429 without a usable Retry-After is backed off like a 5xx: slowing down is what it asks for.
        return result, (-1.0 if status >= 500 or status == 429 else None)

    def _read_body(self, response: httpx.Response, result: FetchResult, limit: int, deadline: float) -> None:
        coding = response.headers.get("content-encoding", "")
        try:
            decoder = _BoundedDecoder(coding)
        except ValueError:
            result.error = f"unsupported Content-Encoding: {coding}"
            return
        length = response.headers.get("content-length", "")
        if decoder.identity and length.isdigit() and int(length) > limit:
            # Refuse up front: no point making a small host send bytes we would throw away.
            result.error, result.truncated = f"too large (> {limit} bytes)", True
            return
        chunks: list[bytes] = []
        size = 0
        for raw in response.iter_raw():
            room = limit - size
            try:
                data = decoder.decode(raw, room + 1)
            except zlib.error as exc:
                result.error = f"broken {coding} body: {exc}"
                break
            if len(data) > room:
                chunks.append(data[:room])
                result.error, result.truncated = f"too large (> {limit} bytes)", True
                break
            chunks.append(data)
            size += len(data)
            if time.monotonic() > deadline:
                result.error = f"timeout (total {self.settings.total_timeout:g} s)"
                break
        result.body = b"".join(chunks)


class _BoundedDecoder:
    """Content-Encoding decoding that never produces more than asked for, whatever the compression ratio."""

    def __init__(self, coding: str):
        coding = coding.strip().lower()
        self.identity = coding in ("", "identity")
        self._raw_fallback = coding == "deflate"  # servers send raw deflate as often as the zlib-wrapped kind
        self._started = False
        if coding in ("gzip", "x-gzip"):
            self._wbits = 16 + zlib.MAX_WBITS
        elif coding == "deflate":
            self._wbits = zlib.MAX_WBITS
        elif not self.identity:
            raise ValueError(coding)
        self._z = None if self.identity else zlib.decompressobj(self._wbits)

    def decode(self, data: bytes, max_out: int) -> bytes:
        if self._z is None:
            return data
        try:
            out = self._z.decompress(data, max_out)
        except zlib.error:
            if not (self._raw_fallback and not self._started):
                raise
            self._raw_fallback = False
            self._wbits = -zlib.MAX_WBITS
            self._z = zlib.decompressobj(self._wbits)
            out = self._z.decompress(data, max_out)
        self._started = True
        # Concatenated gzip members are one valid body.
        while self._z.eof and self._z.unused_data and len(out) < max_out:
            rest = self._z.unused_data
            self._z = zlib.decompressobj(self._wbits)
            out += self._z.decompress(rest, max_out - len(out))
        # Output shorter than max_out means zlib consumed all input; equal means the caller is over its limit.
        return out


def sniff(declared: str, body: bytes) -> str:
    """The media type to trust: the declared one, unless it says nothing or the first bytes contradict it."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n\x0c")
    lower = head[:512].lower()
    looks_html = lower.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))
    if declared == "application/pdf" and looks_html:
        return "text/html"  # a CMS error or login page served by a download handler
    if declared in ("text/html", "text/plain", "application/xml", "text/xml") and head.startswith(b"%PDF-"):
        return "application/pdf"
    if declared in ("application/xml", "text/xml") or declared in GENERIC_TYPES:
        if b"%PDF-" in body[:1024]:
            return "application/pdf"
        if lower.startswith(b"<?xml") or lower.startswith((b"<rss", b"<feed", b"<rdf:rdf")):
            if b"<rss" in lower:
                return "application/rss+xml"
            if b"<feed" in lower:
                return "application/atom+xml"
            if b"<rdf:rdf" in lower:
                return "application/rdf+xml"
            if b"<html" in lower:
                return "application/xhtml+xml"
            return declared if declared not in GENERIC_TYPES else "application/xml"
        if looks_html:
            return "text/html"
    return declared or "application/octet-stream"


def parse_content_type(value: str) -> tuple[str, str | None]:
    media, *params = value.split(";")
    charset = None
    for param in params:
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'")
    return media.strip().lower(), charset


def _from_response(url: httpx.URL, response: httpx.Response) -> FetchResult:
    media, charset = parse_content_type(response.headers.get("content-type", ""))
    return FetchResult(url=str(url), final_url=str(url), status=response.status_code,
                       headers={k.lower(): v for k, v in response.headers.items()},
                       content_type=media, encoding=charset, requests=1)


def _failed(url: httpx.URL, error: str) -> FetchResult:
    return FetchResult(url=str(url), final_url=str(url), status=0, error=error, requests=0)


def _describe(exc: Exception, deadline: float, total: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout (total {total:g} s)" if time.monotonic() >= deadline else "timeout"
    message = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in message or "SSL" in message:
        return f"TLS error: {message[:200]}"
    return f"connection error: {message[:200]}"


def _retry_after_error(exc: Exception, deadline: float) -> float | None:
    if isinstance(exc, httpx.TimeoutException) and time.monotonic() >= deadline:
        return None  # the total budget is spent: see the module docstring
    message = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in message or "DNS resolution failed" in message:
        return None  # will not get better in a second
    return -1.0


BUDGET_SPENT = "source time budget spent"
_budget = threading.local()  # the deadline of the source crawled by this thread (each source has its own thread)


@contextlib.contextmanager
def source_budget(deadline: float | None) -> Iterator[None]:
    """Every request made by this thread inside the block ends by ``deadline`` (a ``time.monotonic()`` value)."""
    previous = getattr(_budget, "deadline", None)
    _budget.deadline = deadline
    try:
        yield
    finally:
        _budget.deadline = previous


def _private_hosts(source: Any) -> frozenset[str]:
    """The source's ``private_hosts`` as the SSRF guard compares them."""
    return frozenset(ssrf.normalize_host(h) for h in (getattr(source, "private_hosts", None) or ()))


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]
