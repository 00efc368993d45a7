"""Decode an HTML page and parse its structure: title, canonical, robots directives, links, pagination.

Main-text extraction is ``extract.py``; this module only says *where* each link sits (main content or site
chrome) so that discovery follows article links and ignores menus, footers, cookie banners and
"À lire aussi" boxes, which on small CMS sites (WordPress, SPIP, Drupal) repeat on every page.
"""

from __future__ import annotations

import codecs
import re
from urllib.parse import urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Tag

from crpv_watch.items import Link, ParsedPage

CHROME_TAGS = {"nav", "header", "footer", "aside"}
CHROME_ROLES = {"navigation", "banner", "contentinfo", "complementary", "menu", "menubar", "search"}
# Matched against each id/class token. French CMS themes name these in French too (ariane = breadcrumb,
# partage = share, "a-lire-aussi" / "voir-aussi" = related articles).
_CHROME_WORDS = (r"cookies?|consent|gdpr|rgpd|tarteaucitron|menu|breadcrumbs?|ariane|share|sharing|partage|"
                 r"social|related|connexes?|a-lire-aussi|lire-aussi|voir-aussi|sidebar|widgets?|newsletter|skip-link")
_CHROME_TOKEN = re.compile(rf"(^|[-_])({_CHROME_WORDS})([-_]|$)", re.I)
# Layout/state classes that contain a chrome word but describe the page, not a chrome block ("has-sidebar"
# on the content wrapper, "content-with-sidebar", "and-w-sidebar", Elementor's "elementor-widget" around every
# content block).
_LAYOUT_TOKEN = re.compile(r"^(has|no|with|without|is|elementor|wp-block|et_pb|vc)[-_]"
                           r"|[-_](has|no|with|without|w|and)[-_](sidebar|widgets?|menu)", re.I)
# Consent banners are chrome however long they are (OneTrust/tarteaucitron dialogs describe every tracker).
_CONSENT_TOKEN = re.compile(r"(^|[-_])(cookies?|consent|gdpr|rgpd|tarteaucitron)([-_]|$)", re.I)
# A class or role match is only a guess: news themes wrap the article body in "content-with-sidebar-wrp",
# "l-sidebar-fixed l-article-body-segment" or "article__content-well url-breadcrumb". An element holding this
# much running text (few of its words in links) is the content, whatever its class says. Measured on the
# article-extraction-benchmark: without this guard, removing chrome first lost the whole body of 8 pages.
_CONTENT_CHARS = 1500
_CONTENT_LINK_SHARE = 0.3
_PAGINATION_TOKEN = re.compile(r"(^|[-_])(pagination|pager|paginat\w*|page-numbers|nav-links|wp-pagenavi|"
                               r"navigation-pagination)([-_]|$)", re.I)
_MAIN_SELECTORS = ["main", "[role=main]", "#main", "#content", "#primary", "#contenu", ".entry-content",
                   ".post-content", ".main-content"]
_MAIN_IDS = {s[1:] for s in _MAIN_SELECTORS if s.startswith("#")}
_MAIN_CLASSES = {s[1:] for s in _MAIN_SELECTORS if s.startswith(".")}
_NEXT_WORDS = {"page suivante", "suivant", "suivante", "suivants", "next", "next page", "articles plus anciens",
               "articles suivants", "older posts", "older entries", "pages suivantes", "plus anciens"}
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

def absolute(base: str, href: str | None) -> str | None:
    """Absolute http(s) URL without fragment, or None for links that are not fetchable pages."""
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith("#") or href.lower().startswith(_SKIP_SCHEMES):
        return None
    try:
        parts = urlsplit(urljoin(base, href))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _tokens(el: Tag) -> list[str]:
    classes = el.get("class") or []
    if isinstance(classes, str):
        classes = classes.split()
    ident = el.get("id")
    return [*classes, *([ident] if isinstance(ident, str) else [])]


