"""RSS/Atom (and JSON Feed, via feedparser) → ParsedFeed.

feedparser never fetches when given bytes; the feed URL is passed as ``Content-Location`` so that relative
links (common in SPIP and hand-written feeds) resolve against it. Never raises: a feed that cannot be read
at all is an empty ParsedFeed whose ``bozo`` says why.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import io
import re
from urllib.parse import urljoin, urlsplit

import feedparser
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring as defused_fromstring

from crpv_watch.items import FeedEntry, ParsedFeed

_TAG_RE = re.compile(r"<[^>]+>")
_BLOCK_RE = re.compile(r"</?(p|div|br|li|ul|ol|h[1-6]|blockquote|tr|table)\b[^>]*>", re.I)


def html_to_text(value: str | None) -> str:
    """Plain text from a feed's HTML fragment (feedparser has already sanitised it)."""
    if not value:
        return ""
    if "<" in value:
        value = re.sub(r"<(script|style)\b.*?</\1>", " ", value, flags=re.I | re.S)
        value = _BLOCK_RE.sub(" ", value)
        value = _TAG_RE.sub("", value)
    return " ".join(html.unescape(value).replace("\xa0", " ").split())


def _datetime(parsed) -> dt.datetime | None:
    """feedparser's time.struct_time is UTC; keep it timezone-aware so nobody mistakes it for local time."""
    if not parsed:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.UTC)
    except (OverflowError, ValueError, TypeError, OSError):
        return None


def _http_url(base: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        return ""
    try:
        url = urljoin(base, value.strip())
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return url.split("#", 1)[0]


def _is_pdf(href: str, mime: str) -> bool:
    return "pdf" in (mime or "").lower() or urlsplit(href).path.lower().endswith(".pdf")


def _entry(base: str, e) -> FeedEntry | None:
    enclosures: list[str] = []
    for enc in [*(e.get("enclosures") or []), *(lk for lk in (e.get("links") or []) if lk.get("rel") == "enclosure")]:
        href = _http_url(base, enc.get("href") or enc.get("url"))
        if href and _is_pdf(href, enc.get("type", "")) and href not in enclosures:
            enclosures.append(href)
    url = _http_url(base, e.get("link"))
    if not url:
        # Some feeds only put the permalink in the id (RSS guid isPermaLink) or in an alternate link.
        alternates = [lk.get("href") for lk in (e.get("links") or []) if lk.get("rel") in (None, "alternate")]
        url = next((u for u in (_http_url(base, c) for c in [*alternates, e.get("id")]) if u), "")
    if not url and enclosures:
        url = enclosures[0]  # a podcast-style entry whose document is the attachment itself
    if not url:
        return None
    summary = e.get("summary") or ""
    if not summary and e.get("content"):
        summary = e["content"][0].get("value", "")
    # dict.get: FeedParserDict maps a missing updated_parsed to published_parsed (with a DeprecationWarning).
    updated = _datetime(dict.get(e, "updated_parsed"))
    published_dt = _datetime(dict.get(e, "published_parsed")) or _datetime(dict.get(e, "created_parsed")) or updated
    author = e.get("author") or ""
    if not author and e.get("authors"):
        author = (e["authors"][0] or {}).get("name", "") or ""
    return FeedEntry(
        url=url,
        title=html_to_text(e.get("title")),
        summary=html_to_text(summary),
        published=published_dt.date() if published_dt else None,
        updated=updated,
        author=html_to_text(author),
        entry_id=str(e.get("id") or ""),
        enclosures=enclosures,
    )


def entity_problem(body: bytes) -> str | None:
    """Why ``body`` must not reach feedparser: it declares entities (« billion laughs » expands a few hundred bytes
    into gigabytes of text inside the XML parser) or external references. defusedxml stops at the declaration,
    before any expansion; a body that is not well-formed XML is left to feedparser's tolerant parser, which never
    expands declared entities."""
    head = body.lstrip()[:1]
    if head in (b"{", b"["):  # JSON Feed
        return None
    try:
        defused_fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except (EntitiesForbidden, ExternalReferenceForbidden, DTDForbidden) as exc:
        return f"refused: the feed declares XML entities ({type(exc).__name__})"
    except Exception:  # not well-formed: feedparser's business
        return None
    return None


def parse_feed(url: str, body: bytes) -> ParsedFeed:
    if isinstance(body, str):
        body = body.encode("utf-8")
    refused = entity_problem(body or b"")
    if refused:
        return ParsedFeed(url=url, bozo=refused)
    try:
        # A stream, never bytes/str: feedparser treats those as a file name or URL to open when they look like one.
        parsed = feedparser.parse(io.BytesIO(body or b""), response_headers={"content-location": url, "content-type": "application/xml"}, sanitize_html=True,
                                  resolve_relative_uris=True)
    except Exception as exc:  # feedparser is robust, but a parser crash must not stop a crawl
        return ParsedFeed(url=url, bozo=f"{type(exc).__name__}: {exc}")
    bozo = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        bozo = f"{type(exc).__name__}: {exc}" if exc else "malformed feed"
    entries: list[FeedEntry] = []
    for raw in parsed.get("entries") or []:
        try:
            entry = _entry(url, raw)
        except Exception as exc:  # one odd entry must not hide the others
            bozo = bozo or f"entry skipped: {type(exc).__name__}: {exc}"
            continue
        if entry is not None:
            entries.append(entry)
    feed = parsed.get("feed") or {}
    if not entries and not parsed.get("version") and bozo is None:
        bozo = "not a feed (no RSS/Atom root element)"
    return ParsedFeed(url=url, title=html_to_text(feed.get("title")), entries=entries, bozo=bozo)
