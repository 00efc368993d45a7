"""Discovery, the first half of a source's crawl: its hubs (feeds, listing pages and their pagination, the
homepage for feed autodiscovery, sitemaps) fetched conditionally and turned into candidate documents.

A mixin of ``run.SourceCrawl`` (it uses the crawl's fetcher, report and hub cache): kept apart only so that
each module stays readable. On a 304 a hub's links of last time are replayed from ``SourceState.hub_validators``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..items import FeedEntry
from ..text.dedup import canonicalize
from . import discover, parse_feed, parse_html, sitemaps


@dataclass
class Candidate:
    url: str
    entry: FeedEntry | None = None
    depth: int = 0
    stamp: str = ""  # the feed's updated (or sitemap's lastmod) stamp of this entry: unchanged stamp, no refetch


class HubDiscovery:
    def _add(self, url: str, entry: FeedEntry | None = None, depth: int = 0, stamp: str = "") -> None:
        url = canonicalize(url)
        if url in self.seen or url in self.hubs:
            return
        self.seen.add(url)
        self.queue.append(Candidate(url, entry, depth, stamp))

    def _hub(self, url: str, kind: str, quiet: bool = False):
        """Fetch a hub conditionally; on 304 the links it gave last time are replayed. ``quiet``: a 404 is
        not an error (a guessed location such as /sitemap.xml)."""
        url = canonicalize(url)
        self.hubs.add(url)
        cached = self.hub_cache.get(url) or {}
        res = self._fetch(url, kind=kind, etag=cached.get("etag"), last_modified=cached.get("last_modified"))
        if res.not_modified and "links" in cached:
            return None, cached
        if not res.ok:
            if not (quiet and res.status in (404, 410)):
                self._error(url, "fetch", res.error or f"HTTP {res.status}", candidate=False)
            return None, None
        return res, None

    def _remember(self, url: str, res, **data) -> None:
        self.hub_cache[canonicalize(url)] = {"etag": res.etag, "last_modified": res.last_modified, **data}

    def _discover(self) -> None:
        feeds = list(self.source.feeds)
        harvested = bool(getattr(self.source, "oai_pmh", None))  # a catalogue: its records are the documents
        # Listing pages or not, the homepage's advertised feeds are the surest source of news (not for a catalogue).
        if not feeds and not harvested:
            feeds = self._autodiscover()
        for feed_url in feeds:
            self._discover_feed(feed_url)
        for start in self.source.start_urls:
            self._discover_listing(start)
        # Sitemaps: opted in, or the last resort of a source with nothing else (see crawl/sitemaps.py).
        if getattr(self.source, "sitemaps", False) or not (feeds or self.source.start_urls or harvested):
            self._discover_sitemaps()

    def _discover_sitemaps(self) -> None:
        roots = self.fetcher.robots_verdict(self.source.homepage, self.source)["sitemaps"]
        guessed = not roots
        pending = roots or [sitemaps.default_location(self.source.homepage)]
        entries: list[sitemaps.SitemapEntry] = []
        fetched = 0
        while pending and fetched < sitemaps.MAX_SITEMAPS:
            url = pending.pop(0)
            if canonicalize(url) in self.hubs or not discover.allowed_by_patterns(url, self.source):
                continue
            fetched += 1
            parsed = self._sitemap(url, quiet=guessed)
            if parsed is None:
                continue
            entries.extend(parsed.urls)
            pending.extend(e.url for e in parsed.sitemaps)
        for entry in sitemaps.newest_first(entries):
            if sitemaps.in_scope(entry.url, self.source):
                self._add(entry.url, stamp=entry.lastmod)

    def _sitemap(self, url: str, quiet: bool) -> sitemaps.ParsedSitemap | None:
        res, cached = self._hub(url, "feed", quiet=quiet)
        if cached:
            return sitemaps.ParsedSitemap(
                urls=[sitemaps.SitemapEntry(i["url"], i.get("updated") or "") for i in cached["links"]],
                sitemaps=[sitemaps.SitemapEntry(u) for u in cached.get("sitemaps", [])])
        if res is None:
            return None
        parsed = sitemaps.parse_sitemap(res.body, self.settings.max_html_bytes)
        if parsed.error:
            if not quiet:
                self._error(url, "parse", parsed.error, candidate=False)
            return None
        self._remember(url, res, links=[{"url": e.url, "updated": e.lastmod} for e in parsed.urls],
                       sitemaps=[e.url for e in parsed.sitemaps])
        return parsed

    def _autodiscover(self) -> list[str]:
        home = canonicalize(self.source.homepage)
        if home in {canonicalize(s) for s in self.source.start_urls}:
            # The homepage is also a listing page: one fetch serves both. Fetched here only for its feeds, it
            # would be cached with no links and the listing would then be skipped as already seen.
            self._discover_listing(self.source.homepage)
            return (self.hub_cache.get(home) or {}).get("feeds", [])
        # With listing pages to crawl, the homepage is only asked for its feeds: its 404 is no error of the run.
        res, cached = self._hub(self.source.homepage, "html", quiet=bool(self.source.start_urls))
        if cached:
            return cached.get("feeds", [])
        if res is None:
            return []
        page = parse_html.parse_html(res.final_url, res.body, res.encoding)
        self._remember(self.source.homepage, res, links=[], feeds=page.feed_links)
        return page.feed_links

    def _discover_feed(self, feed_url: str) -> None:
        res, cached = self._hub(feed_url, "feed")
        if cached:
            for item in cached["links"]:
                self._add(item["url"], stamp=item.get("updated") or "")
            return
        if res is None:
            return
        feed = parse_feed.parse_feed(res.final_url, res.body)
        if feed.bozo and not feed.entries:
            self._error(feed_url, "parse", f"broken feed: {feed.bozo}", candidate=False)
            return
        links = []
        for entry in feed.entries:
            stamp = entry.updated.isoformat() if entry.updated else (entry.published.isoformat()
                                                                      if entry.published else "")
            self._add(entry.url, entry, stamp=stamp)
            links.append({"url": canonicalize(entry.url), "updated": stamp})
            for enclosure in entry.enclosures:
                self._add(enclosure, None, depth=1, stamp=stamp)
                links.append({"url": canonicalize(enclosure), "updated": stamp})
        self._remember(feed_url, res, links=links)

    def _discover_listing(self, start: str) -> None:
        url: str | None = start
        pages = 0
        while url and pages < self.max_pages and canonicalize(url) not in self.hubs:
            pages += 1
            res, cached = self._hub(url, "html")
            if cached:
                for link in cached["links"]:
                    self._add(link)
                url = cached.get("next")
                continue
            if res is None:
                return
            page = parse_html.parse_html(res.final_url, res.body, res.encoding)
            links = discover.document_links(page, self.source)
            for link in links:
                self._add(link)
            nxt = discover.next_page(page)
            self._remember(url, res, links=links, next=nxt, feeds=page.feed_links)
            url = nxt
