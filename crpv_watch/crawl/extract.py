"""Main text and metadata of an HTML document: text without chrome, title without site suffix, date,
language, author, summary, PDF and office attachments.

The main text is trafilatura's, run on the lxml tree ``parse_html`` already built (``html_tree.load`` is
trafilatura's own loader, so it sees the page exactly as it would have parsed it); metadata comes from the same
tree (``page_meta.py``). One parse per page instead of three: the figures and the reasons for each setting below
are in docs/QUALITY.md ("## Extraction") and docs/PERFORMANCE.md, measured with ``bench/extraction.py``.
"""

from __future__ import annotations

import copy
import re
import warnings

from lxml.html import HtmlElement

from crpv_watch.crawl import page_meta
from crpv_watch.crawl.html_tree import PageTree, flat, is_chrome, is_element, load, main_wrappers, text_of, tokens
from crpv_watch.crawl.page_meta import parse_date, strip_site_suffix
from crpv_watch.items import ExtractedDocument, FeedEntry, ParsedPage
from crpv_watch.text.dedup import canonicalize

__all__ = ["extract_html", "parse_date", "strip_site_suffix", "detect_language", "summarize", "settings"]

# Balanced mode, tables kept: on the page's own tree this is exactly plain trafilatura's text. Measured on three
# corpora with dev/test halves (docs/QUALITY.md, "## Extraction"): favor_precision won the dev halves of the news
# and French corpora but lost all three test halves (the public-sector pages by 0.06); the best fallback rule
# between the two modes, tuned on dev, still lost the French and public-sector test halves.
FAVOR_PRECISION = False
FAVOR_RECALL = False
INCLUDE_TABLES = True
PRESTRIP_CHROME = "none"  # "none" | "light" | "full": removing chrome first measured worse (docs/QUALITY.md)
# Boxes that are never the document, whatever the theme: they go before trafilatura even in "light" mode.
_BOX_TOKEN = re.compile(r"(^|[-_])(cookies?|consent|gdpr|rgpd|tarteaucitron|share|sharing|sharedaddy|partage|"
                        r"related|a-lire-aussi|lire-aussi|voir-aussi|skip-link)([-_]|$)", re.I)
_NEVER_TEXT = ("script", "style", "noscript", "template", "iframe", "svg", "button")
_FALLBACK_BLOCKS = {"h1", "h2", "h3", "h4", "p", "li", "blockquote", "td", "pre"}
SUMMARY_CHARS = 300


def settings() -> dict[str, bool | str]:
    return {"favor_precision": FAVOR_PRECISION, "favor_recall": FAVOR_RECALL, "include_tables": INCLUDE_TABLES,
            "prestrip_chrome": PRESTRIP_CHROME}


# -- main text ----------------------------------------------------------------------------------------------

def _is_box(el: HtmlElement, wrappers: set[HtmlElement]) -> bool:
    if el in wrappers or el.tag in ("html", "body"):
        return False
    return any(_BOX_TOKEN.search(t) for t in tokens(el))


def strip_chrome(tree: HtmlElement, full: bool = True) -> HtmlElement:
    """Remove chrome blocks, scripts and forms in place; returns the same tree.

    ``full``: every block ``html_tree.is_chrome`` names (menus, header, footer, sidebars…); otherwise only
    the boxes that are never content (consent banners, share buttons, "à lire aussi", skip links)."""
    for el in [e for e in tree.iter(*_NEVER_TEXT)]:
        el.drop_tree()  # keeps the element's tail text, which belongs to its parent
    for el in [e for e in tree.iter("form")]:
        el.drop_tag()  # ASP.NET and some CMS themes wrap the whole page in one <form>: only the tag goes
    wrappers = main_wrappers(tree)
    test = is_chrome if full else _is_box
    doomed: list[HtmlElement] = []
    stack = [c for c in reversed(tree) if is_element(c)]
    while stack:  # depth first; a doomed block's descendants are not visited
        el = stack.pop()
        if test(el, wrappers):
            doomed.append(el)
        else:
            stack.extend(c for c in reversed(el) if is_element(c))
    for el in doomed:
        el.drop_tree()
    return tree


