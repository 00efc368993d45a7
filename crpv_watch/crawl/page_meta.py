"""Metadata of an HTML page read from its lxml tree: title without the site's suffix, publication date, site
name and author. The main text is ``extract.py``'s.

Explicit markup first (meta tags, JSON-LD, itemprop, <time>), then what the page shows ("Publié le 12 mars
2024"); trafilatura's own metadata pass is not run on every page (it cost a third of its extraction time,
docs/PERFORMANCE.md): htmldate is asked only when everything here found no date.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from lxml.etree import XPath
from lxml.html import HtmlElement

from crpv_watch.crawl.html_tree import PageTree, body, flat, text_of

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


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_SITE_TITLE = XPath(f"descendant-or-self::*[@id='site-title' or @id='site-name' or {_has_class('site-title')} or {_has_class('site-name')}]"
                    f" | descendant-or-self::*[{_has_class('site-branding')}]/descendant::*[{_has_class('title')}]")
_AUTHOR = XPath(f"descendant-or-self::*[contains(concat(' ', normalize-space(@rel), ' '), ' author ') or @itemprop='author']"
                f" | descendant-or-self::*[{_has_class('author')} or {_has_class('vcard')}]/descendant::*[{_has_class('fn')}]")
_DATE_PUBLISHED = XPath("descendant-or-self::*[@itemprop='datePublished']")


def meta(tree: HtmlElement, *names: str) -> str:
    wanted = {n.lower() for n in names}
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key in wanted and el.get("content"):
            return flat(el.get("content"))
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


def json_ld(tree: HtmlElement) -> list[dict]:
    out: list[dict] = []

    def walk(node) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            out.append(node)
            walk(node.get("@graph"))

    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        try:
            walk(json.loads(script.text or ""))
        except (ValueError, TypeError):
            continue
    return out


# In this order: main, [role=main], article, #content, #contenu, .entry-content; the first that matches wins.
_ROOT_XPATHS = [XPath(f"(descendant-or-self::{x})[1]") for x in (
    "main", "*[@role='main']", "article", "*[@id='content']", "*[@id='contenu']",
    "*[contains(concat(' ', normalize-space(@class), ' '), ' entry-content ')]")]


def main_root(tree: HtmlElement) -> HtmlElement:
    """The main region: the first element of the first of these kinds that the page has, else <body>."""
    for xpath in _ROOT_XPATHS:
        found = xpath(tree)
        if found:
            return found[0]
    return body(tree)


def strip_site_suffix(title: str, site_name: str = "") -> str:
    """"Contrat de ville 2024 – CRPV Essonne" → "Contrat de ville 2024"."""
    title = flat(title)
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


def title(page: PageTree, page_title: str, site: str) -> str:
    tree = page.root
    for h1 in main_root(tree).iter("h1"):
        if not page.inside_chrome(h1):
            text = text_of(h1)
            if text:
                return text
    og = meta(tree, "og:title", "twitter:title")
    if og:
        return strip_site_suffix(og, site)
    return strip_site_suffix(page_title, site)


def structured_date(tree: HtmlElement, ld: list[dict]) -> dt.date | None:
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key in _DATE_META:
            d = parse_date(el.get("content") or "")
            if d:
                return d
    for node in ld:
        d = parse_date(str(node.get("datePublished") or node.get("dateCreated") or ""))
        if d:
            return d
    for el in _DATE_PUBLISHED(tree):
        d = parse_date(el.get("content") or el.get("datetime") or text_of(el))
        if d:
            return d
    times = list(main_root(tree).iter("time")) or list(tree.iter("time"))
    preferred = [t for t in times if t.get("pubdate") is not None or any(
        c in ("published", "entry-date", "date-published") for c in (t.get("class") or "").split())]
    for t in preferred + times:
        d = parse_date(t.get("datetime") or "") or parse_date(text_of(t))
        if d:
            return d
    return None


def visible_date(root_text: str) -> dt.date | None:
    """"Publié le 12 mars 2024", "Mis en ligne le 12/03/2024" in the main region's text."""
    for m in _PUBLISHED.finditer(root_text):
        d = parse_date(root_text[m.end(): m.end() + 40])
        if d:
            return d
    return None


def htmldate_date(tree: HtmlElement) -> dt.date | None:
    """htmldate's quick search (URL, headers, markup), for the pages where nothing above found a date."""
    try:
        from htmldate import find_date

        found = find_date(tree, extensive_search=False, original_date=True)
    except Exception:  # a date is a nicety: htmldate failing on odd markup loses nothing else
        return None
    return parse_date(found or "")


def site_name(tree: HtmlElement, page_title: str) -> str:
    """og:site_name, else the theme's site title, else the suffix of <title> ("… – Passerelles")."""
    name = meta(tree, "og:site_name", "application-name")
    if name:
        return name
    for el in _SITE_TITLE(tree):
        text = text_of(el)
        if 0 < len(text) <= 60:
            return text
    page_title = flat(page_title)
    head = strip_site_suffix(page_title)
    if head != page_title:
        return page_title[len(head):].lstrip(" |–—-·•»:")
    return ""


def author(tree: HtmlElement, ld: list[dict], fallback: str | None) -> str:
    name = meta(tree, "author", "article:author", "dc.creator", "twitter:creator")
    if name and not name.startswith("http"):
        return name
    for node in ld:
        found = node.get("author")
        if isinstance(found, list) and found:
            found = found[0]
        if isinstance(found, dict) and found.get("name"):
            return flat(str(found["name"]))
        if isinstance(found, str) and found and not found.startswith("http"):
            return flat(found)
    marked = _AUTHOR(tree)
    if marked and text_of(marked[0]):
        return text_of(marked[0])[:120]
    return flat(fallback or "")
