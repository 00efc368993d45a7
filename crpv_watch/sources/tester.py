"""The editors' "Tester": fetch a source's hubs now and show what a crawl would find, before anything is saved.

Runs the crawler's own hub discovery (feeds, listing pages, feed autodiscovery, sitemaps; first page of each
listing) through the crawler's ``Fetcher`` (same politeness, robots.txt, size limits and SSRF guard), and reports
per hub: whether it answered, how many candidate documents it gives, the first titles, and the robots.txt
verdict; the homepage is always shown (title, feeds it announces); and what each of the source's ``sections:``
gives (type, themes, the candidates that fall in it). Nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..crawl import parse_feed, parse_html
from ..crawl.error_causes import Explained, explain
from ..crawl.fetch import Fetcher
from ..crawl.hubs import HubDiscovery
from ..items import FetchResult
from ..tagging.sections import LABELS, MATCH_KEYS, section_matches
from ..text.dedup import canonicalize

FIRST_TITLES = 5


@dataclass
class HubResult:
    kind: str  # homepage | feed | listing | sitemap
    url: str
    ok: bool = False
    status: int | None = None
    error: str = ""  # the French cause
    error_detail: str = ""  # the fetcher's own words, shown smaller
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


def robots_problem(robots: dict[str, Any]) -> Explained:
    """Why robots.txt stops the fetch: unreachable (say what broke) or a real refusal."""
    reason = robots.get("reason") or ""
    if reason.startswith("robots.txt unreachable ("):
        inner = reason.split("(", 1)[1].rsplit("):", 1)[0]
        return Explained("site injoignable : " + explain(inner, robots.get("status")).cause
                         + " (robots.txt n'a pas pu être lu)", inner)
    if reason.startswith(("invalid URL", "unsupported URL")):
        return Explained("adresse invalide", reason)
    return Explained("interdit par robots.txt")


def robots_reason_fr(reason: str) -> str:
    """robots.txt's verdict (crawl/robots.py keeps English for the logs) in French for the Tester."""
    if reason.startswith("robots.txt read"):
        return "robots.txt lu" + (" (coupé à la taille maximale)" if "cut" in reason else "")
    if reason.startswith("no robots.txt"):
        return "pas de robots.txt" + reason[len("no robots.txt"):].split(":", 1)[0] + " : tout est permis"
    if reason.startswith("robots.txt unavailable"):
        return "robots.txt indisponible : tout est permis"
    if reason.startswith("robots.txt unreachable"):
        return "robots.txt injoignable : rien n'est collecté sur ce site pour l'instant"
    return explain(reason).cause if reason else ""


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
        self.candidates: list[tuple[str, str, list[str]]] = []  # (url, title, feed categories) for the sections

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
        hub.robots["reason_fr"] = robots_reason_fr(hub.robots.get("reason") or "")
        if not hub.robots.get("allowed", False):
            self._explained(hub, robots_problem(hub.robots))
            return FetchResult(url=url, final_url=url, status=0, error=hub.error)
        res = self.fetcher.fetch(url, source=self.source, kind=kind)
        hub.status = res.status or None
        if res.ok:
            hub.ok = True
            self._describe(hub, res)
        else:
            self._explained(hub, explain(res.error, res.status))
        return res

    @staticmethod
    def _explained(hub: HubResult, why: Explained) -> None:
        hub.error, hub.error_detail = why.cause, why.detail

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
            if stage == "parse" or not hub.error:  # _fetch already named the cause of a failed request
                self._explained(hub, explain(error))

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
        title = (entry.title if entry else self._texts.get(canonicalize(url))) or ""
        self.candidates.append((url, title, list(entry.categories) if entry else []))
        if len(hub.titles) < FIRST_TITLES:
            hub.titles.append(title or url)

    def probe(self) -> list[HubResult]:
        self._discover()
        if canonicalize(self.source.homepage) not in self.hubs:  # the homepage is shown even when not a hub
            self._hub(self.source.homepage, "html")
        home = [h for h in self.results if h.kind == "homepage"]
        return home + [h for h in self.results if h.kind != "homepage"]


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
    try:
        probe = _Probe(settings, source, fetcher)
        hubs = probe.probe()
        return TesterReport(hubs, section_results(source, probe.candidates, label_of))
    finally:
        fetcher.close()