def _fallback_text(tree: HtmlElement) -> str:
    """Readability-like fallback: the blocks of <article>/<main> (already without chrome)."""
    root = page_meta.main_root(tree)
    blocks = []
    for el in root.iter(*_FALLBACK_BLOCKS):
        if any(d.tag in ("p", "li", "blockquote") for d in el.iterdescendants()):
            continue  # its text comes with its children
        text = text_of(el)
        if text:
            blocks.append(text)
    return "\n".join(blocks) if blocks else text_of(root)


def _trafilatura(tree: HtmlElement, url: str, precision: bool) -> str:
    """trafilatura's main text of the tree (it works on its own copy), or "" when it finds none."""
    try:
        import trafilatura

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            doc = trafilatura.bare_extraction(tree, url=url, with_metadata=False, include_comments=False,
                                              include_tables=INCLUDE_TABLES, favor_precision=precision,
                                              favor_recall=FAVOR_RECALL and not precision)
    except Exception:  # trafilatura on pathological HTML: the caller's fallback still gives the article text
        return ""
    return ((getattr(doc, "text", None) or "") if doc is not None else "").strip()


def main_text(tree: HtmlElement, url: str) -> str:
    source = tree
    if PRESTRIP_CHROME != "none":
        source = strip_chrome(copy.deepcopy(tree), full=PRESTRIP_CHROME == "full")
    text = _trafilatura(source, url, FAVOR_PRECISION)
    if not text:  # nothing kept: the blocks of <main>/<article> once the chrome is gone
        text = _fallback_text(strip_chrome(copy.deepcopy(tree)))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(" ".join(line.split()) for line in text.split("\n"))).strip()


# -- small helpers ------------------------------------------------------------------------------------------

LANGUAGE_SAMPLE = 2000  # as for PDFs (parse_pdf.py): the first 2,000 characters name the language as surely


def detect_language(text: str, fallback: str | None = None) -> str | None:
    sample = (text or "")[:LANGUAGE_SAMPLE]
    if sum(c.isalpha() for c in sample) < 40:
        return fallback
    try:
        import py3langid

        lang, _ = py3langid.classify(sample)
        return lang
    except Exception:  # language is a facet, not worth failing a document for
        return fallback


def summarize(text: str, limit: int = SUMMARY_CHARS) -> str:
    flat_text = flat(text)
    if len(flat_text) <= limit:
        return flat_text
    return flat_text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


# -- entry point --------------------------------------------------------------------------------------------

def extract_html(page: ParsedPage, entry: FeedEntry | None = None) -> ExtractedDocument:
    parsed = page.tree if page.tree is not None else PageTree(load(page.html))
    tree = parsed.root
    ld = page_meta.json_ld(tree)
    site = page_meta.site_name(tree, page.title)
    title = flat(entry.title) if entry is not None and entry.title else page_meta.title(parsed, page.title, site)
    html_lang = ((tree.get("lang") if tree.tag == "html" else "") or "").split("-")[0].lower() or None
    text = main_text(tree, page.url)

    published = entry.published if entry is not None and entry.published else None
    if published is None:
        published = page_meta.structured_date(tree, ld)
    if published is None:
        published = page_meta.visible_date(text_of(page_meta.main_root(tree))) or page_meta.htmldate_date(tree)
    if published is None:  # any date in the main region once the chrome (footers' "© 2019"…) is gone
        published = parse_date(text_of(page_meta.main_root(strip_chrome(copy.deepcopy(tree))))[:3000])

    description = page_meta.meta(tree, "description", "og:description", "twitter:description")
    if not description and entry is not None:
        description = entry.summary
    if not description:
        description = next((p for p in text.split("\n") if len(p) >= 40 and p != title), text)

    # Explicit page metadata first, then the feed's author.
    author = page_meta.author(tree, ld, entry.author if entry is not None else "")
    meta: dict[str, object] = {"site_name": site} if site else {}
    if not author and site:
        # Association pages rarely sign their news: the centre that publishes them is their author.
        author = site
        meta["author_is_site"] = True

    attachments: list[str] = []
    for link in page.links:
        if link.in_main and link.kind in ("pdf", "office"):
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
