"""One lxml tree per HTML page, and what both link discovery and main-text extraction ask of it: which blocks
are site chrome (menus, banners, footers, cookie/share/related boxes) and which wrap the main content.

Why lxml and not BeautifulSoup: measured with ``bench/extraction.py`` (docs/PERFORMANCE.md), building two
BeautifulSoup trees per page, CSS selects over them and re-serialising one for trafilatura cost three times
trafilatura's own extraction. The page is now parsed once, by trafilatura's own loader (so trafilatura gets
exactly the tree it would have built itself), and the same tree serves links, metadata and the main text.
"""

from __future__ import annotations

import re

import lxml.html
from lxml.etree import XPath
from lxml.html import HtmlElement

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
MAIN_IDS = {"main", "content", "primary", "contenu"}
MAIN_CLASSES = {"entry-content", "post-content", "main-content"}
_EMPTY_PAGE = "<html><head></head><body></body></html>"


def load(html: str) -> HtmlElement:
    """The page's tree as trafilatura builds it (comments and processing instructions dropped); never None."""
    from trafilatura.utils import load_html

    tree = None
    try:
        tree = load_html(html)
    except Exception:  # lxml refuses some byte soups: the fallbacks below still give a tree
        tree = None
    if tree is None:
        try:
            tree = lxml.html.document_fromstring(html or _EMPTY_PAGE)
        except Exception:  # empty or unparseable: an empty page, whose text is empty
            tree = lxml.html.document_fromstring(_EMPTY_PAGE)
    return tree


def is_element(el) -> bool:
    return isinstance(el.tag, str)


def tokens(el: HtmlElement) -> list[str]:
    ident = el.get("id")
    return [*(el.get("class") or "").split(), *([ident] if ident else [])]


def flat(text: str | None) -> str:
    return " ".join((text or "").replace("\xa0", " ").split())


def text_of(el: HtmlElement) -> str:
    """The element's text with its whitespace collapsed (BeautifulSoup's ``get_text(" ", strip=True)``)."""
    return flat(" ".join(el.itertext()))


def body(tree: HtmlElement) -> HtmlElement:
    found = tree.find("body")
    return found if found is not None else tree


# XPath (evaluated in C) picks the few candidates, Python checks their tokens exactly: a Python test on every
# element, or an XPath class test with concat()/normalize-space(), each cost more than trafilatura's extraction.
# Each attribute test costs about 1 µs per element in libxml2: predicates are kept short and loose.
_MAIN_XPATH = XPath("descendant-or-self::*[self::main or @role='main' or " + " or ".join(f"@id='{i}'" for i in sorted(MAIN_IDS))
                    + " or contains(@class, '-content')]")


def main_wrappers(tree: HtmlElement) -> set[HtmlElement]:
    """Elements that contain the main content: they are layout, never chrome, whatever their class."""
    out: set[HtmlElement] = set()
    for el in _MAIN_XPATH(tree):
        if el in out or not (el.tag == "main" or el.get("role") == "main" or el.get("id") in MAIN_IDS
                             or MAIN_CLASSES.intersection((el.get("class") or "").split())):
            continue
        out.add(el)
        out.update(el.iterancestors())
    return out


def _running_text(el: HtmlElement) -> bool:
    """Much text, little of it in links: an article body, not a menu, a widget or a list of related links."""
    text = len(text_of(el))
    if text < _CONTENT_CHARS:
        return False
    linked = sum(len(text_of(a)) for a in el.iter("a"))
    return linked < _CONTENT_LINK_SHARE * text


def is_chrome(el: HtmlElement, wrappers: set[HtmlElement]) -> bool:
    """Whether the element itself is site chrome (navigation, banner, footer, aside, cookie/share/related box)."""
    if el.tag in ("html", "body") or el in wrappers:
        return False
    toks = tokens(el)
    if any(_CONSENT_TOKEN.search(t) for t in toks):
        return True
    if el.tag == "header" and any(p.tag in ("article", "main") for p in el.iterancestors()):
        pass  # an article's own header (title, date, author) is content; only the page's header is a banner
    elif el.tag in CHROME_TAGS:
        return True
    role = (el.get("role") or "").strip().lower()
    if role in CHROME_ROLES or any(_CHROME_TOKEN.search(t) and not _LAYOUT_TOKEN.search(t) for t in toks):
        return not _running_text(el)
    return False


class PageTree:
    """A page's tree with its chrome verdicts: ``inside_chrome(el)`` judges each ancestor once per page, and
    link discovery and extraction share the verdicts (``ParsedPage.tree``)."""

    def __init__(self, root: HtmlElement):
        self.root = root
        self.wrappers = main_wrappers(root)
        self._cache: dict[HtmlElement, bool] = {}
        self._in_chrome: dict[HtmlElement, bool] = {}  # the element is chrome or sits in chrome

    def chrome(self, el: HtmlElement) -> bool:
        verdict = self._cache.get(el)
        if verdict is None:
            verdict = self._cache[el] = is_chrome(el, self.wrappers)
        return verdict

    def inside_chrome(self, el: HtmlElement) -> bool:
        # Links share their ancestors: each ancestor's verdict is reached once per page, from the nearest one
        # already known (walking every link's ancestors to the root made an lxml proxy per step).
        chain = []
        parent = el.getparent()
        while parent is not None and parent not in self._in_chrome:
            chain.append(parent)
            parent = parent.getparent()
        verdict = self._in_chrome[parent] if parent is not None else False
        for node in reversed(chain):
            verdict = verdict or self.chrome(node)
            self._in_chrome[node] = verdict
        return verdict
