"""The PostgreSQL search index: one row per document with a weighted ``tsvector``, facet arrays and the stored
fields a result shows; the SQL of the PostgreSQL search engine (``search/pg_engine.py``) lives here.

The ``tsvector`` is written by the project's own French analyzer (``search/pg_terms.py``), not by a
PostgreSQL text-search configuration, so both engines stem, fold and drop stop words alike; its lexemes are
weighted by field (A title, B summary, C body, D the unstemmed title words, marked with a leading ``=``) and
queries are ``tsquery`` texts built from the parsed query tree, compared with ``@@`` under a GIN index.

Conditions reach this module as a small neutral tree (``search/pg_terms.py``): ``("ts", tsquery)``,
``("facet", column, values)``, ``("and"|"or", [children])``, ``("not", child)``, ``("all",)``, ``("none",)``.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Identity,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR, insert
from sqlalchemy.engine import Connection
from sqlalchemy.types import UserDefinedType

metadata = MetaData()

# Facet columns (text[] each, single-valued ones hold at most one value), named as the Whoosh index fields.
FACET_COLUMNS = ("themes", "pillars", "centre", "region", "departments", "qpvs", "type", "year", "language")

search_documents = Table(
    "search_documents", metadata,
    Column("id", String(64), primary_key=True),
    Column("url", Text, nullable=False, server_default=""),
    Column("title", Text, nullable=False, server_default=""),
    Column("summary", Text, nullable=False, server_default=""),
    *(Column(name, ARRAY(Text), nullable=False, server_default="{}") for name in FACET_COLUMNS),
    Column("published", Integer, nullable=False, server_default="0"),  # YYYYMMDD, 0 when unknown
    Column("seen", BigInteger, nullable=False, server_default="0"),  # first seen, epoch seconds
    Column("found_at", Text, nullable=False, server_default="[]"),
    Column("terms", TSVECTOR, nullable=False),
    # A number per row: nodes keep the facets as arrays indexed by it and matches come back as these numbers.
    Column("docnum", BigInteger, Identity(), nullable=False, unique=True),
    # The ranking vector (search/pg_terms.py): small enough to stay in the row, it picks the candidates that
    # ``terms`` (TOASTed, ~10 KB) then ranks; ``length`` is the number of positions of ``terms``.
    Column("rank_terms", TSVECTOR, nullable=False, server_default=""),
    Column("length", Integer, nullable=False, server_default="0"),
)

# The index generation, bumped by every write in the writing transaction: nodes reload their facet arrays when
# it changes (search/pg_facets.py).
search_state = Table(
    "search_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("generation", BigInteger, nullable=False, server_default="1"),
)

# Words of the index: "spell" (unstemmed title and summary words, weight = occurrences: spelling suggestions, as
# Whoosh's corrector ranks them) and "stem" (stemmed words of every field, weight = documents: fuzzy terms and
# more-like-this). Added to as documents are indexed, reset by a rebuild; a deleted document's words stay.
search_words = Table(
    "search_words", metadata,
    Column("kind", String(8), primary_key=True),
    Column("word", Text, primary_key=True),
    Column("weight", Integer, nullable=False, server_default="0"),
)


class _TsQuery(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw):
        return "tsquery"


# ts_rank weights are {D, C, B, A}: the unstemmed title words, body, summary, title (as schema.TEXT_FIELDS,
# scaled into PostgreSQL's 0..1).
RANK_WEIGHTS = "{1.0, 0.25, 0.5, 0.75}"
# ts_rank normalisation 1: divided by 1 + log(document length), as BM25 discounts long documents.
RANK_NORMALISATION = 1


def tsquery(value: str):
    return cast(bindparam(None, value, type_=Text), _TsQuery())


def condition(node):
    """The SQL boolean expression of a neutral condition tree."""
    kind = node[0]
    if kind == "ts":
        return search_documents.c.terms.bool_op("@@")(tsquery(node[1]))
    if kind == "facet":
        return search_documents.c[node[1]].bool_op("&&")(cast(list(node[2]), ARRAY(Text)))
    if kind == "ids":
        return search_documents.c.id.in_(list(node[1]))
    if kind == "and":
        return and_(*(condition(c) for c in node[1]))
    if kind == "or":
        return or_(*(condition(c) for c in node[1]))
    if kind == "not":
        return not_(condition(node[1]))
    if kind == "all":
        return true()
    return false()


# -- writing ------------------------------------------------------------------------------------------------

def upsert(conn: Connection, rows: list[dict]) -> None:
    """Adds or replaces documents (``rows`` carry every column, ``terms`` as a tsvector literal)."""
    if not rows:
        return
    stmt = insert(search_documents).values([{**r, "terms": cast(r["terms"], TSVECTOR),
                                             "rank_terms": cast(r["rank_terms"], TSVECTOR)} for r in rows])
    stmt = stmt.on_conflict_do_update(  # a replaced document keeps its number
        index_elements=["id"],
        set_={c.name: stmt.excluded[c.name] for c in search_documents.c if c.name not in ("id", "docnum")})
    conn.execute(stmt)


def bump_generation(conn: Connection) -> None:
    """Marks the index changed, in the writing transaction (readers see the new number with the new rows)."""
    done = conn.execute(search_state.update().values(generation=search_state.c.generation + 1)).rowcount
    if not done:
        conn.execute(insert(search_state).values(id=1, generation=2).on_conflict_do_nothing())


def add_words(conn: Connection, kind: str, counts: Counter) -> None:
    if not counts:
        return
    stmt = insert(search_words).values([{"kind": kind, "word": w, "weight": n} for w, n in counts.items()])
    conn.execute(stmt.on_conflict_do_update(index_elements=["kind", "word"],
                                            set_={"weight": search_words.c.weight + stmt.excluded.weight}))


def delete(conn: Connection, ids: Iterable[str]) -> int:
    return conn.execute(search_documents.delete().where(search_documents.c.id.in_(list(ids)))).rowcount


def clear(conn: Connection) -> None:
    """Empties the index (a rebuild refills it in the same transaction: readers see the old rows until commit)."""
    conn.execute(search_documents.delete())
    conn.execute(search_words.delete())


# -- reading ------------------------------------------------------------------------------------------------

def prefer_indexes(conn: Connection) -> None:
    """For the rest of this read's transaction, the planner uses the GIN indexes rather than a table scan. For a
    word in most documents it picks the scan, which reads and unpacks every row's ``tsvector`` to test ``@@``
    (1.0 s for 80,000 of 100,000 documents, under load); the index's bitmap answers an unweighted word without
    reading one (0.10 s). Its cost model does not count the unpacking."""
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(search_documents)).scalar_one()


STORED = ("id", "url", "title", "summary", "themes", "centre", "region", "type", "published", "found_at")


def stored(conn: Connection, ids: list[str]) -> dict[str, dict]:
    """The fields a result shows, in the Whoosh engine's stored-field shape (multi-valued ones comma-joined)."""
    return {fields["id"]: fields for _, fields in _stored(conn, search_documents.c.id, ids)}


