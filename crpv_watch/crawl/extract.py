"""Main text and metadata of an HTML document: text without chrome, title without site suffix, date,
language, author, summary, PDF attachments.

The main text is trafilatura's (favor_precision, tables kept) on the page as BeautifulSoup re-serialises it.
Chrome is *not* removed beforehand any more: measured with ``bench/extraction.py`` (figures and reasons in
docs/QUALITY.md, "## Extraction"), removing every ``parse_html.is_chrome`` block first cost 0.01 shingle F1 on
the article benchmark and nothing on the French pages, and removing only the consent/share/related boxes
cost 0.012 on the French pages; trafilatura drops the demo network's menus, banners and "à lire aussi" boxes
itself. ``strip_chrome`` still cleans the page for the fallback when trafilatura finds nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings

from bs4 import BeautifulSoup, Tag

from crpv_watch.crawl.parse_html import is_chrome, main_wrappers
from crpv_watch.items import ExtractedDocument, FeedEntry, ParsedPage
from crpv_watch.text.dedup import canonicalize

# Measured (bench/extraction.py, docs/QUALITY.md): favor_precision wins on both corpora (article benchmark
# 0.970 vs 0.961 balanced, French pages 0.941 vs 0.931); favor_recall and include_tables=False lose on both.
FAVOR_PRECISION = True
FAVOR_RECALL = False
INCLUDE_TABLES = True
PRESTRIP_CHROME = "none"  # "none" | "light" | "full"
# Boxes that are never the document, whatever the theme: they go before trafilatura even in "light" mode.
_BOX_TOKEN = re.compile(r"(^|[-_])(cookies?|consent|gdpr|rgpd|tarteaucitron|share|sharing|sharedaddy|partage|"
                        r"related|a-lire-aussi|lire-aussi|voir-aussi|skip-link)([-_]|$)", re.I)
SUMMARY_CHARS = 300


def settings() -> dict[str, bool | str]:
    return {"favor_precision": FAVOR_PRECISION, "favor_recall": FAVOR_RECALL, "include_tables": INCLUDE_TABLES,
            "prestrip_chrome": PRESTRIP_CHROME}

_MONTHS = {"janvier": 1, "janv": 1, "février": 2, "fevrier": 2, "févr": 2, "fevr": 2, "fév": 2, "mars": 3,
           "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "août": 8, "aout": 8,
           "septembre": 9, "sept": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "décembre": 12,
           "decembre": 12, "déc": 12, "dec": 12}
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_FR_DATE = re.compile(rf"\b(1er|\d{{1,2}})(?:er)?\s+({_MONTH_ALT})\.?\s+(\d{{4}})\b", re.I)
_NUM_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")  # French order: day/month/year
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})")
_PUBLISHED = re.compile(r"(publi[ée]e?s?|mis en ligne|post[ée]e?|date de publication|paru)\s*(le|:)?\s*", re.I)
# A colon separates a French title from its subtitle, not from the site's name: it is no separator here.
_TITLE_SEP = re.compile(r"\s+[|–—\-·•»]{1,2}\s+")
_DATE_META = {"article:published_time", "og:published_time", "date", "dc.date", "dc.date.issued", "dcterms.date",
              "dcterms.created", "dcterms.issued", "pubdate", "publishdate", "publication_date", "datepublished",
              "sailthru.date", "parsely-pub-date"}


# -- small helpers ------------------------------------------------------------------------------------------

def _flat(text: str) -> str:
    return " ".join((text or "").replace("\xa0", " ").split())


def _meta(soup: BeautifulSoup, *names: str) -> str:
    wanted = {n.lower() for n in names}
    for meta in soup.find_all("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        if key in wanted and meta.get("content"):
            return _flat(meta["content"])
    return ""


def _valid(d: dt.date | None) -> dt.date | None:
    if d is None or not (1990 <= d.year <= dt.date.today().year + 1):
        return None
    return d


def parse_date(value: str) -> dt.date | None:
    """ISO, French long ("12 mars 2024", "1er avril 2023") or numeric day-first ("12/03/2024") dates."""
    if not value:
        return None
    for regex, build in ((_ISO_DATE, lambda m: (int(m[1]), int(m[2]), int(m[3]))),
                         (_FR_DATE, lambda m: (int(m[3]), _MONTHS[m[2].lower()], 1 if m[1].lower() == "1er" else int(m[1]))),
                         (_NUM_DATE, lambda m: (int(m[3]), int(m[2]), int(m[1])))):
        m = regex.search(value)
        if m:
            try:
                return _valid(dt.date(*build(m)))
            except (ValueError, KeyError):
                continue
    return None


def _json_ld(soup: BeautifulSoup) -> list[dict]:
    out: list[dict] = []

    def walk(node) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            out.append(node)
            walk(node.get("@graph"))

    for script in soup.find_all("script", type=re.compile("ld\\+json", re.I)):
        try:
            walk(json.loads(script.string or ""))
        except (ValueError, TypeError):
            continue
    return out


_ROOT_TESTS = (lambda el: el.name == "main", lambda el: el.get("role") == "main", lambda el: el.name == "article",
               lambda el: el.get("id") == "content", lambda el: el.get("id") == "contenu",
               lambda el: "entry-content" in (el.get("class") or []))


def _main_root(soup: BeautifulSoup) -> Tag:
    """The first of main, [role=main], article, #content, #contenu, .entry-content (one pass, not six selects)."""
    found: list[Tag | None] = [None] * len(_ROOT_TESTS)
    for el in soup.find_all(True):
        for i, test in enumerate(_ROOT_TESTS):
            if found[i] is None and test(el):
                found[i] = el
        if found[0] is not None:
            break
    return next((el for el in found if el is not None), soup.body or soup)


