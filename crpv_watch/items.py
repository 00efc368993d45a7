"""Plain data passed between the crawl stages.

fetch → parse (feed | html | pdf) → extract → dedup → tag → store → index. Each stage takes and returns these
dataclasses, never an HTTP response or a database session, so that each stage can be tested alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FetchResult:
    """What the fetch stage got for one URL (after redirects)."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int  # HTTP status; 0 when no response was received
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""
    content_type: str = ""  # media type without parameters, sniffed when the server lied
    encoding: str | None = None  # charset from the header, if any
    not_modified: bool = False  # 304 answer to a conditional request
    error: str | None = None  # set when the fetch failed (timeout, too large, refused address…)
    truncated: bool = False
    elapsed: float = 0.0
    requests: int = 1  # HTTP requests spent (redirects and retries included)

    @property
    def ok(self) -> bool:
        return self.error is None and 200 <= self.status < 300

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


@dataclass
class Link:
    url: str  # absolute, fragment removed
    text: str = ""
    rel: str = ""  # e.g. "next", "alternate"
    in_main: bool = True  # False for links in nav, header, footer, aside, cookie banners
    kind: str = ""  # "pdf", "feed", "page", "next" (pagination) when known


@dataclass
class FeedEntry:
    url: str
    title: str = ""
    summary: str = ""
    published: dt.date | None = None
    updated: dt.datetime | None = None
    author: str = ""
    entry_id: str = ""
    enclosures: list[str] = field(default_factory=list)  # attachment URLs (PDF…)


@dataclass
class ParsedFeed:
    url: str
    title: str = ""
    entries: list[FeedEntry] = field(default_factory=list)
    bozo: str | None = None  # parse problem reported by feedparser, if any


@dataclass
class ParsedPage:
    """An HTML page, parsed for structure: links and crawl directives. Main-text extraction is separate."""

    url: str
    html: str
    title: str = ""
    canonical_url: str | None = None
    noindex: bool = False
    nofollow: bool = False
    links: list[Link] = field(default_factory=list)
    feed_links: list[str] = field(default_factory=list)  # <link rel=alternate type=application/rss+xml>
    next_page: str | None = None  # pagination
    # The lxml tree parse_html built, with its chrome verdicts (crawl/html_tree.PageTree): extraction reuses it.
    tree: Any = field(default=None, repr=False, compare=False)


@dataclass
class ExtractedDocument:
    """The searchable content of one document, before tagging."""

    url: str
    canonical_url: str
    title: str
    text: str
    content_type: str = "text/html"  # "text/html" or "application/pdf"
    summary: str = ""
    published: dt.date | None = None
    author: str = ""
    language: str | None = None
    pages: int | None = None  # PDF page count
    ocr: bool = False
    attachments: list[str] = field(default_factory=list)  # PDF links found in the main content
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class ThemeDecision:
    theme_id: str
    score: float
    explanation: list[dict[str, Any]] = field(default_factory=list)  # [{"signal", "field", "count"}]


@dataclass
class Tags:
    themes: list[ThemeDecision] = field(default_factory=list)  # assigned themes, best first
    pillars: list[str] = field(default_factory=list)
    doctype: str = "actualite"
    doctype_explanation: list[dict[str, Any]] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)  # department codes named in the text ("93", "974")
    qpvs: list[str] = field(default_factory=list)  # QPV codes named unambiguously ("QN09307M")
    # [{"kind": "department"|"commune"|"qpv", "value", "label", "signals": [{"signal", "field", "count"}]}]
    territory_explanation: list[dict[str, Any]] = field(default_factory=list)

    @property
    def theme_ids(self) -> list[str]:
        return [t.theme_id for t in self.themes]


@dataclass
class IndexDocument:
    """One document as the search index sees it (built from the store, so the index can be rebuilt)."""

    id: str
    url: str
    title: str
    text: str
    summary: str = ""
    centre: str = ""  # source id of the first place the document was found
    region: list[str] = field(default_factory=list)  # INSEE codes of that centre
    themes: list[str] = field(default_factory=list)
    pillars: list[str] = field(default_factory=list)
    doctype: str = "actualite"
    published: dt.date | None = None
    first_seen: dt.datetime | None = None
    language: str | None = None
    found_at: list[dict[str, str]] = field(default_factory=list)  # [{"url", "centre"}]
    content_type: str = "text/html"
    departments: list[str] = field(default_factory=list)  # department codes named in the text
    qpvs: list[str] = field(default_factory=list)  # QPV codes named in the text
