"""SearchEngine: the Whoosh index of the documents — index, delete, search with facets, rebuild, count (the
writes are in engine_writes.py).

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

from . import generations as gens
from . import parallel
from .engine_writes import IndexBusyError, IndexNeedsRebuildError, IndexWrites  # noqa: F401 (errors re-exported)
from .facets import FacetData, facet_values, label_or_value
from .hits import build_hits
from .query import QueryContext, plain_query
from .related import SUGGEST_BELOW, correct, key_terms, like_query
from .schema import FACET_FIELDS, SCHEMA_VERSION
from .segments import MAX_PARTS
from .synonyms import Synonyms
from .tiers import ANY_WORD_NOTICE, Found, Tier, build_tiers, match_tiers, notices, run_tiers
from .topk import ScoreData, top_docs
from .types import FACETS, SearchHit, SearchRequest, SearchResponse
from .variants import Variants
from .weighting import RankingBM25F

log = logging.getLogger(__name__)

OR_NOTICE = ANY_WORD_NOTICE
MAX_PER_PAGE = 100
# BM25F with BM25's probabilistic idf (search/weighting.py); the field boosts are in the query
# (schema.TEXT_FIELDS). Measured on the judged sets (docs/QUALITY.md).
WEIGHTING = RankingBM25F(B=0.75, K1=1.2)


class SearchEngine(IndexWrites):
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
            # Dozens of terms in three fields: Whoosh's collector scores every document holding one of them a
            # matcher step at a time (seconds at 100,000 documents); top_docs gives the same top by arrays. One
            # more than asked, as the document itself is left out afterwards rather than masked.
            top = top_docs(searcher, q, max(1, limit) + 1, None, self._score_data(searcher))
            if top is None:  # a weighting top_docs does not reproduce
                top = searcher.search(q, limit=max(1, limit), mask={docnum} if docnum is not None else None).top_n
            top = [(score, d) for score, d in top if d != docnum][:max(1, limit)]
            found = [(searcher.stored_fields(d), score) for score, d in top]
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