def _is_box(el: Tag, wrappers: set[int]) -> bool:
    if id(el) in wrappers or el.name in ("html", "body"):
        return False
    classes = el.get("class") or []
    tokens = [*(classes.split() if isinstance(classes, str) else classes), str(el.get("id") or "")]
    return any(_BOX_TOKEN.search(t) for t in tokens if t)


def strip_chrome(soup: BeautifulSoup, full: bool = True) -> BeautifulSoup:
    """Remove chrome blocks, scripts and forms in place; returns the same soup.

    ``full``: every block ``parse_html.is_chrome`` names (menus, header, footer, sidebars…); otherwise only
    the boxes that are never content (consent banners, share buttons, "à lire aussi", skip links)."""
    for el in soup.find_all(["script", "style", "noscript", "template", "iframe", "svg", "form", "button"]):
        el.decompose()
    wrappers = main_wrappers(soup)
    test = is_chrome if full else _is_box
    doomed: list[Tag] = []
    stack = [c for c in reversed(soup.contents) if isinstance(c, Tag)]
    while stack:  # depth first; a doomed block's descendants are not visited
        el = stack.pop()
        if test(el, wrappers):
            doomed.append(el)
        else:
            stack.extend(c for c in reversed(el.contents) if isinstance(c, Tag))
    for el in doomed:
        el.decompose()
    return soup


def _fallback_text(soup: BeautifulSoup) -> str:
    """Readability-like fallback: the blocks of <article>/<main> (already without chrome)."""
    root = _main_root(soup)
    blocks = []
    for el in root.find_all(["h1", "h2", "h3", "h4", "p", "li", "blockquote", "td", "pre"]):
        if el.find(["p", "li", "blockquote"]):  # its text comes with its children
            continue
        text = _flat(el.get_text(" "))
        if text:
            blocks.append(text)
    return "\n".join(blocks) if blocks else _flat(root.get_text(" "))