def _is_main(el: Tag) -> bool:
    """``el`` matches one of _MAIN_SELECTORS (tested by hand: nine CSS selects cost a third of extraction)."""
    if el.name == "main" or el.get("role") == "main" or el.get("id") in _MAIN_IDS:
        return True
    classes = el.get("class") or []
    return any(c in _MAIN_CLASSES for c in (classes.split() if isinstance(classes, str) else classes))


def main_wrappers(soup: BeautifulSoup) -> set[int]:
    """ids of elements that contain the main content: they are layout, never chrome, whatever their class."""
    out: set[int] = set()
    for el in soup.find_all(_is_main):
        if id(el) not in out:
            out.add(id(el))
            out.update(id(p) for p in el.parents)
    return out


def _running_text(el: Tag) -> bool:
    """Much text, little of it in links: an article body, not a menu, a widget or a list of related links."""
    text = len(el.get_text(" ", strip=True))
    if text < _CONTENT_CHARS:
        return False
    linked = sum(len(a.get_text(" ", strip=True)) for a in el.find_all("a"))
    return linked < _CONTENT_LINK_SHARE * text


def is_chrome(el: Tag, wrappers: set[int]) -> bool:
    """Whether the element itself is site chrome (navigation, banner, footer, aside, cookie/share/related box)."""
    if el.name in ("html", "body") or id(el) in wrappers:
        return False
    tokens = _tokens(el)
    if any(_CONSENT_TOKEN.search(t) for t in tokens):
        return True
    if el.name == "header" and el.find_parent(["article", "main"]) is not None:
        # An article's own header (title, date, author) is content; only the page's header is a banner.
        pass
    elif el.name in CHROME_TAGS:
        return True
    role = (el.get("role") or "").strip().lower()
    if role in CHROME_ROLES or any(_CHROME_TOKEN.search(t) and not _LAYOUT_TOKEN.search(t) for t in tokens):
        return not _running_text(el)
    return False


def _in_pagination(el: Tag) -> bool:
    for p in [el, *el.parents]:
        if not isinstance(p, Tag) or p.name in ("body", "html"):
            break
        label = (p.get("aria-label") or "").lower()
        if "pagination" in label or "pager" in label or any(_PAGINATION_TOKEN.search(t) for t in _tokens(p)):
            return True
    return False


def _norm_text(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split()).strip()


def _is_next_text(text: str) -> bool:
    t = _norm_text(text).lower()
    if t in _NEXT_SYMBOLS:
        return True
    words = re.sub(r"[^\w\s'’]", " ", t)
    return " ".join(words.split()) in _NEXT_WORDS


def _is_pdf(url: str, type_attr: str) -> bool:
    return "pdf" in type_attr.lower() or urlsplit(url).path.lower().endswith(".pdf")


def _is_feed(url: str, type_attr: str) -> bool:
    if type_attr.lower().split(";")[0].strip() in _FEED_TYPES:
        return True
    parts = urlsplit(url)
    path = parts.path.lower()
    return (path.endswith(("/feed", "/feed/", "/rss", "/rss/", ".rss", ".atom", "/atom.xml", "/rss.xml"))
            or "page=backend" in parts.query)  # SPIP's feed is spip.php?page=backend


def _numbered_next(soup: BeautifulSoup, base: str, page_url: str) -> str | None:
    """The link numbered one more than the current page inside a pagination block."""
    for block in soup.find_all(True):
        if not any(_PAGINATION_TOKEN.search(t) for t in _tokens(block)) and "pagination" not in (block.get("aria-label") or "").lower():
            continue
        numbered: dict[int, str] = {}
        current = None
        for el in block.find_all(True):
            text = _norm_text(el.get_text())
            if not text.isdigit():
                continue
            href = absolute(base, el.get("href")) if el.name == "a" else None
            marked = (el.get("aria-current") or el.name in ("strong", "span", "em", "b")
                      or any(t.lower() in ("current", "active", "on", "selected", "is-active") for t in _tokens(el)))
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


