"""Decode an HTML page and parse its structure: title, canonical, robots directives, links, pagination.

Main-text extraction is ``extract.py``; this module only says *where* each link sits (main content or site
chrome) so that discovery follows article links and ignores menus, footers, cookie banners and
"À lire aussi" boxes, which on small CMS sites (WordPress, SPIP, Drupal) repeat on every page.
"""

from __future__ import annotations

import codecs
import re
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml.etree import XPath
from lxml.html import HtmlElement

from crpv_watch.crawl.html_tree import PageTree, is_element, load, tokens
from crpv_watch.items import Link, ParsedPage

_PAGINATION_TOKEN = re.compile(r"(^|[-_])(pagination|pager|paginat\w*|page-numbers|nav-links|wp-pagenavi|"
                               r"navigation-pagination)([-_]|$)", re.I)
_NEXT_WORDS = {"page suivante", "suivant", "suivante", "suivants", "next", "next page", "articles plus anciens",
               "articles suivants", "older posts", "older entries", "pages suivantes", "plus anciens"}
_NEXT_MAX_CHARS = 40  # longer than any of _NEXT_WORDS, even with spaces and arrows around it
_NEXT_SYMBOLS = ["›", "»", ">", ">>", "→", "⟩"]
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml"}
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "sms:", "callto:", "ftp:")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


# -- decoding ------------------------------------------------------------------------------------------------