def strip_site_suffix(title: str, site_name: str = "") -> str:
    """"Contrat de ville 2024 – CRPV Essonne" → "Contrat de ville 2024"."""
    title = _flat(title)
    parts = _TITLE_SEP.split(title)
    if len(parts) < 2:
        return title
    site = site_name.casefold().strip()
    if site and parts[-1].casefold() == site:
        return title[: title.rfind(parts[-1])].rstrip(" |–—-·•»:")
    if site and parts[0].casefold() == site:
        return title[len(parts[0]):].lstrip(" |–—-·•»:")
    last = parts[-1]
    head = title[: title.rfind(last)].rstrip(" |–—-·•»:")
    # Without a known site name: a short trailing segment after the last separator is the site's name.
    if len(last) <= 40 and len(head) >= len(last):
        return head
    return title


def detect_language(text: str, fallback: str | None = None) -> str | None:
    sample = (text or "")[:5000]
    if sum(c.isalpha() for c in sample) < 40:
        return fallback
    try:
        import py3langid

        lang, _ = py3langid.classify(sample)
        return lang
    except Exception:  # language is a facet, not worth failing a document for
        return fallback


def summarize(text: str, limit: int = SUMMARY_CHARS) -> str:
    flat = _flat(text)
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


# -- metadata -----------------------------------------------------------------------------------------------

def _title(soup: BeautifulSoup, page: ParsedPage, entry: FeedEntry | None, site: str) -> str:
    if entry is not None and entry.title:
        return _flat(entry.title)
    wrappers = main_wrappers(soup)
    for h1 in _main_root(soup).find_all("h1"):
        if not any(is_chrome(p, wrappers) for p in h1.parents if isinstance(p, Tag)):
            text = _flat(h1.get_text(" "))
            if text:
                return text
    og = _meta(soup, "og:title", "twitter:title")
    if og:
        return strip_site_suffix(og, site)
    return strip_site_suffix(page.title, site)


