"""Sitemaps (sitemaps.org 0.9): where they are, what they list, which of their URLs are candidate documents.

When they are used (``run.SourceCrawl._discover``): for a source that opts in (``sitemaps: true`` in
sources.yaml), and as the last resort of a source with neither feeds nor start_urls whose homepage advertises
no feed. A source with curated listing pages does not get them by default: a sitemap lists every page of a
site (about, legal notices, member area), and taking them all would turn the crawl into a site mirror.

Where: the ``Sitemap:`` lines of the host's robots.txt, else ``/sitemap.xml`` (a 404 there is normal, not an
error). Sitemap indexes are followed one level down (the protocol forbids nesting deeper), at most
``MAX_SITEMAPS`` files per source, and child sitemaps must stay on the source's hosts.

Parsing is bounded: the body is already cut at ``max_html_bytes`` by the fetcher; a gzip-compressed sitemap
(``.xml.gz`` served as a file, not as a Content-Encoding) is inflated at most to the same size; lxml parses
with entities, DTDs and network access off (no XXE, no entity expansion), in recover mode so a sitemap cut at
the size limit still yields the entries before the cut; at most ``MAX_ENTRIES`` entries are read.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree

from ..text.dedup import canonicalize
from . import discover

MAX_ENTRIES = 50_000  # the protocol's own limit per file
MAX_SITEMAPS = 50  # sitemap files fetched per source and run (an index of 1000 monthly sitemaps exists)


@dataclass
class SitemapEntry:
    url: str
    lastmod: str = ""  # ISO 8601 in UTC ("2024-05-02T00:00:00+00:00"), "" when absent or unreadable


@dataclass
class ParsedSitemap:
    urls: list[SitemapEntry] = field(default_factory=list)  # <urlset> entries
    sitemaps: list[SitemapEntry] = field(default_factory=list)  # <sitemapindex> entries
    error: str | None = None


def default_location(homepage: str) -> str:
    parts = urlsplit(homepage)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/sitemap.xml"


def normalize_lastmod(value: str | None) -> str:
    """A W3C datetime (``2024-05-02``, ``2024-05-02T10:00+02:00``…) as one comparable ISO string in UTC."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        if len(value) == 10:
            when = dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
        else:
            when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    except ValueError:
        return ""
    return when.isoformat()


def _inflate(body: bytes, limit: int) -> bytes:
    if not body.startswith(b"\x1f\x8b"):
        return body
    z = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        return z.decompress(body, limit)  # bounded: a gzip bomb stops at the limit
    except zlib.error:
        return b""


def parse_sitemap(body: bytes, limit: int = 5_000_000, max_entries: int = MAX_ENTRIES) -> ParsedSitemap:
    """The entries of a ``<urlset>`` or ``<sitemapindex>``; never raises (``error`` says what went wrong)."""
    data = _inflate(body, limit)
    if not data.strip():
        return ParsedSitemap(error="empty sitemap")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             recover=True, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return ParsedSitemap(error=f"broken sitemap: {exc}")
    if root is None:
        return ParsedSitemap(error="broken sitemap: no root element")
    kind = etree.QName(root).localname.lower()
    if kind not in ("urlset", "sitemapindex"):
        return ParsedSitemap(error=f"not a sitemap (<{kind}>)")
    out = ParsedSitemap()
    target = out.urls if kind == "urlset" else out.sitemaps
    for item in root:
        if not isinstance(item.tag, str) or etree.QName(item).localname.lower() not in ("url", "sitemap"):
            continue
        loc = lastmod = ""
        for child in item:
            if not isinstance(child.tag, str):
                continue
            name = etree.QName(child).localname.lower()
            if name == "loc":
                loc = (child.text or "").strip()
            elif name == "lastmod":
                lastmod = normalize_lastmod(child.text)
        if loc.startswith(("http://", "https://")):
            target.append(SitemapEntry(loc, lastmod))
            if len(target) >= max_entries:
                break
    return out


def in_scope(url: str, source) -> bool:
    """A sitemap URL is a candidate document when it is in the source's scope (same host or ``include``, not
    ``exclude``) and does not look like a listing, feed or account page."""
    return discover.allowed_by_patterns(url, source) and discover.looks_like_document(url)


def newest_first(entries: list[SitemapEntry]) -> list[SitemapEntry]:
    """Newest first, undated last: with ``max_pages`` a big sitemap is taken a slice per run, news first."""
    unique: dict[str, SitemapEntry] = {}
    for entry in entries:
        unique.setdefault(canonicalize(entry.url), entry)
    return sorted(unique.values(), key=lambda e: e.lastmod, reverse=True)
