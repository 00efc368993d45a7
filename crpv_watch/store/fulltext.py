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

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import (
    BigInteger,
    Column,
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


def where(base, date_range: tuple[int, int] | None, selections: dict[str, list[str]], leave_out: str | None = None):
    """``base`` (a neutral tree), the date range and every facet selection but ``leave_out``'s."""
    parts = [condition(base)]
    if date_range:
        parts.append(search_documents.c.published.between(*date_range))
    for column, values in selections.items():
        if column != leave_out:
            parts.append(condition(("facet", column, values)))
    return and_(*parts)


# -- writing ------------------------------------------------------------------------------------------------

def upsert(conn: Connection, rows: list[dict]) -> None:
    """Adds or replaces documents (``rows`` carry every column, ``terms`` as a tsvector literal)."""
    if not rows:
        return
    stmt = insert(search_documents).values([{**r, "terms": cast(r["terms"], TSVECTOR)} for r in rows])
    stmt = stmt.on_conflict_do_update(
        index_elements=["id"], set_={c.name: stmt.excluded[c.name] for c in search_documents.c if c.name != "id"})
    conn.execute(stmt)


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


def matching(conn: Connection, clause) -> set[str]:
    return set(conn.execute(select(search_documents.c.id).where(clause)).scalars())


def total(conn: Connection, clause) -> int:
    return conn.execute(select(func.count()).select_from(search_documents).where(clause)).scalar_one()


def counted(conn: Connection, base, date_range: tuple[int, int] | None, selections: dict[str, list[str]],
            columns: Iterable[str]) -> tuple[int, dict[str, Counter]]:
    """(total, value counts of each of ``columns``) of ``base`` (a neutral tree) within the date range and the
    facet selections, disjunctively (a selected facet's counts leave its own selection out). The total comes
    with the unselected facets' counts; each selected facet is one more statement over the documents its own
    selection is left out of (one statement for all of them materialised every document missing any one
    selection: slower for a browse, measured at 100,000 documents)."""
    columns = list(columns)
    total, counts = _counts(conn, where(base, date_range, selections), [c for c in columns if c not in selections])
    for column in selections:
        if column in columns:
            counts.update(_counts(conn, where(base, date_range, selections, column), [column])[1])
    return total, counts


def _counts(conn: Connection, clause, columns: list[str]) -> tuple[int, dict[str, Counter]]:
    """(documents ``clause`` selects, value counts of each of ``columns`` among them), in one statement."""
    matched = select(*(search_documents.c[c] for c in columns), search_documents.c.id).where(clause).cte("matched")
    rows = [select(literal_column("'*'").label("facet"), literal_column("NULL::text").label("value"))
            .select_from(matched)]
    rows += [select(literal_column(f"'{c}'"), func.unnest(matched.c[c])) for c in columns]
    values = rows[0].union_all(*rows[1:]).subquery()
    out: dict[str, Counter] = {c: Counter() for c in columns}
    total = 0
    for facet, value, n in conn.execute(select(values.c.facet, values.c.value, func.count())
                                        .group_by(values.c.facet, values.c.value)):
        if facet == "*":
            total = n
        else:
            out[facet][value] = n
    return total, out


def ranked_ids(conn: Connection, clause, rank_query: str | None, theme_boost: tuple[list[str], float] | None,
               limit: int, offset: int = 0, sort: str = "relevance") -> list[tuple[str, float, int]]:
    """(id, score, published) of the matching documents in ``sort`` order."""
    docs = search_documents.c
    if sort == "date_asc":
        undated_last = func.nullif(docs.published, 0)
        order = [undated_last.asc().nulls_last(), docs.seen.asc(), docs.id.asc()]
        score = literal_column("0.0")
    elif sort == "date" or not rank_query:
        order = [docs.published.desc(), docs.seen.desc(), docs.id.asc()]
        score = literal_column("0.0")
    else:
        score = func.ts_rank(text(f"'{RANK_WEIGHTS}'::float4[]"), docs.terms, tsquery(rank_query),
                             RANK_NORMALISATION)
        if theme_boost and theme_boost[0]:
            boost = func.cast(docs.themes.op("&&")(cast(theme_boost[0], ARRAY(Text))), Integer)
            score = score + boost * theme_boost[1]
        order = [score.desc(), docs.id.asc()]
    stmt = select(docs.id, score.label("score"), docs.published).where(clause).order_by(*order)
    return [(r[0], float(r[1]), r[2]) for r in conn.execute(stmt.limit(limit).offset(offset))]


STORED = ("id", "url", "title", "summary", "themes", "centre", "region", "type", "published", "found_at")


def stored(conn: Connection, ids: list[str]) -> dict[str, dict]:
    """The fields a result shows, in the Whoosh engine's stored-field shape (multi-valued ones comma-joined)."""
    if not ids:
        return {}
    docs = search_documents.c
    rows = conn.execute(select(*(docs[c] for c in STORED)).where(docs.id.in_(ids))).mappings()
    out = {}
    for row in rows:
        fields = dict(row)
        for name in ("themes", "region"):
            fields[name] = ",".join(fields[name])
        for name in ("centre", "type"):
            fields[name] = fields[name][0] if fields[name] else ""
        out[row["id"]] = fields
    return out


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