def parse_html(url: str, body: bytes, encoding: str | None) -> ParsedPage:
    html = decode_html(body, encoding) if isinstance(body, bytes | bytearray) else str(body)
    soup = BeautifulSoup(html, "lxml")
    base_tag = soup.find("base", href=True)
    base = absolute(url, base_tag["href"]) if base_tag else None
    base = base or url
    page_self = absolute(url, url) or url

    title_tag = soup.find("title")
    title = _norm_text(title_tag.get_text()) if title_tag else ""

    canonical = None
    feed_links: list[str] = []
    next_page = None
    for link in soup.find_all("link", href=True):
        rels = [r.lower() for r in (link.get("rel") or [])]
        href = absolute(base, link["href"])
        if not href:
            continue
        if "canonical" in rels and canonical is None:
            canonical = href
        if "alternate" in rels and (link.get("type") or "").lower().split(";")[0].strip() in _FEED_TYPES:
            if href not in feed_links:
                feed_links.append(href)
        if "next" in rels and next_page is None:
            next_page = href

    noindex = nofollow = False
    for meta in soup.find_all("meta", attrs={"name": True}):
        if meta["name"].strip().lower() != "robots":
            continue
        directives = {d.strip().lower() for d in (meta.get("content") or "").split(",")}
        noindex |= bool(directives & {"noindex", "none"})
        nofollow |= bool(directives & {"nofollow", "none"})

    wrappers = main_wrappers(soup)
    chrome_cache: dict[int, bool] = {}

    def inside_chrome(el: Tag) -> bool:
        for p in el.parents:
            if not isinstance(p, Tag):
                continue
            key = id(p)
            if key not in chrome_cache:
                chrome_cache[key] = is_chrome(p, wrappers)
            if chrome_cache[key]:
                return True
        return False

    links: list[Link] = []
    text_next = symbol_next = None
    for a in soup.find_all("a", href=True):
        href = absolute(base, a["href"])
        if not href:
            continue
        text = _norm_text(a.get_text(" "))
        rels = [r.lower() for r in (a.get("rel") or [])]
        type_attr = a.get("type") or ""
        next_by_text = _is_next_text(text) or _is_next_text(a.get("aria-label") or "") or _is_next_text(a.get("title") or "")
        if "next" in rels or next_by_text or _in_pagination(a):
            kind = "next"
        elif _is_pdf(href, type_attr):
            kind = "pdf"
        elif _is_feed(href, type_attr):
            kind = "feed"
        else:
            kind = "page"
        if href != page_self:
            if "next" in rels and next_page is None:
                next_page = href
            elif next_by_text:
                t = _norm_text(text).lower()
                if t in _NEXT_SYMBOLS:
                    symbol_next = symbol_next or href
                else:
                    text_next = text_next or href
        links.append(Link(url=href, text=text, rel=" ".join(rels), in_main=not inside_chrome(a), kind=kind))

    next_page = next_page or text_next or symbol_next or _numbered_next(soup, base, page_self)
    return ParsedPage(url=url, html=html, title=title, canonical_url=canonical, noindex=noindex, nofollow=nofollow,
                      links=links, feed_links=feed_links, next_page=next_page, breadcrumb=breadcrumb_labels(soup))


_BREADCRUMB = re.compile(r"breadcrumb|ariane", re.I)


def breadcrumb_labels(soup: BeautifulSoup) -> list[str]:
    """The labels of the page's breadcrumb ("Accueil › Ressources › Fiches expérience"), for the source's
    ``sections:``: schema.org BreadcrumbList, an element whose class or id says breadcrumb / (fil d')ariane, or a
    nav labelled so."""
    trail = soup.find(attrs={"itemtype": re.compile(r"BreadcrumbList", re.I)})
    if trail is None:
        trail = soup.find(lambda t: isinstance(t, Tag) and (
            any(_BREADCRUMB.search(c) for c in t.get("class") or []) or _BREADCRUMB.search(t.get("id") or "")
            or (t.name == "nav" and _BREADCRUMB.search(t.get("aria-label") or ""))))
    if trail is None:
        return []
    items = trail.find_all("li") or trail.find_all(["a", "span"])
    labels = []
    for item in items:
        label = _norm_text(item.get_text(" ")).strip(" >›»/|")
        if label and len(label) <= 120 and label not in labels:
            labels.append(label)
    return labels[:10]
