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

import numpy as np
from whoosh import query, scoring
from whoosh.index import LockError

from ..items import IndexDocument
from . import generations as gens
from .facets import FACET_GROUPS, FacetData, disjunctive_counts, facet_values, label_or_value
from .hits import build_hits
from .matching import has_phrase, matching_docs, scoring_query
from .query import QueryContext, boost_themes, parse, plain_query
from .related import RERANK, SUGGEST_BELOW, correct, key_terms, like_query, rerank
from .schema import FACET_FIELDS, SCHEMA_VERSION, date_number, to_fields
from .synonyms import Synonyms
from .topk import ScoreData, top_docs
from .types import FACETS, SearchHit, SearchRequest, SearchResponse

log = logging.getLogger(__name__)

OR_NOTICE = "Aucun document ne contient tous les mots ; résultats contenant au moins un des mots."
MAX_PER_PAGE = 100
# BM25F; the field boosts are in the query (schema.TEXT_FIELDS). Measured on the judged set (docs/QUALITY.md).
WEIGHTING = scoring.BM25F(B=0.75, K1=1.2)


class IndexBusyError(RuntimeError):
    """Another writer (probably another process) held the index for longer than ``write_timeout``."""


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

    def _query_context(self, data: FacetData) -> QueryContext:
        """Synonyms and the facet values present with their labels (for ``theme:logement``), per generation."""
        if self._context is None:
            values = {}
            for name, fieldname in FACET_FIELDS.items():
                present = data.value_docs.get(fieldname, {})
                values[name] = {v: label_or_value(self.labels, name, v) for v in present} if len(present) <= 500 \
                    else {v: v for v in present}
            self._context = QueryContext(synonyms=self.synonyms, values=values)
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

    def rebuild(self, docs: Iterable[IndexDocument]) -> int:
        """Builds a new generation from ``docs`` aside, swaps the pointer to it, then deletes the old one.

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
                name, new_ix = gens.new_generation(self.index_dir)
                try:
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
            ctx = self._query_context(data)
            q = boost_themes(parse(req.q, searcher.schema, context=ctx), req.q, self.synonyms)
            found = self._run(searcher, data, q, req, page, per_page)
            if q is not None and found[0] == 0:
                any_word = parse(req.q, searcher.schema, any_word=True, context=ctx)
                if any_word is not None and any_word != q:
                    fallback = self._run(searcher, data, any_word, req, page, per_page)
                    if fallback[0]:
                        q, found, response.notice = any_word, fallback, OR_NOTICE
            if q is not None and found[0] < SUGGEST_BELOW:
                response.suggestion = self._suggest(searcher, data, ctx, req, found[0])
            total, counts, top, q = found
            stored = [(searcher.stored_fields(docnum), score) for docnum, score in top]
        response.total = total
        response.results = self._hits(stored, q)
        selected = {name: getattr(req, name) for name in FACETS}
        groups = self.synonyms.pillar_of
        response.facets = {
            name: facet_values(name, counts[name], selected[name], self.labels, groups if name == "theme" else None)
            for name in FACETS
        }
        return response

    def matching_ids(self, req: SearchRequest, among: Iterable[str]) -> set[str]:
        """The ids, among ``among``, of the documents ``search(req)`` selects: the same parser, facets and dates
        (the alert digests match with this, so an alert selects what the same search selects on the site).
        No any-word fallback: an alert with no match in the period has nothing to send."""
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
            data = self._facet_data(searcher)
            q = boost_themes(parse(req.q, searcher.schema, context=self._query_context(data)), req.q, self.synonyms)
            try:
                matched = self._matched(searcher, data, q, req)[0]
            except Exception:  # as in _run: a query Whoosh cannot run searches its plain words
                plain = plain_query(req.q, searcher.schema, any_word=isinstance(q, query.Or))
                matched = self._matched(searcher, data, None if plain is query.NullQuery else plain, req)[0]
        return {doc_id for docnum, doc_id in docnums.items() if matched[docnum]}

    def _suggest(self, searcher, data: FacetData, ctx: QueryContext, req: SearchRequest, total: int) -> str | None:
        """A corrected query when it finds more than ``total`` documents (with the same filters)."""
        try:
            corrected = correct(searcher, req.q)
            if not corrected:
                return None
            q = parse(corrected, searcher.schema, context=ctx)
            if q is None:
                return None
            found = self._run(searcher, data, q, req, 1, 1)[0]
            if not found:
                any_word = parse(corrected, searcher.schema, any_word=True, context=ctx)
                found = self._run(searcher, data, any_word, req, 1, 1)[0] if any_word is not None else 0
            return corrected if found > total else None
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

    def _run(self, searcher, data: FacetData, q, req: SearchRequest, page: int, per_page: int):
        """(total, facet counts, [(docnum, score)] of the page, the query that ran) for one query."""
        try:
            return self._run_once(searcher, data, q, req, page, per_page)
        except Exception:  # a query Whoosh cannot run (odd syntax tree): search its plain words instead
            log.warning("query %r failed; searching its plain words", req.q, exc_info=True)
            plain = plain_query(req.q, searcher.schema, any_word=isinstance(q, query.Or))
            plain = None if plain is query.NullQuery else plain
            return self._run_once(searcher, data, plain, req, page, per_page)

    def _masks(self, searcher, data: FacetData, q, req: SearchRequest):
        """(what the query and dates match, each facet's selection mask, how many the query alone matched)."""
        # Boolean masks over the doc numbers from here on: the facet pass is numpy (search/facets.py).
        if q is None:
            base = data.all_mask
            matched_by_query = len(data.all_docs)
        else:
            found = matching_docs(searcher, q, data.all_docs, self._score_data(searcher))
            matched_by_query = len(found)
            base = data.mask(found)
        if req.date_from or req.date_to:
            low = date_number(req.date_from) or 1
            high = date_number(req.date_to) or 99_991_231
            base = data.date_filter(base, low, high)
        selections = {
            name: data.selection(FACET_FIELDS[name], values) for name, values in req.filters().items()
        }
        # A pillar is the sum of its themes: « Tout le pilier » plus one of its themes (or another's) widen the
        # theme box's choice together, as two themes do, instead of narrowing it.
        if "pillar" in selections:
            pillar = selections.pop("pillar")
            selections["theme"] = selections["theme"] | pillar if "theme" in selections else pillar
        return base, selections, matched_by_query

    def _matched(self, searcher, data: FacetData, q, req: SearchRequest):
        """(mask of the matching documents, facet counts, how many the query alone matched)."""
        base, selections, matched_by_query = self._masks(searcher, data, q, req)
        matched, counts = disjunctive_counts(data, base, selections, FACET_GROUPS)
        return matched, counts, matched_by_query

    def _run_once(self, searcher, data: FacetData, q, req: SearchRequest, page: int, per_page: int):
        matched, counts, matched_by_query = self._matched(searcher, data, q, req)
        total = int(np.count_nonzero(matched))
        upto = page * per_page
        start = upto - per_page
        if total <= start:
            top = []
        elif req.sort == "date_asc":
            top = [(d, 0.0) for d in data.oldest(matched, upto)[start:]]
        elif q is None or req.sort == "date":
            top = [(d, 0.0) for d in data.newest(matched, upto)[start:]]
        else:
            phrases = has_phrase(q)
            allow = None if total == matched_by_query and not phrases else data.docs(matched)
            # The total comes from the facet pass; only the best max(upto, RERANK) are ranked.
            # The best RERANK are fetched whatever the page, so the recency re-ordering is the same on every page.
            # Whoosh's own matcher tree, evaluated a posting list at a time (search/topk.py): the same scores and
            # order as searcher.search(..., limit=...), without scoring each matching document in Python.
            scoring = scoring_query(q) if phrases else q
            limit = max(upto, RERANK)
            top_n = top_docs(searcher, scoring, limit, allow, self._score_data(searcher))
            if top_n is None:
                top_n = searcher.search(scoring, filter=allow, limit=limit).top_n
            ranked = rerank([(docnum, score) for score, docnum in top_n], data.published,
                            self.reference_date or dt.date.today())
            top = ranked[start:upto]
        return total, counts, top, q

    def _hits(self, stored: list[tuple[dict, float]], q) -> list[SearchHit]:
        return build_hits(stored, q, self.text_for)

    def close(self) -> None:
        with self._read_lock:
            self._close_searcher()
            if self._ix is not None:
                self._ix.close()
            self._ix = None
            self._closed = True
