"""One crawl run: sources in parallel, each through fetch → parse → extract → dedup → tag → store → index.

Every candidate document URL met lands in exactly one bucket of its source's report (new, updated, unchanged,
duplicates, skipped, removed or errors); hubs (feeds, homepages, listing pages) are fetched but never counted
as documents. Each document is committed with its index-queue entry, so a run killed at any point resumes
without duplicates or losses.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from sqlalchemy import select

from ..indexer import Indexer
from ..items import FeedEntry
from ..store import repo
from ..store.ingest import SourceRef, body_hash, ingest, record_gone, record_unchanged
from ..store.models import CrawlError, CrawlRun, CrawlRunSource, SourceState, utcnow
from . import discover, parse_feed, parse_html, parse_pdf
from .dedup import canonicalize
from .extract import extract_html
from .fetch import Fetcher

log = logging.getLogger(__name__)
Progress = Callable[[str, str, dict], None]  # (source_id, event, data)


@dataclass
class SourceReport:
    id: str
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    skipped: int = 0
    removed: int = 0
    errors: list[dict] = field(default_factory=list)
    status: str = "running"
    skipped_reasons: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("status")
        return data

    @property
    def candidates(self) -> int:
        return self.new + self.updated + self.unchanged + self.duplicates + self.skipped + self.removed + len(
            [e for e in self.errors if e.get("candidate", True)])


@dataclass
class CrawlReport:
    run_id: int
    status: str
    sources: list[SourceReport]
    documents_total: int

    def to_json(self) -> dict:
        return {"run_id": self.run_id, "status": self.status,
                "sources": [s.to_json() for s in self.sources], "documents_total": self.documents_total}


@dataclass
class Candidate:
    url: str
    entry: FeedEntry | None = None
    depth: int = 0
    stamp: str = ""  # the feed's updated/published stamp of this entry: unchanged stamp, no refetch


class CrawlRunner:
    def __init__(self, services, fetcher: Fetcher | None = None, progress: Progress | None = None):
        self.services = services
        self.settings = services.settings
        self.fetcher = fetcher or Fetcher(self.settings)
        self.progress = progress or (lambda *_: None)
        self.indexer = Indexer(services)
        from ..tagging.tagger import Tagger

        self.tagger = Tagger(services.vocabulary)

    def run(self, source_ids: list[str] | None = None) -> CrawlReport:
        sources = self._select(source_ids)
        ranks = {s.id: n for n, s in enumerate(self.services.sources)}
        with self.services.db.session() as session:
            interrupted_runs(session)
            run = CrawlRun(status="running", pid=os.getpid(), source_ids=[s.id for s in sources], progress={})
            session.add(run)
            session.flush()
            run_id = run.id
        ACTIVE_RUNS.add(run_id)
        self.indexer.drain()  # whatever a killed run committed but did not index
        reports: list[SourceReport] = []
        status = "completed"
        try:
            with ThreadPoolExecutor(max_workers=max(1, self.settings.crawl_concurrency),
                                    thread_name_prefix="crawl") as pool:
                futures = [pool.submit(SourceCrawl(self, s, run_id, ranks).run) for s in sources]
                reports = [f.result() for f in futures]
        except BaseException:
            status = "failed"
            raise
        finally:
            ACTIVE_RUNS.discard(run_id)
            self.indexer.drain()
            with self.services.db.session() as session:
                run = session.get(CrawlRun, run_id)
                run.status = status
                run.finished_at = utcnow()
        return CrawlReport(run_id, status, reports, self.services.engine.count())

    def _select(self, source_ids: list[str] | None) -> list:
        known = {s.id: s for s in self.services.sources}
        if source_ids:
            missing = [i for i in source_ids if i not in known]
            if missing:
                raise KeyError(f"unknown source(s): {', '.join(missing)}")
            return [known[i] for i in source_ids]
        return [s for s in self.services.sources if s.enabled]

    def close(self) -> None:
        self.fetcher.close()


ACTIVE_RUNS: set[int] = set()  # runs under way in this process


def interrupted_runs(session) -> int:
    """Runs left 'running' by a process that is gone are marked interrupted (their work is kept)."""
    count = 0
    for run in session.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
        mine = run.pid == os.getpid()
        if (mine and run.id in ACTIVE_RUNS) or (not mine and run.pid and _alive(run.pid)):
            continue
        run.status = "interrupted"
        run.finished_at = run.finished_at or utcnow()
        count += 1
    return count


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SourceCrawl:
    """One source: discover candidates from its hubs, then take each through the stages."""

    PROGRESS_EVERY = 1.0  # seconds between progress writes to the database

    def __init__(self, runner: CrawlRunner, source, run_id: int, ranks: dict[str, int]):
        self.runner, self.source, self.run_id, self.ranks = runner, source, run_id, ranks
        self.services = runner.services
        self.settings = runner.settings
        self.fetcher = runner.fetcher
        self.report = SourceReport(source.id)
        self.ref = SourceRef(source.id, ranks.get(source.id, 0))
        self.hubs: set[str] = set()
        self.seen: set[str] = set()
        self.queue: list[Candidate] = []
        self.max_pages = source.max_pages or self.settings.max_pages_per_source
        self.max_depth = source.max_depth if source.max_depth is not None else self.settings.max_depth
        self._last_progress = 0.0
        self._documents_fetched = 0

    # -- bookkeeping ---------------------------------------------------------------------------------------
    def _skip(self, reason: str) -> None:
        self.report.skipped += 1
        self.report.skipped_reasons[reason] = self.report.skipped_reasons.get(reason, 0) + 1

    def _error(self, url: str, stage: str, error: str, candidate: bool = True) -> None:
        self.report.errors.append({"url": url, "stage": stage, "error": error, "candidate": candidate})
        log.info("%s: %s failed at %s: %s", self.source.id, url, stage, error)

    def _fetch(self, url: str, **kwargs):
        res = self.fetcher.fetch(url, source=self.source, **kwargs)
        self.report.fetched += res.requests
        return res

    def _emit(self, event: str, force: bool = False) -> None:
        data = {"done": self.report.candidates, "total": len(self.seen), **self.report.to_json()}
        data["errors"] = len(self.report.errors)
        self.runner.progress(self.source.id, event, data)
        now = time.monotonic()
        if force or now - self._last_progress >= self.PROGRESS_EVERY:
            self._last_progress = now
            with self.services.db.session() as session:
                run = session.get(CrawlRun, self.run_id)
                run.progress = {**(run.progress or {}), self.source.id: {
                    "status": self.report.status, "done": data["done"], "total": data["total"],
                    "errors": data["errors"]}}

    # -- the run -------------------------------------------------------------------------------------------
    def run(self) -> SourceReport:
        with self.services.db.session() as session:
            state = session.get(SourceState, self.source.id) or SourceState(source_id=self.source.id,
                                                                             hub_validators={})
            session.add(state)
            self.first_crawl = not state.first_crawl_done
            self.hub_cache = dict(state.hub_validators or {})
        self._emit("start", force=True)
        try:
            self._discover()
            while self.queue:
                candidate = self.queue.pop(0)
                try:
                    self._process(candidate)
                except Exception as exc:  # one failing document never stops its source
                    log.exception("%s: %s", self.source.id, candidate.url)
                    self._error(candidate.url, "pipeline", f"{type(exc).__name__}: {exc}")
                self._emit("document")
            self.report.status = "completed"
        except Exception as exc:  # one failing source never stops the crawl
            log.exception("source %s failed", self.source.id)
            self.report.status = "failed"
            self._error(self.source.homepage, "source", f"{type(exc).__name__}: {exc}", candidate=False)
        self._finish()
        return self.report

    def _finish(self) -> None:
        with self.services.db.session() as session:
            state = session.get(SourceState, self.source.id)
            state.hub_validators = self.hub_cache
            state.last_run_id = self.run_id
            if self.report.status == "completed":
                state.first_crawl_done = True
            r = self.report
            session.add(CrawlRunSource(run_id=self.run_id, source_id=self.source.id, status=r.status,
                                       fetched=r.fetched, new=r.new, updated=r.updated, unchanged=r.unchanged,
                                       duplicates=r.duplicates, skipped=r.skipped, removed=r.removed,
                                       error_count=len(r.errors), finished_at=utcnow()))
            session.add_all(CrawlError(run_id=self.run_id, source_id=self.source.id, url=e["url"][:2000],
                                       stage=e["stage"], error=e["error"]) for e in r.errors)
        self.runner.indexer.drain()
        self._emit("finish", force=True)

    # -- discovery: hubs → candidates ----------------------------------------------------------------------
    def _add(self, url: str, entry: FeedEntry | None = None, depth: int = 0, stamp: str = "") -> None:
        url = canonicalize(url)
        if url in self.seen or url in self.hubs:
            return
        self.seen.add(url)
        self.queue.append(Candidate(url, entry, depth, stamp))

    def _hub(self, url: str, kind: str):
        """Fetch a hub conditionally; on 304 the links it gave last time are replayed."""
        url = canonicalize(url)
        self.hubs.add(url)
        cached = self.hub_cache.get(url) or {}
        res = self._fetch(url, kind=kind, etag=cached.get("etag"), last_modified=cached.get("last_modified"))
        if res.not_modified and "links" in cached:
            return None, cached
        if not res.ok:
            self._error(url, "fetch", res.error or f"HTTP {res.status}", candidate=False)
            return None, None
        return res, None

    def _remember(self, url: str, res, **data) -> None:
        self.hub_cache[canonicalize(url)] = {"etag": res.etag, "last_modified": res.last_modified, **data}

    def _discover(self) -> None:
        feeds = list(self.source.feeds)
        if not feeds and not self.source.start_urls:
            feeds = self._autodiscover()
        for feed_url in feeds:
            self._discover_feed(feed_url)
        for start in self.source.start_urls:
            self._discover_listing(start)

    def _autodiscover(self) -> list[str]:
        res, cached = self._hub(self.source.homepage, "html")
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
            self._remember(url, res, links=links, next=nxt)
            url = nxt

    # -- one candidate through the stages ------------------------------------------------------------------
    def _process(self, c: Candidate) -> None:
        if not discover.allowed_by_patterns(c.url, self.source):
            return self._skip("filters")
        if not self.fetcher.allowed(c.url, self.source):
            return self._skip("robots")
        with self.services.db.session() as session:
            place = repo.place_by_url(session, c.url)
            known = (place.etag, place.last_modified, place.content_hash, place.feed_updated) if place else None
        stamp = c.stamp
        if known and stamp and known[3] == stamp:
            with self.services.db.session() as session:  # the feed says it did not change: not refetched
                record_unchanged(session, c.url)
            self.report.unchanged += 1
            return
        if self._documents_fetched >= self.max_pages:
            return self._skip("limits")
        self._documents_fetched += 1
        kind = "pdf" if c.url.lower().split("?")[0].endswith(".pdf") else "html"
        res = self._fetch(c.url, kind=kind, etag=known[0] if known else None,
                          last_modified=known[1] if known else None)
        if res.not_modified or (res.ok and known and known[2] == body_hash(res.body)):
            with self.services.db.session() as session:
                record_unchanged(session, c.url, res)
            self.report.unchanged += 1
            return
        if not res.ok:
            if res.status in (404, 410) and known:
                with self.services.db.session() as session:
                    outcome = record_gone(session, c.url, res.status)
                if outcome == "removed":
                    self.report.removed += 1
                    return
            return self._error(c.url, "fetch", res.error or f"HTTP {res.status}")
        extracted = self._extract(c, res)
        if extracted is None:
            return
        if not extracted.text.strip():
            return self._skip("no text")
        try:
            tags = self.runner.tagger.tag(extracted, default_themes=self.source.themes)
        except Exception as exc:
            return self._error(c.url, "tag", f"{type(exc).__name__}: {exc}")
        with self.services.db.session() as session:
            result = ingest(session, source=self.ref, url=c.url, fetch=res, extracted=extracted, tags=tags,
                            first_crawl=self.first_crawl, feed_updated=stamp or None, ranks=self.ranks)
        bucket = {"new": "new", "updated": "updated", "unchanged": "unchanged", "duplicate": "duplicates"}
        setattr(self.report, bucket[result.outcome], getattr(self.report, bucket[result.outcome]) + 1)

    def _extract(self, c: Candidate, res):
        robots_header = res.headers.get("x-robots-tag", "").lower()
        if "noindex" in robots_header or "none" in robots_header.split(","):
            self._skip("noindex")
            return None
        if res.content_type == "application/pdf":
            try:
                return parse_pdf.extract_pdf(res.final_url, res.body, self.settings)
            except parse_pdf.PdfError as exc:
                reason = str(exc)
                if reason.startswith(("no text layer", "encrypted")):
                    self._skip(reason.split(":")[0])
                else:
                    self._error(c.url, "parse", f"PDF: {reason}")
                return None
        if res.content_type not in ("text/html", "application/xhtml+xml"):
            self._skip("content type")
            return None
        page = parse_html.parse_html(res.final_url, res.body, res.encoding)
        if page.noindex:
            self._skip("noindex")
            return None
        extracted = extract_html(page, c.entry)
        extracted.url = c.url
        if c.depth < self.max_depth and not (page.nofollow or "nofollow" in robots_header):
            for attachment in extracted.attachments:
                self._add(attachment, None, c.depth + 1)
        return extracted