def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    # WHATWG: pages labelled latin-1/ascii are decoded as windows-1252 by every browser (’ and œ live there).
    if name in {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii", "l1"}:
        name = "cp1252"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _try(body: bytes, codec: str | None) -> str | None:
    if not codec:
        return None
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(body: bytes, header_charset: str | None) -> str:
    """Bytes → text: BOM, HTTP charset, <meta charset>, UTF-8, then statistical sniffing.

    A declared charset that cannot decode the bytes is skipped instead of producing mojibake: small sites
    often send ``charset=utf-8`` from the server for windows-1252 files written years ago.
    """
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return body[len(bom):].decode(codec, errors="replace")
    text = _try(body, _codec(header_charset))
    if text is not None:
        return text
    match = _META_CHARSET.search(body[:4096])
    text = _try(body, _codec(match.group(1).decode("ascii", "ignore"))) if match else None
    if text is not None:
        return text
    text = _try(body, "utf-8")
    if text is not None:
        return text
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(body[:200_000]).best()
        if best is not None and _try(body, best.encoding) is not None:
            return body.decode(best.encoding)
    except Exception:  # sniffing is a best effort; windows-1252 below is the right guess for French pages
        pass
    return _try(body, "cp1252") or body.decode("latin-1")


# -- structure -----------------------------------------------------------------------------------------------

# Attachments a centre publishes besides PDFs: word-processing files (forms of calls for projects, fiches),
# read by the same sandboxed worker pool as PDFs (crawl/parse_office.py).
OFFICE_EXTENSIONS = (".docx", ".odt")
_OFFICE_TYPES = ("wordprocessingml", "opendocument.text")


def absolute(base: str, href: str | None) -> str | None:
    """Absolute http(s) URL without fragment, or None for links that are not fetchable pages."""
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith("#") or href.lower().startswith(_SKIP_SCHEMES):
        return None
    try:
        # An absolute href needs no joining (urljoin is most of the cost of a page's hundreds of links).
        parts = urlsplit(href if href.startswith(("http://", "https://")) else urljoin(base, href))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _text(el: HtmlElement) -> str:
    return _norm_text(" ".join(el.itertext()))


# Every pagination token contains "ag" (pag, Pag, PAG) or is "nav-links": XPath (in C) keeps a few hundred
# candidates with four loose tests (twelve exact ones cost three times as much), the regex decides.
_LABELLED = XPath("descendant-or-self::*[contains(@class, 'ag') or contains(@id, 'ag') or contains(@aria-label, 'ag')"
                  " or contains(@class, 'nav-links')]")


def _pagination_blocks(tree: HtmlElement) -> list[HtmlElement]:
    """Pagination blocks in page order: a pagination class/id or an aria-label naming a pagination/pager."""
    out: list[HtmlElement] = []
    for el in _LABELLED(tree):
        label = (el.get("aria-label") or "").lower()
        if "pagination" in label or "pager" in label or any(_PAGINATION_TOKEN.search(t) for t in tokens(el)):
            out.append(el)
    return out


def _norm_text(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split()).strip()


def _is_next_text(text: str) -> bool:
    if not text or len(text) > _NEXT_MAX_CHARS:
        return False
    t = _norm_text(text).lower()
    if t in _NEXT_SYMBOLS:
        return True
    words = re.sub(r"[^\w\s'’]", " ", t)
    return " ".join(words.split()) in _NEXT_WORDS


def is_office(url: str, type_attr: str = "") -> bool:
    return any(t in type_attr.lower() for t in _OFFICE_TYPES) or urlsplit(url).path.lower().endswith(OFFICE_EXTENSIONS)


def _link_kind(url: str, type_attr: str) -> str:
    """"pdf", "office", "feed" or "page", from the link's type attribute and its URL's path."""
    parts = urlsplit(url)
    path, media = parts.path.lower(), type_attr.lower()
    if "pdf" in media or path.endswith(".pdf"):
        return "pdf"
    if any(t in media for t in _OFFICE_TYPES) or path.endswith(OFFICE_EXTENSIONS):
        return "office"
    if (media.split(";")[0].strip() in _FEED_TYPES
            or path.endswith(("/feed", "/feed/", "/rss", "/rss/", ".rss", ".atom", "/atom.xml", "/rss.xml"))
            or "page=backend" in parts.query):  # SPIP's feed is spip.php?page=backend
        return "feed"
    return "page"


def _numbered_next(blocks: list[HtmlElement], base: str, page_url: str) -> str | None:
    """The link numbered one more than the current page inside a pagination block."""
    for block in blocks:
        if not any(_PAGINATION_TOKEN.search(t) for t in tokens(block)) and "pagination" not in (block.get("aria-label") or "").lower():
            continue
        numbered: dict[int, str] = {}
        current = None
        for el in block.iterdescendants():
            if not is_element(el):
                continue
            text = _text(el)
            if not text.isdigit():
                continue
            href = absolute(base, el.get("href")) if el.tag == "a" else None
            marked = (el.get("aria-current") or el.tag in ("strong", "span", "em", "b")
                      or any(t.lower() in ("current", "active", "on", "selected", "is-active") for t in tokens(el)))
            if href and href != page_url and not el.get("aria-current"):
                numbered.setdefault(int(text), href)
            elif marked and current is None:
                current = int(text)
        if not numbered:
            continue
        if current is None:  # no "current" marker: page 1 when its number is not a link
            current = 1 if 1 not in numbered else None
        if current is not None and current + 1 in numbered:
            return numbered[current + 1]
    return None


def _rels(el: HtmlElement) -> list[str]:
    return [r.lower() for r in (el.get("rel") or "").split()]


def parse_html(url: str, body: bytes, encoding: str | None) -> ParsedPage:
    html = decode_html(body, encoding) if isinstance(body, bytes | bytearray) else str(body)
    page = PageTree(load(html))
    tree = page.root
    base_tag = next((b for b in tree.iter("base") if b.get("href")), None)
    base = absolute(url, base_tag.get("href")) if base_tag is not None else None
    base = base or url
    page_self = absolute(url, url) or url

    title_tag = next(iter(tree.iter("title")), None)
    title = _text(title_tag) if title_tag is not None else ""

    canonical = None
    feed_links: list[str] = []
    next_page = None
    for link in tree.iter("link"):
        href = absolute(base, link.get("href"))
        if not href:
            continue
        rels = _rels(link)
        if "canonical" in rels and canonical is None:
            canonical = href
        if "alternate" in rels and (link.get("type") or "").lower().split(";")[0].strip() in _FEED_TYPES:
            if href not in feed_links:
                feed_links.append(href)
        if "next" in rels and next_page is None:
            next_page = href

    noindex = nofollow = False
    for meta in tree.iter("meta"):
        if (meta.get("name") or "").strip().lower() != "robots":
            continue
        directives = {d.strip().lower() for d in (meta.get("content") or "").split(",")}
        noindex |= bool(directives & {"noindex", "none"})
        nofollow |= bool(directives & {"nofollow", "none"})

    blocks = _pagination_blocks(tree)
    paginated = {a for block in blocks for a in block.iter("a")}
    # Menus repeat the same hrefs: each (href, type) is resolved and classified once (urljoin is not free).
    resolved: dict[tuple[str | None, str], tuple[str | None, str]] = {}
    links: list[Link] = []
    text_next = symbol_next = None
    for a in tree.iter("a"):
        key = (a.get("href"), a.get("type") or "")
        if key not in resolved:
            href = absolute(base, key[0])
            resolved[key] = (href, _link_kind(href, key[1]) if href else "")
        href, link_kind = resolved[key]
        if not href:
            continue
        text = _text(a)
        rels = _rels(a)
        next_by_text = _is_next_text(text) or _is_next_text(a.get("aria-label") or "") or _is_next_text(a.get("title") or "")
        kind = "next" if "next" in rels or next_by_text or a in paginated else link_kind
        if href != page_self:
            if "next" in rels and next_page is None:
                next_page = href
            elif next_by_text:
                if text.lower() in _NEXT_SYMBOLS:
                    symbol_next = symbol_next or href
                else:
                    text_next = text_next or href
        links.append(Link(url=href, text=text, rel=" ".join(rels), in_main=not page.inside_chrome(a), kind=kind))

    next_page = next_page or text_next or symbol_next or _numbered_next(blocks, base, page_self)
    return ParsedPage(url=url, html=html, title=title, canonical_url=canonical, noindex=noindex, nofollow=nofollow,
                      links=links, feed_links=feed_links, next_page=next_page, tree=page)
