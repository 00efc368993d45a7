"""The editors' "Tester": fetch a source's hubs now and show what a crawl would find, before anything is saved.

Runs the crawler's own hub discovery (feeds, listing pages, feed autodiscovery, sitemaps; first page of each
listing) through the crawler's ``Fetcher`` (same politeness, robots.txt, size limits and SSRF guard), and reports
per hub: whether it answered, how many candidate documents it gives, the first titles, and the robots.txt
verdict; the homepage is always shown (title, feeds it announces). Nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..crawl import parse_feed, parse_html
from ..crawl.fetch import Fetcher
from ..crawl.hubs import HubDiscovery
from ..items import FetchResult
from ..text.dedup import canonicalize

FIRST_TITLES = 5


@dataclass
class HubResult:
    kind: str  # homepage | feed | listing | sitemap
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
class TesterReport:
    hubs: list[HubResult]

    @property
    def total(self) -> int:
        return sum(h.count for h in self.hubs)

    @property
    def failures(self) -> int:
        return sum(1 for h in self.hubs if not h.ok)


class _Probe(HubDiscovery):
    """The crawler's own hub discovery (``crawl/hubs.py``: feeds, listing pages, feed autodiscovery, sitemaps),
    run once with nothing remembered and one page per listing, recording each hub it fetches and the candidates
    each gives, instead of crawling them."""

    def __init__(self, settings, source, fetcher: Fetcher):
        self.settings, self.source, self.fetcher = settings, source, fetcher
        self.seen: set[str] = set()
        self.hubs: set[str] = set()
        self.queue: list = []
        self.hub_cache: dict = {}  # nothing remembered: every hub is fetched
        self.max_pages = 1  # the first page of each listing (its next page is shown, not followed)
        self.results: list[HubResult] = []
        self._texts: dict[str, str] = {}
        self._next_kind = ""

    def _kind(self, url: str, kind: str) -> str:
        if self._next_kind:
            kind, self._next_kind = self._next_kind, ""
            return kind
        if canonicalize(url) == canonicalize(self.source.homepage):
            return "homepage"
        return "feed" if kind == "feed" else "listing"

    def _sitemap(self, url: str, quiet: bool):
        self._next_kind = "sitemap"
        return super()._sitemap(url, quiet)

    def _fetch(self, url: str, kind: str = "html", **_conditional):
        hub = HubResult(self._kind(url, kind), url)
        self.results.append(hub)
        hub.robots = self.fetcher.robots_verdict(url, self.source)
        if not hub.robots.get("allowed", False):
            return FetchResult(url=url, final_url=url, status=0, error="interdit par robots.txt")
        res = self.fetcher.fetch(url, source=self.source, kind=kind)
        hub.status = res.status or None
        if res.ok:
            hub.ok = True
            self._describe(hub, res)
        else:
            hub.error = res.error or f"HTTP {res.status}"
        return res

    def _describe(self, hub: HubResult, res) -> None:
        if hub.kind == "feed":
            feed = parse_feed.parse_feed(res.final_url, res.body)
            hub.title = feed.title
        elif hub.kind in ("homepage", "listing"):
            page = parse_html.parse_html(res.final_url, res.body, res.encoding)
            hub.title, hub.feeds = page.title, list(page.feed_links) if hub.kind == "homepage" else []
            self._texts = {canonicalize(link.url): link.text for link in page.links}

    def _error(self, url: str, stage: str, error: str, candidate: bool = True) -> None:
        hub = self.results[-1] if self.results else None
        if hub is not None:
            hub.ok = False
            hub.error = f"flux illisible : {error.removeprefix('broken feed: ')}" if stage == "parse" else error

    def _remember(self, url: str, res, **data) -> None:
        if self.results and data.get("next"):
            self.results[-1].next_page = data["next"]

    def _add(self, url: str, entry=None, depth: int = 0, stamp: str = "") -> None:
        before = len(self.queue)
        super()._add(url, entry, depth, stamp)
        hub = self.results[-1] if self.results else None
        if hub is None or len(self.queue) == before or depth:
            return
        hub.count += 1
        if len(hub.titles) < FIRST_TITLES:
            hub.titles.append((entry.title if entry else self._texts.get(canonicalize(url))) or url)

    def probe(self) -> list[HubResult]:
        self._discover()
        if canonicalize(self.source.homepage) not in self.hubs:  # the homepage is shown even when not a hub
            self._hub(self.source.homepage, "html")
        home = [h for h in self.results if h.kind == "homepage"]
        return home + [h for h in self.results if h.kind != "homepage"]


def run_tester(settings, source, resolver=None) -> TesterReport:
    fetcher = Fetcher(settings, resolver=resolver)
    try:
        return TesterReport(_Probe(settings, source, fetcher).probe())
    finally:
        fetcher.close()
