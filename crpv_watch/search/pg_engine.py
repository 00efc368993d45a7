"""PgSearchEngine: the search index in PostgreSQL (``search_backend = "postgresql"``), for several web nodes.

The same interface and answers as the Whoosh ``SearchEngine``: the same query parser (``search/query.py``), the
same analyzer writing the ``tsvector``s (``search/pg_terms.py``), the same tiers (``search/tiers.py``: every
word, then phrases' words, then some words when few), disjunctive facet counts, recency re-ranking,
highlighter (on the store's text) and spelling corrections. Not yet: the close forms of rare words
(``search/variants.py`` reads Whoosh's lexicon), so a rare misspelt word finds less here than on Whoosh. The index is a
table of the database, so every node sees a commit at once and nothing lives in a data directory. Reads may go
to a replica (``database_read_url``); writes go to the primary. Ranking is PostgreSQL's ``ts_rank`` over the
weighted fields (not BM25F): the matching documents and counts are the Whoosh engine's, the order close to it.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable

from ..items import IndexDocument
from ..store import fulltext
from ..store.db import make_engine
from . import parallel, pg_terms
from .engine import MAX_PER_PAGE
from .facets import facet_values, label_or_value
from .hits import build_hits
from .query import QueryContext, parse, plain_query, query_words
from .related import MLT_TERMS, MLT_TEXT_CHARS, RERANK, SUGGEST_BELOW, recency_factor
from .schema import FACET_FIELDS, date_number
from .synonyms import Synonyms
from .tiers import FEW, Found, build_tiers, notices
from .types import FACETS, SearchHit, SearchRequest, SearchResponse

log = logging.getLogger(__name__)

THEME_RANK_BOOST = 0.3  # ts_rank units added for a theme the words name (query.THEME_BOOST in BM25F units)
BATCH = 500


def _doc_id(doc: IndexDocument) -> str:
    return doc.id


def _engine(url_or_engine):
    """A SQLAlchemy engine from a database URL, or the one given."""
    return make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine


class PgSearchEngine:
    needs_rebuild = False
    generation_dir = None
    context_ttl = 30.0  # seconds a node keeps the facet values a query's ``theme:…`` is resolved against

    def __init__(self, database, labels: Callable[[str, str], str] | None = None,
                 text_for: Callable[[list[str]], dict[str, str]] | None = None, synonyms: Synonyms | None = None,
                 read_database=None):
        self._write = _engine(database)
        self._read = _engine(read_database) if read_database else self._write
        # Engines made here from URLs are disposed by close(); one handed over belongs to its giver.
        self._owned = [e for e, given in ((self._write, database), (self._read, read_database))
                       if isinstance(given, str)]
        self.labels = labels
        self.text_for = text_for
        self.synonyms = synonyms if synonyms is not None else Synonyms.from_themes_file()
        self.reference_date: dt.date | None = None
        self.schema = pg_terms.parsing_schema()
        self._cached_context: tuple[float, QueryContext] | None = None
        self.rebuild_procs = parallel.default_procs()  # processes analysing documents during a rebuild

    # -- writing -------------------------------------------------------------------------------------------

    @staticmethod
    def _write_batch(conn, analysed: tuple[list[dict], Counter, Counter]) -> int:
        rows, spell, stems = analysed
        fulltext.upsert(conn, rows)
        fulltext.add_words(conn, "spell", spell)
        fulltext.add_words(conn, "stem", stems)
        return len(rows)

    def index(self, docs: Iterable[IndexDocument]) -> int:
        batch = list({doc.id: doc for doc in docs}.values())
        with self._write.begin() as conn:
            for start in range(0, len(batch), BATCH):
                self._write_batch(conn, pg_terms.analysed(batch[start:start + BATCH]))
        self._cached_context = None
        return len(batch)

    def delete(self, ids: Iterable[str]) -> int:
        wanted = [i for i in ids if i]
        if not wanted:
            return 0
        with self._write.begin() as conn:
            return fulltext.delete(conn, wanted)

    def rebuild(self, docs: Iterable[IndexDocument]) -> int:
        """Refills the index in one transaction: readers see the old rows until the commit."""
        count = 0
        with self._write.begin() as conn:
            fulltext.clear(conn)
            work = parallel.batches(docs, BATCH, _doc_id)
            for analysed in parallel.mapped(pg_terms.analysed, work, self.rebuild_procs):
                count += self._write_batch(conn, analysed)
        self._cached_context = None
        return count

    def set_synonyms(self, synonyms: Synonyms) -> None:
        self.synonyms = synonyms
        self._cached_context = None

    def refresh(self) -> None:
        """Every node reads the same tables: only the facet values a query resolves against are read again."""
        self._cached_context = None

    def close(self) -> None:
        for engine in dict.fromkeys(self._owned):
            engine.dispose()

    # -- reading -------------------------------------------------------------------------------------------

    def count(self) -> int:
        with self._read.connect() as conn:
            return fulltext.count(conn)

    def _context(self, conn) -> QueryContext:
        """Synonyms and the facet values present (for ``theme:logement``), read again every ``context_ttl`` s."""
        now = time.monotonic()
        if self._cached_context is None or now - self._cached_context[0] >= self.context_ttl:
            self._cached_context = (now, self._read_context(conn))
        return self._cached_context[1]

    def _read_context(self, conn) -> QueryContext:
        values = {}
        # Every facet's values in one pass over the table (a pass per facet took seconds at 100,000 documents).
        _, counts = fulltext.counted(conn, ("all",), None, {}, FACET_FIELDS.values())
        for name, column in FACET_FIELDS.items():
            present = list(counts[column])
            values[name] = {v: label_or_value(self.labels, name, v) for v in present} if len(present) <= 500 \
                else {v: v for v in present}
        return QueryContext(synonyms=self.synonyms, values=values)

    def _condition(self, conn, q, text: str) -> tuple:
        try:
            return pg_terms.condition(q, self._fuzzy_words(conn))
        except pg_terms.Untranslatable:  # as the Whoosh engine: search the plain words
            log.warning("query %r has no PostgreSQL form; searching its plain words", text)
            plain = plain_query(text, self.schema)
            return pg_terms.condition(None if plain is None or plain.__class__.__name__ == "_NullQuery" else plain,
                                      self._fuzzy_words(conn))

    def _fuzzy_words(self, conn):
        def expand(fieldname: str, text: str, maxdist: int, prefixlength: int) -> list[str]:
            kind = "spell" if fieldname == "title_exact" else "stem"
            found = fulltext.words_starting(conn, kind, text[:prefixlength], len(text) - maxdist,
                                            len(text) + maxdist)
            return sorted(w for w, _ in found if edit_distance(w, text, maxdist) <= maxdist)
        return expand

    def search(self, req: SearchRequest) -> SearchResponse:
        page = max(1, req.page)
        per_page = max(1, min(req.per_page, MAX_PER_PAGE))
        response = SearchResponse(query=req.q, total=0, page=page, per_page=per_page)
        with self._read.connect() as conn:
            fulltext.prefer_indexes(conn)
            ctx = self._context(conn) if req.q.strip() else QueryContext(synonyms=self.synonyms)
            plan = build_tiers(req.q, self.schema, ctx, self.synonyms)
            total, counts, top, q, per_tier = self._run_tiers(conn, plan.tiers, req, page, per_page)
            response.notice = notices(Found(total, counts, [], q, per_tier), plan.expanded)
            if plan.tiers and total < SUGGEST_BELOW:
                response.suggestion = self._suggest(conn, ctx, req, total)
            response.complete = dict(per_tier).get("full") if plan.tiers else None
            fields = fulltext.stored(conn, [doc_id for doc_id, _ in top])
        stored = [(fields[doc_id], score) for doc_id, score in top if doc_id in fields]
        response.total = total
        response.results = build_hits(stored, q, self.text_for)
        groups = self.synonyms.pillar_of
        response.facets = {
            name: facet_values(name, counts[FACET_FIELDS[name]], getattr(req, name), self.labels,
                               groups if name == "theme" else None)
            for name in FACETS
        }
        return response

    def _run_tiers(self, conn, tiers, req: SearchRequest, page: int, per_page: int):
        """As search/tiers.py: every word first, then phrases' words, then some words when few; each tier ranked
        after the ones before it. (total, counts, [(id, score)] of the page, the broadest query, per tier)."""
        if not tiers:
            total, counts, top = self._run(conn, None, req, page, per_page)
            return total, counts, top, None, []
        _, dates, selections = self._where_parts(conn, None, req)
        used: list[tuple] = []  # (tier, its condition, the condition of what it adds)
        per_tier = []
        first = None  # the first tier's (total, counts): the answer's when no other tier follows
        for i, tier in enumerate(tiers):
            cond = self._condition(conn, tier.q, req.q)
            # The tiers are disjoint: what the ones before found is the sum of what each added.
            if i and not tier.always and sum(n for _, n in per_tier) >= FEW:
                break
            new = ("and", [cond, ("not", ("or", [c for _, c, _ in used]))]) if used else cond
            if i:
                added = fulltext.total(conn, fulltext.where(new, dates, selections))
                if not fulltext.total(conn, fulltext.where(new, None, {})):
                    continue
            else:
                first = fulltext.counted(conn, new, dates, selections, FACET_FIELDS.values())
                added = first[0]
            used.append((tier, cond, new))
            per_tier.append((tier.kind, added))
        if len(used) > 1:
            total, counts = fulltext.counted(conn, ("or", [c for _, c, _ in used]), dates, selections,
                                             FACET_FIELDS.values())
        else:
            total, counts = first
        matched = fulltext.where(used[0][1] if len(used) == 1 else ("or", [c for _, c, _ in used]), dates,
                                 selections)
        upto = page * per_page
        start = upto - per_page
        q = used[-1][0].q
        if total <= start:
            return total, counts, [], q, per_tier
        if req.sort != "relevance":
            rows = fulltext.ranked_ids(conn, matched, None, None, per_page, start, req.sort)
            return total, counts, [(r[0], 0.0) for r in rows], q, per_tier
        themes = sorted(self.synonyms.themes_named(req.q)) if self.synonyms else []
        today = self.reference_date or dt.date.today()
        ranked: list[tuple[str, float]] = []
        for tier, _, new in used:
            rank = pg_terms.rank_query(tier.q)
            limit = max(upto - len(ranked), RERANK)
            rows = fulltext.ranked_ids(conn, fulltext.where(new, dates, selections), rank,
                                       (themes, THEME_RANK_BOOST), limit)
            head = [(d, sc * recency_factor(p, today)) for d, sc, p in rows[:RERANK]]
            head.sort(key=lambda x: -x[1])
            ranked += head + [(d, sc) for d, sc, _ in rows[RERANK:]]
            if len(ranked) >= upto:
                break
        return total, counts, ranked[start:upto], q, per_tier

    def _where_parts(self, conn, q, req: SearchRequest):
        base = self._condition(conn, q, req.q)
        dates = None
        if req.date_from or req.date_to:
            dates = (date_number(req.date_from) or 1, date_number(req.date_to) or 99_991_231)
        selections = {FACET_FIELDS[name]: values for name, values in req.filters().items()}
        return base, dates, selections

    def _run(self, conn, q, req: SearchRequest, page: int, per_page: int):
        """(total, facet counts by column, [(id, score)] of the page) for one query."""
        base, dates, selections = self._where_parts(conn, q, req)
        matched = fulltext.where(base, dates, selections)
        total, counts = fulltext.counted(conn, base, dates, selections, FACET_FIELDS.values())
        upto = page * per_page
        start = upto - per_page
        if total <= start:
            return total, counts, []
        rank = pg_terms.rank_query(q) if q is not None else None
        if req.sort != "relevance" or rank is None:
            rows = fulltext.ranked_ids(conn, matched, None, None, per_page, start, req.sort)
            return total, counts, [(doc_id, 0.0) for doc_id, _, _ in rows]
        themes = sorted(self.synonyms.themes_named(req.q)) if self.synonyms else []
        rows = fulltext.ranked_ids(conn, matched, rank, (themes, THEME_RANK_BOOST), max(upto, RERANK))
        today = self.reference_date or dt.date.today()
        head = [(doc_id, score * recency_factor(published, today)) for doc_id, score, published in rows[:RERANK]]
        head.sort(key=lambda p: -p[1])
        ranked = head + [(doc_id, score) for doc_id, score, _ in rows[RERANK:]]
        return total, counts, ranked[start:upto]

    def matching_ids(self, req: SearchRequest, among: Iterable[str]) -> set[str]:
        """The ids, among ``among``, that ``search(req)`` selects (no any-word fallback), as the Whoosh engine."""
        wanted = [i for i in among if i]
        if not wanted:
            return set()
        with self._read.connect() as conn:
            q = parse(req.q, self.schema, context=self._context(conn))
            base, dates, selections = self._where_parts(conn, q, req)
            clause = fulltext.where(("and", [base, ("ids", wanted)]), dates, selections)
            return fulltext.matching(conn, clause)

    def _suggest(self, conn, ctx: QueryContext, req: SearchRequest, total: int) -> str | None:
        try:
            corrected = self._correct(conn, req.q)
            if not corrected:
                return None
            q = parse(corrected, self.schema, context=ctx)
            if q is None:
                return None
            found = self._run(conn, q, SearchRequest(**{**req.__dict__, "page": 1, "per_page": 1}), 1, 1)[0]
            if not found:
                any_word = parse(corrected, self.schema, any_word=True, context=ctx)
                found = self._run(conn, any_word, req, 1, 1)[0] if any_word is not None else 0
            return corrected if found > total else None
        except Exception:  # a suggestion is a nicety: never fail the search for it
            log.warning("spelling suggestion failed for %r", req.q, exc_info=True)
            return None

    def _correct(self, conn, text: str) -> str | None:
        """As related.correct: unknown words replaced by the closest frequent words of titles and summaries."""
        out, last, changed = [], 0, False
        for start, end, word in query_words(text):
            terms = [t.text for t in pg_terms._unstemmed(word, mode="query")]
            if len(terms) != 1 or len(terms[0]) < 4 or terms[0].isdigit():
                continue
            term = terms[0]
            if fulltext.word_docs(conn, "spell", [term]):
                continue
            stems = [t.text for t in pg_terms._stemmed(word, mode="query")]
            if stems and all(fulltext.word_docs(conn, "stem", [s]) for s in stems):
                continue
            maxdist = 1 if len(term) <= 5 else 2
            candidate = self._closest(conn, term, maxdist)
            if candidate:
                out += [text[last:start], candidate]
                last, changed = end, True
        if not changed:
            return None
        out.append(text[last:])
        return "".join(out)

    @staticmethod
    def _closest(conn, term: str, maxdist: int, limit: int = 3) -> str | None:
        """Whoosh's corrector, in the same order: the ``limit`` most frequent words within one edit, then
        (when fewer) within two; the most frequent of those."""
        found = [(edit_distance(w, term, maxdist), w, n)
                 for w, n in fulltext.words_starting(conn, "spell", term[:1], len(term) - maxdist, len(term) + maxdist)
                 if w != term]
        best: list[tuple[int, str]] = []
        for distance in range(1, maxdist + 1):
            best = sorted((-n, w) for d, w, n in found if d <= distance)[:limit]
            if len(best) >= limit:
                break
        return best[0][1] if best else None

    def more_like_this(self, doc_id: str, limit: int = 5) -> list[SearchHit]:
        """Documents about the same things as ``doc_id``, from its key terms (as the Whoosh engine's)."""
        with self._read.connect() as conn:
            stored = fulltext.stored(conn, [doc_id]).get(doc_id)
            if stored is None:
                return []
            body = ""
            if self.text_for is not None:
                try:
                    body = (self.text_for([doc_id]) or {}).get(doc_id, "")
                except Exception:
                    log.warning("text_for failed for more-like-this", exc_info=True)
            weights = {"title": 3.0, "summary": 2.0, "body": 1.0}
            tf: Counter = Counter()
            for name, text in (("title", stored["title"]), ("summary", stored["summary"]), ("body", body)):
                for t in pg_terms._stemmed((text or "")[:MLT_TEXT_CHARS]):
                    if len(t.text) > 2 and not t.text.isdigit():
                        tf[t.text] += weights[name]
            total = max(1, fulltext.count(conn))
            df = fulltext.word_docs(conn, "stem", tf)
            scored = sorted(((term, math.log1p(freq) * math.log(total / df[term])) for term, freq in tf.items()
                             if 2 <= df.get(term, 0) <= total * 0.5), key=lambda p: (-p[1], p[0]))[:MLT_TERMS]
            if not scored:
                return []
            rank = " | ".join(pg_terms.lexeme(term) for term, _ in scored)
            clause = fulltext.where(("and", [("ts", rank), ("not", ("ids", [doc_id]))]), None, {})
            rows = fulltext.ranked_ids(conn, clause, rank, None, max(1, limit))
            fields = fulltext.stored(conn, [r[0] for r in rows])
        return build_hits([(fields[r[0]], r[1]) for r in rows if r[0] in fields], None, self.text_for)


def edit_distance(a: str, b: str, cap: int) -> int:
    """Levenshtein distance, cut short above ``cap``."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > cap:
            return cap + 1
        previous = current
    return previous[-1]
