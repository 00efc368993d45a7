"""Which links of a hub (listing page, document page) are candidate documents, and where pagination goes.

Only main-content links count: menus and footers link to the same pages from every page of a site, and
following them would turn the crawl into a site mirror. Pagination is followed separately (``next_page``)
because listing pages are hubs, never documents.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from crpv_watch.crawl import patterns as patterns_re2
from crpv_watch.items import ParsedPage
from crpv_watch.text.dedup import canonicalize

# CMS URLs that are listings, feeds or accounts, never documents: WordPress taxonomies and pagination,
# SPIP's backend/login pages, Drupal's taxonomy and user pages. ``source.exclude`` adds site-specific ones.
_NEVER_DOCUMENTS = re.compile(
    r"/(category|categorie|tag|etiquette|author|auteur|feed|wp-login\.php|wp-admin|wp-json|user|taxonomy/term)(/|$)"
    r"|/page/\d+/?$|[?&](paged?|debut_\w+|replytocom|share|print)=|spip\.php\?page=(backend|login|recherche)"
    r"|[?&]s=|/search(/|\?|$)|/recherche(/|\?|$)",
    re.I,
)


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host  # www.x.fr and x.fr are one site for these centres


def _matches(url: str, patterns: list[str] | None) -> bool:
    for pattern in patterns or []:
        try:
            if patterns_re2.search(pattern, url):
                return True
        except ValueError:  # sources.py validates patterns; a bad one must not break a crawl
            continue
    return False


def source_hosts(source) -> set[str]:
    if source is None:
        return set()
    urls = [getattr(source, "homepage", "") or "", *(getattr(source, "start_urls", None) or []),
            *(getattr(source, "feeds", None) or [])]
    return {_host(u) for u in urls if u}


def allowed_by_patterns(url: str, source, page_url: str | None = None) -> bool:
    """``url`` is in the source's scope: not ``exclude``d, and on the source's (or the page's) host or ``include``d."""
    if source is not None and _matches(url, getattr(source, "exclude", None)):
        return False
    hosts = source_hosts(source)
    if page_url:
        hosts.add(_host(page_url))
    if _host(url) in hosts:
        return True
    return source is not None and _matches(url, getattr(source, "include", None))


# Types with no extractor here (legacy Word, spreadsheets, slides, archives, media): skipped as "unsupported
# type" before any byte is fetched. DOCX and ODT are read in the PDF worker pool (crawl/parse_office.py).
UNSUPPORTED_EXTENSIONS = (".doc", ".ods", ".odp", ".rtf", ".xls", ".xlsx", ".ppt", ".pptx", ".zip",
                          ".rar", ".7z", ".gz", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".mp3", ".mp4",
                          ".avi", ".mov", ".epub")


def unsupported_type(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(UNSUPPORTED_EXTENSIONS)


def looks_like_document(url: str) -> bool:
    """Not a site root, listing, feed or account URL (for links met outside a page's main content: sitemaps)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or (parts.path in ("", "/") and not parts.query):
        return False
    return parts.path.lower().endswith((".pdf", ".docx", ".odt")) or not _NEVER_DOCUMENTS.search(url)


def document_links(page: ParsedPage, source) -> list[str]:
    """Canonical candidate-document URLs among the page's main-content links, in page order, unique."""
    own = {canonicalize(page.url)}
    if page.canonical_url:
        own.add(canonicalize(page.canonical_url))
    skip = set(own)
    if page.next_page:
        skip.add(canonicalize(page.next_page))
    skip.update(canonicalize(f) for f in page.feed_links)
    page_host = _host(page.url)
    out: list[str] = []
    seen: set[str] = set()
    for link in page.links:
        if not link.in_main or link.kind in ("next", "feed") or "next" in link.rel.split():
            continue
        url = canonicalize(link.url)
        if url in seen or url in skip:
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            continue
        # The site root is a hub: a "back to home" link in an article body is not a document.
        if parts.path in ("", "/") and not parts.query:
            continue
        if link.kind not in ("pdf", "office") and _NEVER_DOCUMENTS.search(url):
            continue
        if _host(url) != page_host and not allowed_by_patterns(url, source, page.url):
            continue
        if source is not None and _matches(url, getattr(source, "exclude", None)):
            continue
        seen.add(url)
        out.append(url)
    return out


def next_page(page: ParsedPage) -> str | None:
    if not page.next_page:
        return None
    nxt = canonicalize(page.next_page)
    if nxt in (canonicalize(page.url), canonicalize(page.canonical_url or page.url)):
        return None  # the last page of some themes links "next" to itself
    if _host(nxt) != _host(page.url):
        return None
    return nxt
