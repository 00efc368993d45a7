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
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable

import numpy as np

from ..items import IndexDocument
from ..store import fulltext
from ..store.db import make_engine
from . import parallel, pg_terms
from .engine import MAX_PER_PAGE
from .facets import facet_values, label_or_value
from .hits import build_hits
from .pg_facets import CANDIDATES, PgFacetData, candidates
from .query import QueryContext, plain_query, query_words
from .related import MLT_TERMS, MLT_TEXT_CHARS, RERANK, SUGGEST_BELOW, recency_factor
from .schema import FACET_FIELDS
from .synonyms import Synonyms
from .tiers import Found, Tier, build_tiers, match_tiers, notices
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
        self._cached_context: tuple[int, QueryContext] | None = None  # (generation, the facet values present)
        self._facets: PgFacetData | None = None  # the arrays of the generation last read
        self._loading = threading.Lock()
        self.rebuild_procs = parallel.default_procs()  # processes analysing documents during a rebuild

    # -- writing -------------------------------------------------------------------------------------------

    @staticmethod
    def _write_batch(conn, analysed: tuple[list[dict], Counter, Counter]) -> int:
        rows, spell, stems = analysed
        fulltext.upsert(conn, rows)
        fulltext.add_words(conn, "spell", spell)
        fulltext.add_words(conn, "stem", stems)
        fulltext.bump_generation(conn)
        return len(rows)

    def index(self, docs: Iterable[IndexDocument]) -> int:
        batch = list({doc.id: doc for doc in docs}.values())
        with self._write.begin() as conn:
            for start in range(0, len(batch), BATCH):
                self._write_batch(conn, pg_terms.analysed(batch[start:start + BATCH]))
        return len(batch)

    def delete(self, ids: Iterable[str]) -> int:
        wanted = [i for i in ids if i]
        if not wanted:
            return 0
        with self._write.begin() as conn:
            deleted = fulltext.delete(conn, wanted)
            if deleted:
                fulltext.bump_generation(conn)
            return deleted

    def rebuild(self, docs: Iterable[IndexDocument]) -> int:
        """Refills the index in one transaction: readers see the old rows until the commit."""
        count = 0
        with self._write.begin() as conn:
            fulltext.clear(conn)
            fulltext.bump_generation(conn)
            work = parallel.batches(docs, BATCH, _doc_id)
            for analysed in parallel.mapped(pg_terms.analysed, work, self.rebuild_procs):
                count += self._write_batch(conn, analysed)
        return count

    def set_synonyms(self, synonyms: Synonyms) -> None:
        self.synonyms = synonyms
        self._cached_context = None

    def refresh(self) -> None:
        """Every node reads the same tables; the facet arrays follow the index generation at each search."""
        self._cached_context = None

    def close(self) -> None:
        for engine in dict.fromkeys(self._owned):
            engine.dispose()

    # -- reading -------------------------------------------------------------------------------------------

    def _reading(self):
        """A read transaction with one snapshot (the generation and the rows it counts agree), GIN preferred."""
        conn = self._read.connect().execution_options(isolation_level="REPEATABLE READ")
        fulltext.prefer_indexes(conn)
        return conn

    def count(self) -> int:
        with self._read.connect() as conn:
            return fulltext.count(conn)

    def _facet_data(self, conn) -> PgFacetData:
        """The facet arrays of the index generation this transaction sees, read again when it changed."""
        generation = fulltext.generation(conn)
        data = self._facets
        if data is None or data.generation != generation:
            with self._loading:
                data = self._facets
                if data is None or data.generation != generation:
                    started = time.perf_counter()
                    data = self._facets = PgFacetData(conn, generation)
                    self._cached_context = None
                    log.info("search facets of generation %d read: %d documents in %.2f s", generation, data.size,
                             time.perf_counter() - started)
        return data

    def present_values(self, facet: str) -> list[str]:
        """The values of a facet that some indexed document has."""
        with self._reading() as conn:
            return list(self._facet_data(conn).values.get(FACET_FIELDS[facet], []))

    def _context(self, data: PgFacetData) -> QueryContext:
        """Synonyms and the facet values present (for ``theme:logement``), per generation."""
        cached = self._cached_context
        if cached is None or cached[0] != data.generation:
            values = {}
            for name, column in FACET_FIELDS.items():
                present = data.values[column]
                values[name] = {v: label_or_value(self.labels, name, v) for v in present} if len(present) <= 500 \
                    else {v: v for v in present}
            cached = self._cached_context = (data.generation, QueryContext(synonyms=self.synonyms, values=values))
        return cached[1]

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
        with self._reading() as conn:
            data = self._facet_data(conn)
            ctx = self._context(data) if req.q.strip() else QueryContext(synonyms=self.synonyms)
            plan = build_tiers(req.q, self.schema, ctx, self.synonyms)
            found = self._run(conn, data, plan.tiers, req, page, per_page)
            response.notice = notices(found, plan.expanded)
            if plan.tiers and found.total < SUGGEST_BELOW:
                response.suggestion = self._suggest(conn, data, ctx, req, found.total)
            response.complete = dict(found.per_tier).get("full") if plan.tiers else None
            numbers = [int(data.docnums[pos]) for pos, _ in found.top]
            fields = fulltext.stored_numbers(conn, numbers)
        stored = [(fields[n], score) for n, (_, score) in zip(numbers, found.top, strict=True) if n in fields]
        response.total = found.total
        response.results = build_hits(stored, found.q, self.text_for)
        groups = self.synonyms.pillar_of
        response.facets = {
            name: facet_values(name, found.counts[name], getattr(req, name), self.labels,
                               groups if name == "theme" else None)
            for name in FACETS
        }
        return response

    def _match(self, conn, data: PgFacetData, tiers: list[Tier], req: SearchRequest, first: dict | None,
               restrict: tuple | None = None):
        """The tiers' documents and facet counts (search/tiers.py ``match_tiers``), the documents from PostgreSQL's
        GIN index; with ``first``, each tier's first-stage scores are kept there (by the tier's identity);
        ``restrict``: a condition every document must also meet (``("ids", [...])``)."""
        themes = self._themes(req)

        def match(tier: Tier) -> np.ndarray:
            condition = self._condition(conn, tier.q, req.q)
            clause = fulltext.condition(("and", [condition, restrict]) if restrict else condition)
            rank = pg_terms.rank_query(tier.q) if first is not None else None
            numbers, scores = fulltext.matched_numbers(conn, clause, rank, (themes, THEME_RANK_BOOST))
            if scores is not None:
                first[id(tier)] = data.scores_of(numbers, scores)
            return data.mask_of(numbers)

        return match_tiers(None, data, None, tiers, req, match)

    def _run(self, conn, data: PgFacetData, tiers: list[Tier], req: SearchRequest, page: int,
             per_page: int) -> Found:
        """Total, facet counts and the page's [(position, score)], as search/tiers.py ``run_tiers``: each tier
        ranked after the ones before it, the best RERANK of a tier re-ordered by recency."""
        ranking = bool(tiers) and req.sort == "relevance"
        first: dict[int, np.ndarray] = {}
        found = self._match(conn, data, tiers, req, first if ranking else None)
        matched, counts, new_masks, per_tier = found.matched, found.counts, found.tiers, found.per_tier
        total = int(np.count_nonzero(matched))
        upto = page * per_page
        start = upto - per_page
        q = new_masks[-1][0].q if new_masks else None
        if total <= start:
            return Found(total, counts, [], q, per_tier)
        if req.sort == "date_asc":
            return Found(total, counts, [(d, 0.0) for d in data.oldest(matched, upto)[start:]], q, per_tier)
        if not ranking:
            return Found(total, counts, [(d, 0.0) for d in data.newest(matched, upto)[start:]], q, per_tier)
        themes = self._themes(req)
        today = self.reference_date or dt.date.today()
        ranked: list[tuple[int, float]] = []
        for tier, new in new_masks:
            in_tier = new & matched
            if not in_tier.any():
                continue
            limit = max(upto - len(ranked), RERANK)
            rank = pg_terms.rank_query(tier.q)
            if rank is None:  # no words to rank by (a facet term alone): newest first
                ranked += [(d, 0.0) for d in data.newest(in_tier, limit)]
            else:
                chosen = candidates(data, in_tier, first.get(id(tier)), max(CANDIDATES, limit))
                position = dict(zip(data.docnums[chosen].tolist(), chosen.tolist(), strict=True))
                rows = fulltext.exact_ranks(conn, list(position), rank, (themes, THEME_RANK_BOOST))[:limit]
                head = [(position[n], sc * recency_factor(p, today)) for n, _, sc, p in rows[:RERANK]]
                head.sort(key=lambda x: -x[1])
                ranked += head + [(position[n], sc) for n, _, sc, _ in rows[RERANK:]]
            if len(ranked) >= upto:
                break
        return Found(total, counts, ranked[start:upto], q, per_tier)

    def _themes(self, req: SearchRequest) -> list[str]:
        return sorted(self.synonyms.themes_named(req.q)) if self.synonyms and req.q.strip() else []

    def matching_ids(self, req: SearchRequest, among: Iterable[str]) -> set[str]:
        """The ids, among ``among``, that ``search(req)`` ranks first (its first tier), as the Whoosh engine."""
        wanted = [i for i in among if i]
        if not wanted:
            return set()
        with self._reading() as conn:
            data = self._facet_data(conn)
            numbers = fulltext.numbers_of(conn, wanted)
            plan = build_tiers(req.q, self.schema, self._context(data), self.synonyms)
            restrict = ("ids", list(numbers))  # the words are looked up among these documents only
            matched = self._match(conn, data, plan.tiers[:1], req, None, restrict).matched
        among_mask = data.mask_of(np.asarray(list(numbers.values()), dtype=np.int64))
        chosen = set(data.docnums[matched & among_mask].tolist())
        return {doc_id for doc_id, number in numbers.items() if number in chosen}

    def _suggest(self, conn, data: PgFacetData, ctx: QueryContext, req: SearchRequest, total: int) -> str | None:
        """A corrected query when it finds more than ``total`` documents with the same filters."""
        try:
            corrected = self._correct(conn, req.q)
            if not corrected:
                return None
            plan = build_tiers(corrected, self.schema, ctx, self.synonyms)
            if not plan.tiers:
                return None
            found = int(np.count_nonzero(self._match(conn, data, plan.tiers, req, None).matched))
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
        with self._reading() as conn:
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
            clause = fulltext.condition(("and", [("ts", rank), ("not", ("ids", [doc_id]))]))
            data = self._facet_data(conn)
            numbers, first = fulltext.matched_numbers(conn, clause, rank)
            chosen = candidates(data, data.mask_of(numbers), data.scores_of(numbers, first), CANDIDATES)
            rows = fulltext.exact_ranks(conn, data.docnums[chosen].tolist(), rank, None)[:max(1, limit)]
            fields = fulltext.stored(conn, [r[1] for r in rows])
        return build_hits([(fields[r[1]], r[2]) for r in rows if r[1] in fields], None, self.text_for)


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
