"""SearchEngine: the Whoosh index of the documents — index, delete, search with facets, rebuild, count.

Threads: one searcher is shared, replaced after commits (ours at once, other processes' within
``check_interval`` seconds). Without mmap, Whoosh reads every segment through one shared file handle with
seek-then-read, which is not thread-safe, so all searcher work happens under ``_read_lock``; the database
call for snippet texts and the HTML building happen outside it. Writes are serialized by ``_write_lock`` in a
process and by Whoosh's file lock across processes (retried for ``write_timeout`` seconds).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from whoosh import query
from whoosh.index import LockError

from ..items import IndexDocument
from ..store.failures import BusyError
from . import generations as gens
from . import parallel
from .facets import FacetData, facet_values, label_or_value
from .hits import build_hits
from .query import QueryContext, plain_query
from .related import SUGGEST_BELOW, correct, key_terms, like_query
from .schema import FACET_FIELDS, SCHEMA_VERSION, to_fields
from .segments import MAX_PARTS, DocumentParts, fill_parallel
from .synonyms import Synonyms
from .tiers import ANY_WORD_NOTICE, Found, Tier, build_tiers, match_tiers, notices, run_tiers
from .topk import ScoreData
from .types import FACETS, SearchHit, SearchRequest, SearchResponse
from .variants import Variants
from .weighting import RankingBM25F

log = logging.getLogger(__name__)

OR_NOTICE = ANY_WORD_NOTICE
MAX_PER_PAGE = 100
# BM25F with BM25's probabilistic idf (search/weighting.py); the field boosts are in the query
# (schema.TEXT_FIELDS). Measured on the judged sets (docs/QUALITY.md).
WEIGHTING = RankingBM25F(B=0.75, K1=1.2)


class IndexBusyError(BusyError):
    """Another writer (probably another process) held the index for longer than ``write_timeout``."""

    def french(self) -> str:
        return ("l'index de recherche est verrouillé par un autre processus (une collecte, une reconstruction "
                "ou le worker) ; réessayez quand il aura fini")


class IndexNeedsRebuildError(RuntimeError):
    """The index was built with another schema version (or cannot be read): rebuild it from the store."""


class SearchEngine:
    check_interval = 1.0  # seconds between looks for other processes' commits and rebuilds
    write_timeout = 10.0  # seconds to wait for another process's writer

    def __init__(
        self,
        index_dir: Path,
        labels: Callable[[str, str], str] | None = None,
        text_for: Callable[[list[str]], dict[str, str]] | None = None,
        synonyms: Synonyms | None = None,
    ):
        self.index_dir = Path(index_dir)
        self.labels = labels
        self.text_for = text_for
        # Acronyms ↔ expansions and theme → pillar; by default from the packaged theme file.
        self.synonyms = synonyms if synonyms is not None else Synonyms.from_themes_file()
        self.reference_date: dt.date | None = None  # "today" of the recency boost (fixed by benchmarks)
        self.needs_rebuild = False
        # Processes (one segment each) writing a rebuild the indexer gives as DocumentParts: one per core, at
        # most MAX_PARTS (every segment adds its own matcher tree to each query).
        self.rebuild_parts = min(parallel.default_procs(), MAX_PARTS)
        self._read_lock = threading.RLock()
        self._write_lock = threading.RLock()
        self._ix = None
        self._generation: str | None = None
        self._searcher = None
        self._facets: FacetData | None = None
        self._facets_of = None  # the searcher the facet data was built from
        self._scores: ScoreData | None = None  # field lengths for top-k scoring, per searcher
        self._context: QueryContext | None = None
        self._dirty = False
        self._checked = 0.0
        self._closed = False
        with self._read_lock:
            self._open(gens.ensure_current(self.index_dir))

    # -- generations ---------------------------------------------------------------------------------------

    @property
    def generation_dir(self) -> Path | None:
        """The directory of the generation this engine reads."""
        return self.index_dir / self._generation if self._generation else None

    def _open(self, name: str) -> None:
        """Switches to generation ``name`` (under the read lock)."""
        path = self.index_dir / name
        try:
            ix = gens.storage(path).open_index()
        except Exception as exc:  # unpicklable schema (renamed analyzer class), broken files…
            log.error("search index %s cannot be opened (%s): it needs a rebuild", path, exc)
            self._close_searcher()
            self._ix, self._generation, self.needs_rebuild = None, name, True
            return
        self._close_searcher()
        self._ix, self._generation = ix, name
        self._searcher = ix.searcher(weighting=WEIGHTING)
        version = gens.schema_version(path)
        self.needs_rebuild = version != SCHEMA_VERSION
        if self.needs_rebuild:
            log.warning("search index %s has schema version %s, expected %s: rebuild it", path, version,
                        SCHEMA_VERSION)

    def _close_searcher(self) -> None:
        if self._searcher is not None:
            try:
                self._searcher.close()
            except Exception:  # already closed, or its files are gone
                pass
        self._searcher = None
        self._facets = self._facets_of = None
        self._scores = None

    def _follow_pointer(self) -> None:
        """Opens the live generation when the pointer names another one (another process rebuilt)."""
        for _ in range(5):
            name = gens.ensure_current(self.index_dir)
            if name == self._generation and (self._ix is not None or self.needs_rebuild):
                return
            self._open(name)
            if self._ix is not None or gens.read_pointer(self.index_dir) == name:
                return
            time.sleep(0.05)  # the pointer moved while we opened: look again

    def _current(self):
        """The up-to-date shared searcher (under the read lock), or None when the index is unreadable."""
        if self._closed:
            raise RuntimeError("SearchEngine is closed")
        now = time.monotonic()
        if self._dirty or now - self._checked >= self.check_interval:
            self._dirty = False
            self._checked = now
            self._follow_pointer()
            if self._searcher is not None:
                try:
                    if not self._searcher.up_to_date():
                        # Not Searcher.refresh(): in whoosh-reloaded 2.7.5 it keeps the readers of segments a
                        # merge removed, so replaced and deleted documents come back. Without mmap a new
                        # searcher opens in milliseconds; only the facet data (rebuilt anyway) costs.
                        self._close_searcher()
                        self._searcher = self._ix.searcher(weighting=WEIGHTING)
                except OSError:  # the generation vanished between the pointer check and now
                    self._generation = None
                    self._follow_pointer()
        return self._searcher

    def refresh(self) -> None:
        """Looks for other processes' commits and rebuilds now rather than within ``check_interval``."""
        with self._read_lock:
            self._dirty = True
            self._current()

    def _facet_data(self, searcher) -> FacetData:
        if self._facets_of is not searcher:
            self._facets = FacetData(searcher)
            self._facets_of = searcher
            self._context = None
        return self._facets

    def _score_data(self, searcher) -> ScoreData:
        if self._scores is None or self._scores.searcher is not searcher:
            self._scores = ScoreData(searcher)
        return self._scores

    def set_synonyms(self, synonyms: Synonyms) -> None:
        with self._read_lock:
            self.synonyms = synonyms
            self._context = None

    def _query_context(self, data: FacetData, searcher) -> QueryContext:
        """Synonyms, the facet values present with their labels (for ``theme:logement``) and the close forms
        of rare words, per generation."""
        if self._context is None:
            values = {}
            for name, fieldname in FACET_FIELDS.items():
                present = data.value_docs.get(fieldname, {})
                values[name] = {v: label_or_value(self.labels, name, v) for v in present} if len(present) <= 500 \
                    else {v: v for v in present}
            self._context = QueryContext(synonyms=self.synonyms, values=values, variants=Variants(searcher))
        return self._context

    # -- writing -------------------------------------------------------------------------------------------

    def _writer(self):
        """A writer on the live generation, waiting up to ``write_timeout`` for another process's writer."""
        for _ in range(5):
            with self._read_lock:
                self._follow_pointer()
                ix, name = self._ix, self._generation
            if ix is None or self.needs_rebuild:
                raise IndexNeedsRebuildError(
                    f"the search index in {self.index_dir} needs a rebuild (schema version {SCHEMA_VERSION})")
            try:
                writer = ix.writer(timeout=self.write_timeout, delay=0.1)
            except LockError:
                raise IndexBusyError(
                    f"the search index in {self.index_dir} is locked by another writer "
                    f"(waited {self.write_timeout:g} s): try again when the other crawl or rebuild ends") from None
            except OSError:  # the generation was deleted by a rebuild: follow the pointer
                continue
            if gens.read_pointer(self.index_dir) == name:
                return writer
            writer.cancel()  # a rebuild swapped generations while we waited for the lock
        raise IndexBusyError(f"the search index in {self.index_dir} keeps changing generation")

    def _commit(self, writer, changed: int) -> None:
        if changed:
            writer.commit()
        else:
            writer.cancel()
        with self._read_lock:
            self._dirty = True

    def index(self, docs: Iterable[IndexDocument]) -> int:
        """Adds or replaces documents by id, in one commit. Returns the number of documents written."""
        # Whoosh's update_document cannot replace a document added earlier by the same writer, so a batch is
        # de-duplicated first (the last version of an id wins).
        batch = {doc.id: doc for doc in docs}
        if not batch:
            return 0
        with self._write_lock:
            writer = self._writer()
            try:
                for doc in batch.values():
                    writer.update_document(**to_fields(doc))
            except BaseException:
                writer.cancel()
                raise
            self._commit(writer, len(batch))
        return len(batch)

    def delete(self, ids: Iterable[str]) -> int:
        """Deletes documents by id; returns how many were in the index."""
        wanted = {i for i in ids if i}
        if not wanted:
            return 0
        with self._write_lock:
            writer = self._writer()
            try:
                deleted = sum(writer.delete_by_term("id", doc_id) for doc_id in wanted)
            except BaseException:
                writer.cancel()
                raise
            self._commit(writer, deleted)
        return deleted

    def rebuild(self, docs: Iterable[IndexDocument], progress: Callable[[int], None] | None = None) -> int:
        """Builds a new generation from ``docs`` aside, swaps the pointer to it, then deletes the old one.

        ``DocumentParts`` are written by one process per part (``segments.py``, ``rebuild_parts`` parts asked
        by the indexer); ``progress`` then hears the documents done as each part ends.

        Searches keep answering from the old generation meanwhile; other writers wait (or fail with
        IndexBusyError) until the swap, then write to the new generation.
        """
        with self._write_lock:
            with self._read_lock:
                self._follow_pointer()
                old_ix, old_name = self._ix, self._generation
            old_lock = old_ix.lock("WRITELOCK") if old_ix is not None else None
            if old_lock is not None and not gens.acquire(old_lock, self.write_timeout):
                raise IndexBusyError(f"the search index in {self.index_dir} is locked by another writer")
            try:
                self._remove_leftovers(old_name)
                name, new_ix = gens.new_generation(self.index_dir)
                try:
                    if isinstance(docs, DocumentParts) and len(docs.parts) > 1:
                        count = fill_parallel(new_ix, self.index_dir / name, docs.parts, progress)
                    else:
                        count = gens.fill(new_ix, docs)
                    with gens.swap_lock(self.index_dir):
                        gens.write_pointer(self.index_dir, name)
                except BaseException:
                    new_ix.close()
                    gens.remove_generation(self.index_dir, name)
                    raise
                new_ix.close()
            finally:
                if old_lock is not None:
                    old_lock.release()
            with self._read_lock:
                self._open(name)
                self._checked = time.monotonic()
            if old_name != name:
                gens.remove_generation(self.index_dir, old_name)
        log.info("search index rebuilt: %d documents in %s", count, name)
        return count

    def _remove_leftovers(self, live: str | None) -> None:
        with gens.swap_lock(self.index_dir):
            removed = gens.remove_leftovers(self.index_dir, keep=live)
        if removed:
            log.warning("removed what interrupted index rebuilds left: %s", ", ".join(removed))

    def remove_leftovers(self) -> None:
        """At start: clears what a killed rebuild left, unless a writer is at work (it is then done at the next
        rebuild). Holding the live generation's write lock proves no rebuild is under way."""
        with self._write_lock:
            with self._read_lock:
                self._follow_pointer()
                ix, name = self._ix, self._generation
            lock = ix.lock("WRITELOCK") if ix is not None else None
            if lock is None or not gens.acquire(lock, 0.5):
                return
            try:
                self._remove_leftovers(name)
            finally:
                lock.release()

    # -- reading -------------------------------------------------------------------------------------------

    def count(self) -> int:
        with self._read_lock:
            searcher = self._current()
            return searcher.doc_count() if searcher is not None else 0

    def present_values(self, facet: str) -> list[str]:
        """The values of a facet that some indexed document has."""
        with self._read_lock:
            searcher = self._current()
            if searcher is None:
                return []
            return list(self._facet_data(searcher).values.get(FACET_FIELDS[facet], []))

    def search(self, req: SearchRequest) -> SearchResponse:
        page = max(1, req.page)
        per_page = max(1, min(req.per_page, MAX_PER_PAGE))
        response = SearchResponse(query=req.q, total=0, page=page, per_page=per_page)
        with self._read_lock:
            searcher = self._current()
            if searcher is None:
                return response
            data = self._facet_data(searcher)
            ctx = self._query_context(data, searcher)
            plan = build_tiers(req.q, searcher.schema, ctx, self.synonyms)
            found = self._run(searcher, data, plan.tiers, req, page, per_page)
            response.notice = notices(found, plan.expanded)
            if plan.tiers and (found.total < SUGGEST_BELOW or plan.expanded):
                response.suggestion = self._suggest(searcher, data, ctx, req, found.total, bool(plan.expanded))
            counts = found.counts
            stored = [(searcher.stored_fields(docnum), score) for docnum, score in found.top]
        response.total = found.total
        response.complete = dict(found.per_tier).get("full") if plan.tiers else None
        response.results = self._hits(stored, found.q)
        selected = {name: getattr(req, name) for name in FACETS}
        groups = self.synonyms.pillar_of
        response.facets = {
            name: facet_values(name, counts[name], selected[name], self.labels, groups if name == "theme" else None)
            for name in FACETS
        }
        return response

    def matching_ids(self, req: SearchRequest, among: Iterable[str]) -> set[str]:
        """The ids, among ``among``, of the documents ``search(req)`` ranks first: the documents with every word
        (close forms of rare words included, phrases exact), with the same facets and dates (the alert digests
        match with this, so an alert selects what the same search puts first on the site). No partial matches:
        an alert with no complete match in the period has nothing to send."""
        with self._read_lock:
            searcher = self._current()
            if searcher is None:
                return set()
            docnums = {}
            for doc_id in among:
                docnum = searcher.document_number(id=doc_id)
                if docnum is not None:
                    docnums[docnum] = doc_id
            if not docnums:
                return set()
            matched = self._complete_matches(searcher, self._facet_data(searcher), req)
        return {doc_id for docnum, doc_id in docnums.items() if matched[docnum]}

    def _complete_matches(self, searcher, data: FacetData, req: SearchRequest):
        """Mask of the documents with every word of ``req`` (its first tier), facets and dates applied: what alerts
        and the panorama's pictures count."""
        plan = build_tiers(req.q, searcher.schema, self._query_context(data, searcher), self.synonyms)
        scores = self._score_data(searcher)
        try:
            return match_tiers(searcher, data, scores, plan.tiers[:1], req).matched
        except Exception:  # as in _run: a query Whoosh cannot run searches its plain words
            plain = plain_query(req.q, searcher.schema)
            tiers = [] if plain is query.NullQuery else [Tier(plain, True, "full")]
            return match_tiers(searcher, data, scores, tiers, req).matched

    def _suggest(self, searcher, data: FacetData, ctx: QueryContext, req: SearchRequest, total: int,
                 widened: bool) -> str | None:
        """A corrected query when it finds more than ``total`` documents (with the same filters), or, when an
        unknown word was already matched by its close forms (``widened``), when it finds any."""
        try:
            corrected = correct(searcher, req.q)
            if not corrected:
                return None
            plan = build_tiers(corrected, searcher.schema, ctx, self.synonyms)
            if not plan.tiers:
                return None
            found = self._run(searcher, data, plan.tiers, req, 1, 1).total
            return corrected if found > total or (widened and found) else None
        except Exception:  # a suggestion is a nicety: never fail the search for it
            log.warning("spelling suggestion failed for %r", req.q, exc_info=True)
            return None

    def more_like_this(self, doc_id: str, limit: int = 5) -> list[SearchHit]:
        """Documents about the same things as ``doc_id`` (from its key terms), best first, itself excluded."""
        with self._read_lock:
            searcher = self._current()
            if searcher is None:
                return []
            docnum = searcher.document_number(id=doc_id)
            if docnum is None:
                return []
            stored = searcher.stored_fields(docnum)
        body = ""
        if self.text_for is not None:
            try:
                body = (self.text_for([doc_id]) or {}).get(doc_id, "")
            except Exception:  # key terms from the title and summary alone
                log.warning("text_for failed for more-like-this", exc_info=True)
        fields = {"title": stored.get("title") or "", "summary": stored.get("summary") or "", "body": body}
        with self._read_lock:
            searcher = self._current()
            if searcher is None:
                return []
            q = like_query(key_terms(searcher, fields))
            if q is None:
                return []
            docnum = searcher.document_number(id=doc_id)
            results = searcher.search(q, limit=max(1, limit), mask={docnum} if docnum is not None else None)
            found = [(searcher.stored_fields(d), score) for score, d in results.top_n]
        return self._hits(found, None)

    def _run(self, searcher, data: FacetData, tiers: list[Tier], req: SearchRequest, page: int,
             per_page: int) -> Found:
        """Total, facet counts and the page's [(docnum, score)] of a query's tiers (search/tiers.py)."""
        today = self.reference_date or dt.date.today()
        scores = self._score_data(searcher)
        try:
            return run_tiers(searcher, data, scores, tiers, req, page, per_page, today)
        except Exception:  # a query Whoosh cannot run (odd syntax tree): search its plain words instead
            log.warning("query %r failed; searching its plain words", req.q, exc_info=True)
            plain = [Tier(q, i == 0, kind) for i, (q, kind) in enumerate(
                ((plain_query(req.q, searcher.schema), "full"), (plain_query(req.q, searcher.schema, True), "partial")))
                if q is not query.NullQuery]
            return run_tiers(searcher, data, scores, plain, req, page, per_page, today)

    def _hits(self, stored: list[tuple[dict, float]], q) -> list[SearchHit]:
        return build_hits(stored, q, self.text_for)

    def close(self) -> None:
        with self._read_lock:
            self._close_searcher()
            if self._ix is not None:
                self._ix.close()
            self._ix = None
            self._closed = True
