"""One crawl run: sources in parallel, each through fetch → parse → extract → dedup → tag → store → index.

Every candidate document URL met lands in exactly one bucket of its source's report (new, updated, unchanged,
duplicates, skipped, removed or errors); hubs (feeds, homepages, listing pages) are fetched but never counted
as documents. Each document is committed with its index-queue entry, so a run killed at any point resumes
without duplicates or losses.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from ..indexing.writer import Indexer, writer_lock
from ..processes import pid_alive
from ..store import failures, repo
from ..store.db import database_failure
from ..store.ingest import SourceRef, body_hash, ingest, record_gone, record_unchanged
from ..store.models import CrawlError, CrawlRun, CrawlRunSource, SourceState, utcnow
from ..tagging.sections import section_hints
from . import discover, parse_html, parse_office, parse_pdf
from .extract import extract_html
from .fetch import Fetcher, source_budget
from .hubs import Candidate, HubDiscovery
from .oai_source import OaiHarvesting

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
    def store_failures(self) -> int:
        return sum(1 for e in self.errors if e["stage"] == "store")

    @property
    def all_failed(self) -> bool:
        """Every request failed (the site unreachable, its feed gone): a failure, not a quiet « completed »."""
        succeeded = self.new + self.updated + self.unchanged + self.duplicates + self.removed + self.skipped
        return bool(self.errors) and succeeded == 0

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
    write_failure: str = ""  # in French: why the store or the index could not be written (full disk…)

    def to_json(self) -> dict:
        return {"run_id": self.run_id, "status": self.status,
                "sources": [s.to_json() for s in self.sources], "documents_total": self.documents_total,
                "write_failure": self.write_failure or None}

    @property
    def store_failures(self) -> int:
        """Documents fetched and extracted that the database refused: the run failed, whatever else it did."""
        return sum(s.store_failures for s in self.sources)

    def first_store_error(self) -> str:
        return next((e["error"] for s in self.sources for e in s.errors if e["stage"] == "store"), "")


class CrawlRunner:
    def __init__(self, services, fetcher: Fetcher | None = None, progress: Progress | None = None):
        self.services = services
        self.settings = services.settings
        self.fetcher = fetcher or Fetcher(self.settings)
        self.progress = progress or (lambda *_: None)
        self.indexer = Indexer(services)
        self.store_lock = threading.Lock()  # the store stage, one document at a time (see SourceCrawl._process)
        self.tagger = services.tagger  # rules + learned model when one is installed (logged)
        from ..tagging.dc_alignment import Alignment

        self.alignment = Alignment.load(services.vocabulary, self.settings.oai_alignment_path)

    def run(self, source_ids: list[str] | None = None) -> CrawlReport:
        sources = self._select(source_ids)
        # One writing process at a time (store + index): a second one waits, then fails with WriterBusy.
        with writer_lock(self.settings, "crawl"):
            return self._run(sources)

    def _run(self, sources: list) -> CrawlReport:
        ranks = {s.id: n for n, s in enumerate(self.services.sources)}
        with self.services.db.session() as session:
            interrupted_runs(session)
            run = CrawlRun(status="running", pid=os.getpid(), source_ids=[s.id for s in sources], progress={})
            session.add(run)
            session.flush()
            run_id = run.id
        ACTIVE_RUNS.add(run_id)
        reports: list[SourceReport] = []
        status = "completed"
        self.write_failure = ""
        try:
            self._guarded(self.indexer.drain)  # whatever a killed run committed but did not index
            with ThreadPoolExecutor(max_workers=max(1, self.settings.crawl_concurrency),
                                    thread_name_prefix="crawl") as pool:
                futures = [pool.submit(SourceCrawl(self, s, run_id, ranks).run) for s in sources]
                reports = [f.result() for f in futures]
            if any(r.store_failures for r in reports) or (reports and all(r.status == "failed" for r in reports)):
                status = "failed"
        except BaseException:
            status = "failed"
            raise
        finally:
            ACTIVE_RUNS.discard(run_id)
            self._guarded(self.indexer.drain)
            status = "failed" if self.write_failure else status

            def close_run() -> None:
                with self.services.db.session() as session:
                    run = session.get(CrawlRun, run_id)
                    run.status = status
                    run.finished_at = utcnow()

            self._guarded(close_run)  # if this fails too, the next run marks it interrupted
        return CrawlReport(run_id, status, reports, self.services.engine.count(), self.write_failure)

    def _guarded(self, step: Callable[[], object]) -> None:
        """Runs a bookkeeping step; a write failure (full disk, read-only database) is remembered for the
        report instead of losing the report with it. Other errors propagate."""
        try:
            step()
        except Exception as exc:
            written = failures.describe(exc)
            if written is None:
                raise
            self.remember_write_failure(written)

    def remember_write_failure(self, message: str) -> None:
        log.error("crawl: %s", message)
        self.write_failure = self.write_failure or message

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
    for run in repo.running_crawl_runs(session):
        mine = run.pid == os.getpid()
        if (mine and run.id in ACTIVE_RUNS) or (not mine and run.pid and pid_alive(run.pid)):
            continue
        run.status = "interrupted"
        run.finished_at = run.finished_at or utcnow()
        count += 1
    return count


class SourceCrawl(HubDiscovery, OaiHarvesting):
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
        self.hub_cache: dict = {}
        try:
            with self.services.db.session() as session:
                state = session.get(SourceState, self.source.id) or SourceState(source_id=self.source.id,
                                                                                 hub_validators={})
                session.add(state)
                self.first_crawl = not state.first_crawl_done
                self.hub_cache = dict(state.hub_validators or {})
                purged = state.purged
            self._emit("start", force=True)
        except Exception as exc:
            written = failures.describe(exc)
            if written is None:
                raise
            self.report.status = "failed"
            self._error(self.source.homepage, "store", written, candidate=False)
            self.runner.remember_write_failure(written)
            return self.report
        if purged:  # the source asked to leave (`sources purge`): nothing is fetched from it any more
            self.report.status = "purged"
            self._finish()
            return self.report
        budget = self.settings.source_time_budget
        self.deadline = time.monotonic() + budget if budget and budget > 0 else None
        try:
            with source_budget(self.deadline):
                if self._postponed():
                    self._finish()
                    return self.report
                self._discover()
                if getattr(self.source, "oai_pmh", None):
                    self._harvest_oai()
                while self.queue and not self._over_budget():
                    candidate = self.queue.pop(0)
                    try:
                        self._process(candidate)
                    except Exception as exc:  # one failing document never stops its source
                        if failures.describe(exc):
                            raise  # a full disk or a read-only database stops the source, not one document
                        log.exception("%s: %s", self.source.id, candidate.url)
                        refused = database_failure(exc)  # the database refused it: the run is reported failed
                        self._error(candidate.url, *(("store", refused) if refused else
                                                     ("pipeline", f"{type(exc).__name__}: {exc}")))
                    self._emit("document")
            if self._over_budget():
                self._budget_spent()
            else:
                self.report.status = "failed" if self.report.all_failed else "completed"
        except Exception as exc:  # one failing source never stops the crawl
            written = failures.describe(exc)
            if written:
                self.runner.remember_write_failure(written)
            else:
                log.exception("source %s failed", self.source.id)
            self.report.status = "failed"
            self._error(self.source.homepage, "source", written or f"{type(exc).__name__}: {exc}", candidate=False)
        self._finish()
        return self.report

    def _over_budget(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def _budget_spent(self) -> None:
        """The source used its ``source_time_budget``: what was stored stays, the rest waits for the next run."""
        self.report.status = "budget"
        left = len(self.queue)
        self._error(self.source.homepage, "budget",
                    f"time budget of {self.settings.source_time_budget:g} s spent: crawl stopped, {left} candidate(s) "
                    "left for the next run", candidate=False)

    def _postponed(self) -> bool:
        """A robots.txt Crawl-delay beyond ``max_crawl_delay`` would hold a crawl thread for hours: the source
        waits for a later run (or an editor's decision), and the run says why."""
        verdict = self.fetcher.robots_verdict(self.source.homepage, self.source)
        delay, cap = verdict.get("crawl_delay") or 0.0, self.settings.max_crawl_delay
        if delay <= cap:
            return False
        self.report.status = "postponed"
        self._error(verdict.get("robots_url") or self.source.homepage, "robots",
                    f"Crawl-delay {delay:g} s > max_crawl_delay {cap:g} s: crawl postponed", candidate=False)
        return True

    def _finish(self) -> None:
        self.runner._guarded(self._record)
        self.runner._guarded(self.runner.indexer.drain)
        self._emit_safely("finish")

    def _emit_safely(self, event: str) -> None:
        self.runner._guarded(lambda: self._emit(event, force=True))

    def _record(self) -> None:
        with self.services.db.session() as session:
            state = session.get(SourceState, self.source.id) or SourceState(source_id=self.source.id)
            session.add(state)
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

    # -- one candidate through the stages ------------------------------------------------------------------
    def _process(self, c: Candidate) -> None:
        if not discover.allowed_by_patterns(c.url, self.source):
            return self._skip("filters")
        if not self.fetcher.allowed(c.url, self.source):
            return self._skip("robots")
        if discover.unsupported_type(c.url):  # .doc, spreadsheets, images…: no extractor, not worth the bytes
            return self._skip("unsupported type")
        with self.services.db.session() as session:
            known = repo.known_place(session, c.url)  # one Core query: validators, body hash, attachments
        attachments = known.attachments if known else []
        stamp = c.stamp
        if known and stamp and known[3] == stamp:
            with self.services.db.session() as session:  # the feed says it did not change: not refetched
                record_unchanged(session, c.url)
            self.report.unchanged += 1
            return self._follow(c, attachments)
        if self._documents_fetched >= self.max_pages:
            return self._skip("limits")
        self._documents_fetched += 1
        path = c.url.lower().split("?")[0]
        kind = "pdf" if path.endswith(".pdf") else ("office" if path.endswith((".docx", ".odt")) else "html")
        res = self._fetch(c.url, kind=kind, etag=known[0] if known else None,
                          last_modified=known[1] if known else None)
        if res.not_modified or (res.ok and known and known[2] == body_hash(res.body)):
            with self.services.db.session() as session:
                record_unchanged(session, c.url, res, feed_updated=stamp or None)
            self.report.unchanged += 1
            return self._follow(c, attachments)
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
            hints = section_hints(self.source.sections, c.url, extracted.meta.get("breadcrumb") or [],
                                  c.entry.categories if c.entry else [])
            tags = self.runner.tagger.tag(extracted, default_themes=self.source.themes, sections=hints)
        except Exception as exc:
            return self._error(c.url, "tag", f"{type(exc).__name__}: {exc}")
        # Serialised: sources run in parallel, and "is this text already known?" then "insert" must not
        # interleave, or the same article republished by two centres becomes two documents.
        with self.runner.store_lock, self.services.db.session() as session:
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
        office = parse_office.office_format(res.content_type, res.final_url, res.body)
        if office:
            try:
                return parse_office.extract_office(res.final_url, res.body, self.settings, office)
            except parse_office.OfficeError as exc:
                if exc.reason.startswith("no text"):
                    self._skip("no text")
                else:
                    self._error(c.url, "parse", f"{office.upper()}: {exc.reason}")
                return None
        if res.content_type not in ("text/html", "application/xhtml+xml"):
            self._skip("unsupported type")
            return None
        page = parse_html.parse_html(res.final_url, res.body, res.encoding)
        if page.noindex:
            self._skip("noindex")
            return None
        extracted = extract_html(page, c.entry)
        extracted.url = c.url
        if page.breadcrumb:
            extracted.meta["breadcrumb"] = page.breadcrumb
        if page.nofollow or "nofollow" in robots_header:
            extracted.attachments = []  # not to be followed, now or when the page is found unchanged
        self._follow(c, extracted.attachments)
        return extracted

    def _follow(self, c: Candidate, attachments: list[str]) -> None:
        """Attachments are candidates too. An unchanged page (feed stamp, 304, same body) is not parsed again,
        so the ones the store remembered are replayed: they still get checked for changes and removal, and a
        crawl killed between a page and its PDFs finds those PDFs on the next run."""
        if c.depth < self.max_depth:
            for attachment in attachments:
                self._add(attachment, None, c.depth + 1)