def _structured_date(soup: BeautifulSoup, ld: list[dict]) -> dt.date | None:
    for meta in soup.find_all("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        if key in _DATE_META:
            d = parse_date(meta.get("content") or "")
            if d:
                return d
    for node in ld:
        d = parse_date(str(node.get("datePublished") or node.get("dateCreated") or ""))
        if d:
            return d
    for el in soup.select("[itemprop=datePublished]"):
        d = parse_date(el.get("content") or el.get("datetime") or el.get_text(" "))
        if d:
            return d
    root = _main_root(soup)
    times = root.find_all("time") or soup.find_all("time")
    preferred = [t for t in times if t.has_attr("pubdate") or any(
        c in ("published", "entry-date", "date-published") for c in (t.get("class") or []))]
    for t in preferred + times:
        d = parse_date(t.get("datetime") or "") or parse_date(t.get_text(" "))
        if d:
            return d
    return None


def _visible_date(soup: BeautifulSoup) -> dt.date | None:
    """"Publié le 12 mars 2024", "Mis en ligne le 12/03/2024" anywhere in the main region."""
    text = _flat(_main_root(soup).get_text(" "))
    for m in _PUBLISHED.finditer(text):
        d = parse_date(text[m.end(): m.end() + 40])
        if d:
            return d
    return None


def _site_name(soup: BeautifulSoup, page_title: str) -> str:
    """og:site_name, else the theme's site title, else the suffix of <title> ("… – Passerelles")."""
    name = _meta(soup, "og:site_name", "application-name")
    if name:
        return name
    for el in soup.select(".site-title, .site-name, #site-title, #site-name, .site-branding .title"):
        text = _flat(el.get_text(" "))
        if 0 < len(text) <= 60:
            return text
    title = _flat(page_title)
    head = strip_site_suffix(title)
    if head != title:
        return title[len(head):].lstrip(" |–—-·•»:")
    return ""


def _author(soup: BeautifulSoup, ld: list[dict], fallback: str | None) -> str:
    name = _meta(soup, "author", "article:author", "dc.creator", "twitter:creator")
    if name and not name.startswith("http"):
        return name
    for node in ld:
        author = node.get("author")
        if isinstance(author, list) and author:
            author = author[0]
        if isinstance(author, dict) and author.get("name"):
            return _flat(str(author["name"]))
        if isinstance(author, str) and author and not author.startswith("http"):
            return _flat(author)
    el = soup.select_one("[rel~=author], [itemprop=author], .author .fn, .vcard .fn")
    if el is not None and _flat(el.get_text(" ")):
        return _flat(el.get_text(" "))[:120]
    return _flat(fallback or "")


# -- entry point --------------------------------------------------------------------------------------------

def extract_html(page: ParsedPage, entry: FeedEntry | None = None) -> ExtractedDocument:
    soup = BeautifulSoup(page.html, "lxml")
    ld = _json_ld(soup)
    site = _site_name(soup, page.title)
    title = _title(soup, page, entry, site)
    html_lang = ((soup.html.get("lang") if soup.html else "") or "").split("-")[0].lower() or None

    cleaned: list[BeautifulSoup] = []

    def clean() -> BeautifulSoup:  # the page without any chrome, for the fallbacks only (parsed on demand)
        if not cleaned:
            cleaned.append(strip_chrome(BeautifulSoup(page.html, "lxml")))
        return cleaned[0]

    # trafilatura gets the page re-serialised by BeautifulSoup/lxml, not the raw text: that normalisation is
    # what makes XHTML pages (xmlns="http://www.w3.org/1999/xhtml") extractable at all — on raw text one
    # benchmark page came out as its reprint notice only (shingle F1 0.964 raw, 0.970 re-serialised).
    if PRESTRIP_CHROME == "none":
        source = str(soup)  # the metadata soup: nothing above changes it
    else:
        source = str(strip_chrome(BeautifulSoup(page.html, "lxml"), full=PRESTRIP_CHROME == "full"))
    doc = None
    try:
        import trafilatura

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            doc = trafilatura.bare_extraction(source, url=page.url, with_metadata=True, include_comments=False,
                                              include_tables=INCLUDE_TABLES, favor_precision=FAVOR_PRECISION,
                                              favor_recall=FAVOR_RECALL)
    except Exception:  # trafilatura on pathological HTML: the fallback below still gives the article text
        doc = None
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    if not text:
        text = _fallback_text(clean())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(" ".join(line.split()) for line in text.split("\n"))).strip()

    published = entry.published if entry is not None and entry.published else None
    if published is None:
        published = _structured_date(soup, ld) or _visible_date(soup)
    if published is None and doc is not None and getattr(doc, "date", None):
        published = parse_date(str(doc.date))
    if published is None:
        published = parse_date(_flat(_main_root(clean()).get_text(" "))[:3000])

    description = _meta(soup, "description", "og:description", "twitter:description")
    if not description and entry is not None:
        description = entry.summary
    if not description:
        description = next((p for p in text.split("\n") if len(p) >= 40 and p != title), text)

    # Explicit page metadata first, then the feed's author, then trafilatura's byline guess.
    author = _author(soup, ld, (entry.author if entry is not None else "") or getattr(doc, "author", None))
    meta: dict[str, object] = {"site_name": site} if site else {}
    if not author and site:
        # Association pages rarely sign their news: the centre that publishes them is their author.
        author = site
        meta["author_is_site"] = True

    attachments: list[str] = []
    for link in page.links:
        if link.in_main and link.kind == "pdf":
            url = canonicalize(link.url)
            if url not in attachments:
                attachments.append(url)

    return ExtractedDocument(
        url=page.url,
        canonical_url=canonicalize(page.canonical_url or page.url),
        title=title or (entry.title if entry else "") or "",
        text=text,
        content_type="text/html",
        summary=summarize(description),
        published=published,
        author=author,
        language=detect_language(text, html_lang),
        attachments=attachments,
        meta=meta,
    )