def stored_numbers(conn: Connection, docnums: list[int]) -> dict[int, dict]:
    """As ``stored``, keyed by the documents' numbers."""
    return dict(_stored(conn, search_documents.c.docnum, docnums))


def _stored(conn: Connection, key, wanted: list) -> list[tuple]:
    if not wanted:
        return []
    docs = search_documents.c
    rows = conn.execute(select(key.label("key"), *(docs[c] for c in STORED)).where(key.in_(wanted))).mappings()
    out = []
    for row in rows:
        fields = {c: row[c] for c in STORED}
        for name in ("themes", "region"):
            fields[name] = ",".join(fields[name])
        for name in ("centre", "type"):
            fields[name] = fields[name][0] if fields[name] else ""
        out.append((row["key"], fields))
    return out


# -- the arrays of the nodes' in-memory facets (search/pg_facets.py) ------------------------------------------

def generation(conn: Connection) -> int:
    """The index generation (0 when the index has never been written)."""
    return conn.execute(select(search_state.c.generation).where(search_state.c.id == 1)).scalar() or 0


def _numbers(joined: str | None, dtype=np.int64) -> np.ndarray:
    """The numbers of a comma-joined ``string_agg``: one text value and one C parse instead of a Python object
    per row (80,000 matching rows are 4 ms this way)."""
    return np.fromstring(joined, dtype=dtype, sep=",") if joined else np.zeros(0, dtype)


# Joins a row's facet values in one text (the values are identifiers: theme, centre, code, year… never a control
# character): one text per column and row is 2× faster to fetch than psycopg's conversion of the arrays.
_VALUE_SEPARATOR = "\x1f"


class DocumentFacets(NamedTuple):
    docnums: np.ndarray  # ascending
    published: np.ndarray
    seen: np.ndarray
    postings: dict[str, dict[str, np.ndarray]]  # column → value → positions in ``docnums`` (ascending)


