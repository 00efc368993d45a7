"""The editors' "Tester": fetch a source's hubs now and show what a crawl would find, before anything is saved.

Fetches the homepage, every feed and every listing page (first page only) through the crawler's own
``Fetcher`` (same politeness, robots.txt, size limits and SSRF guard), and reports per hub: whether it answered,
how many candidate documents it lists, the first titles, and the robots.txt verdict. Nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .crawl import discover, parse_feed, parse_html
from .crawl.fetch import Fetcher
from .tagging.sections import LABELS, MATCH_KEYS, section_matches

FIRST_TITLES = 5


@dataclass
class HubResult:
    kind: str  # homepage | feed | listing
    url: str
    ok: bool = False
    status: int | None = None
    error: str = ""
    title: str = ""
    count: int = 0
    titles: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)  # feeds announced by the homepage
    next_page: str | None = None
    robots: dict[str, Any] = field(default_factory=dict)


@dataclass
class SectionResult:
    """One of the source's ``sections:`` and the candidates of this test that fall in it."""
    label: str
    gives: str  # the type and themes it indicates, in French
    count: int | None = 0  # None: cannot be told before the pages are fetched (breadcrumbs)
    examples: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class TesterReport:
    hubs: list[HubResult]
    sections: list[SectionResult] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(h.count for h in self.hubs)

    @property
    def failures(self) -> int:
        return sum(1 for h in self.hubs if not h.ok)


def _fetch(fetcher: Fetcher, source, hub: HubResult, kind: str):
    hub.robots = fetcher.robots_verdict(hub.url, source)
    if not hub.robots.get("allowed", False):
        hub.error = "interdit par robots.txt"
        return None
    res = fetcher.fetch(hub.url, source=source, kind=kind)
    hub.status = res.status or None
    if not res.ok:
        hub.error = res.error or f"HTTP {res.status}"
        return None
    hub.ok = True
    return res


def section_results(source, candidates: list[tuple[str, str, list[str]]], label_of=None) -> list[SectionResult]:
    """Per section, the candidates (url, title, feed categories) it matches; breadcrumbs are only known once each
    page is fetched, so they are said so rather than counted."""
    label_of = label_of or (lambda kind, value: value)
    out = []
    for section in source.sections:
        key = next(k for k in MATCH_KEYS if k in section)
        gives = ", ".join([f"type {label_of('type', section['type'])}"] if section.get("type") else []
                          + [f"thème {label_of('theme', t)}" for t in section.get("themes") or []])
        result = SectionResult(f"{LABELS[key]} « {section[key]} »", gives)
        if key == "breadcrumb":
            result.count, result.note = None, "lu sur chaque page lors de la collecte"
        else:
            hits = [title or url for url, title, categories in candidates
                    if section_matches(section, url, (), categories)]
            result.count, result.examples = len(hits), hits[:FIRST_TITLES]
        out.append(result)
    return out


def run_tester(settings, source, resolver=None, label_of=None) -> TesterReport:
    fetcher = Fetcher(settings, resolver=resolver)
    hubs: list[HubResult] = []
    candidates: list[tuple[str, str, list[str]]] = []  # (url, title, feed categories) for the sections
    try:
        home = HubResult("homepage", source.homepage)
        hubs.append(home)
        res = _fetch(fetcher, source, home, "html")
        if res is not None:
            page = parse_html.parse_html(res.final_url, res.body, res.encoding)
            home.title, home.feeds = page.title, list(page.feed_links)
        for url in source.feeds:
            hub = HubResult("feed", url)
            hubs.append(hub)
            res = _fetch(fetcher, source, hub, "feed")
            if res is None:
                continue
            feed = parse_feed.parse_feed(res.final_url, res.body)
            if feed.bozo and not feed.entries:
                hub.ok, hub.error = False, f"flux illisible : {feed.bozo}"
                continue
            hub.title, hub.count = feed.title, len(feed.entries)
            candidates += [(e.url, e.title, e.categories) for e in feed.entries]
            hub.titles = [e.title or e.url for e in feed.entries[:FIRST_TITLES]]
        for url in source.start_urls:
            hub = HubResult("listing", url)
            hubs.append(hub)
            res = _fetch(fetcher, source, hub, "html")
            if res is None:
                continue
            page = parse_html.parse_html(res.final_url, res.body, res.encoding)
            links = discover.document_links(page, source)
            texts = {link.url: link.text for link in page.links}
            hub.title, hub.count, hub.next_page = page.title, len(links), discover.next_page(page)
            hub.titles = [texts.get(u) or u for u in links[:FIRST_TITLES]]
            candidates += [(u, texts.get(u) or "", []) for u in links]
    finally:
        fetcher.close()
    return TesterReport(hubs, section_results(source, candidates, label_of))