def document_facets(conn: Connection) -> DocumentFacets:
    """Every document's number, dates and facet values, in one pass over the table (ten statements that each
    scanned it took 4.6–5.5 s at 100,000 documents, this one 1.6 s)."""
    joined = ", ".join(f"array_to_string({name}, chr(31))" for name in FACET_COLUMNS)
    # Streamed in chunks (a server-side cursor): holding the 100,000 rows at once raised a node's peak RSS by 90 MB.
    rows = conn.execution_options(stream_results=True, yield_per=5000).exec_driver_sql(
        f"SELECT docnum, published, seen, {joined} FROM search_documents ORDER BY docnum")
    columns: tuple[array, array, array] = (array("q"), array("q"), array("q"))
    lists: dict[str, dict[str, list[int]]] = {name: {} for name in FACET_COLUMNS}
    for position, row in enumerate(rows):
        for column, number in zip(columns, row[:3], strict=True):
            column.append(number)
        for by_value, values in zip(lists.values(), row[3:], strict=True):
            if values:
                for value in values.split(_VALUE_SEPARATOR):
                    by_value.setdefault(value, []).append(position)
    postings = {name: {value: np.asarray(by_value[value], dtype=np.int64) for value in sorted(by_value)}
                for name, by_value in lists.items()}
    return DocumentFacets(*(np.frombuffer(column, dtype=np.int64).copy() for column in columns), postings)


def numbers_of(conn: Connection, ids: list[str]) -> dict[str, int]:
    """The doc numbers of the indexed documents among ``ids``."""
    docs = search_documents.c
    return dict(conn.execute(select(docs.id, docs.docnum).where(docs.id.in_(ids))).all()) if ids else {}


def matched_numbers(conn: Connection, clause, rank: str | None = None,
                    theme_boost: tuple[list[str], float] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """The numbers of the documents ``clause`` selects and, with a ``rank`` query, each one's first-stage score:
    ``ts_rank`` over the small ``rank_terms`` divided by log2(length + 1), as ts_rank's normalisation 1 does
    for the full ``terms`` (which the final ranking reads for the best candidates only: ``exact_ranks``)."""
    docs = search_documents.c
    columns = [func.string_agg(cast(docs.docnum, Text), literal_column("','"))]
    if rank:
        first = func.ts_rank(text(f"'{RANK_WEIGHTS}'::float4[]"), docs.rank_terms, tsquery(rank), 0) \
            * math.log(2) / func.ln(cast(func.greatest(docs.length, 1) + 1, Float))  # / log2(length + 1)
        first = _boosted(first, theme_boost)
        columns.append(func.string_agg(cast(first, Text), literal_column("','")))
    row = conn.execute(select(*columns).where(clause)).one()
    return _numbers(row[0]), (_numbers(row[1], np.float64) if rank else None)


def exact_ranks(conn: Connection, docnums: list[int], rank_query: str,
                theme_boost: tuple[list[str], float] | None) -> list[tuple[int, str, float, int]]:
    """(docnum, id, score, published) of the given documents, best first: ``ts_rank`` over the full ``terms``."""
    if not docnums:
        return []
    docs = search_documents.c
    score = _rank(rank_query, theme_boost)
    rows = conn.execute(select(docs.docnum, docs.id, score, docs.published).where(docs.docnum.in_(docnums))
                        .order_by(score.desc(), docs.id.asc()))
    return [(r[0], r[1], float(r[2]), r[3]) for r in rows]


def _rank(rank_query: str, theme_boost: tuple[list[str], float] | None):
    docs = search_documents.c
    score = func.ts_rank(text(f"'{RANK_WEIGHTS}'::float4[]"), docs.terms, tsquery(rank_query), RANK_NORMALISATION)
    return _boosted(score, theme_boost).label("score")


def _boosted(score, theme_boost: tuple[list[str], float] | None):
    """``score`` plus the boost for documents in one of the themes the words name."""
    if theme_boost and theme_boost[0]:
        boost = func.cast(search_documents.c.themes.op("&&")(cast(theme_boost[0], ARRAY(Text))), Integer)
        score = score + boost * theme_boost[1]
    return score


def word_docs(conn: Connection, kind: str, words: Iterable[str]) -> dict[str, int]:
    words = list(set(words))
    if not words:
        return {}
    rows = conn.execute(select(search_words.c.word, search_words.c.weight)
                        .where(search_words.c.kind == kind, search_words.c.word.in_(words)))
    return dict(rows.all())


def words_starting(conn: Connection, kind: str, start: str, low: int, high: int) -> list[tuple[str, int]]:
    """Words of ``kind`` beginning with ``start`` whose length is within [low, high] (fuzzy candidates)."""
    w = search_words.c
    like = start.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(select(w.word, w.weight).where(w.kind == kind, w.word.like(like, escape="\\"),
                                                     func.length(w.word).between(low, high)))
    return [(r[0], r[1]) for r in rows]
