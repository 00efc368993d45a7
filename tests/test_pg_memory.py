"""The PostgreSQL engine's facet arrays in the web node (search/pg_facets.py) and its two-stage ranking: counts
equal to counting in SQL, arrays that follow the index generation across engines (nodes) on one database, the
ranking vector the migration fills equal to the one the engine writes, and a ranking that stays good when only
a few candidates are ranked by their full terms."""

from __future__ import annotations

import importlib
from collections import Counter

import pytest
from sqlalchemy import create_engine, func, select
from test_search_engines import DATA, RELEVANCE_GAP, cluster, corpus, engines, pg_url  # noqa: F401

from crpv_watch.search import evaluation, pg_terms
from crpv_watch.search.query import parse
from crpv_watch.search.schema import FACET_FIELDS
from crpv_watch.search.types import FACETS, SearchRequest
from crpv_watch.store import fulltext


def sql_counts(url: str, text: str, filters: dict[str, list[str]], leave_out: str | None) -> Counter:
    """A facet's value counts, counted by PostgreSQL: the words' condition and every selection but
    ``leave_out``'s."""
    from crpv_watch.search.pg_engine import PgSearchEngine

    engine = PgSearchEngine(url)
    docs = fulltext.search_documents
    try:
        with engine._read.connect() as conn:
            parts = [fulltext.condition(pg_terms.condition(parse(text, engine.schema) if text else None,
                                                           lambda *_: []))]
            parts += [docs.c[FACET_FIELDS[name]].overlap(values) for name, values in filters.items()
                      if name != leave_out]
            values = select(func.unnest(docs.c[FACET_FIELDS[leave_out]]).label("v")).where(*parts).subquery()
            rows = conn.execute(select(values.c.v, func.count()).group_by(values.c.v)).all()
    finally:
        engine.close()
    return Counter(dict(rows))


@pytest.mark.parametrize("text,filters", [
    ("", {}),
    ("", {"theme": ["emploi_insertion"]}),
    ("quartier", {}),
    ("emploi OU insertion", {"type": ["guide_methodologique", "etude_rapport"], "theme": ["emploi_insertion"]}),
])
def test_counts_in_memory_equal_counts_in_sql(engines, pg_url, text, filters):  # noqa: F811
    _, postgres = engines
    found = postgres.search(SearchRequest(q=text, **filters))
    for name in FACETS:
        if name == "pillar":  # keyed with the themes (search/facets.py FACET_GROUPS): not one SQL count
            continue
        counts = {f.value: f.count for f in found.facets[name] if f.count}
        assert counts == sql_counts(pg_url, text, filters, name), name
    assert sum(1 for name in FACETS if found.facets[name]) >= 5


def test_a_node_follows_another_nodes_writes(cluster, corpus):  # noqa: F811
    """Two engines on one database (two web nodes): what one writes, the other counts at its next search."""
    from crpv_watch.search.pg_engine import PgSearchEngine

    _, docs, _ = corpus
    url = cluster.create_database()
    writer, reader = PgSearchEngine(url), PgSearchEngine(url)
    try:
        writer.rebuild(docs[1:])
        before = reader.search(SearchRequest(q=""))
        generation = reader._facets.generation
        assert before.total == len(docs) - 1

        def centre_count(response):
            return {f.value: f.count for f in response.facets["centre"]}.get(docs[0].centre, 0)

        writer.index(docs[:1])
        after = reader.search(SearchRequest(q=""))
        assert after.total == len(docs) and reader._facets.generation > generation
        assert centre_count(after) == centre_count(before) + 1
        assert docs[0].id in {h.id for h in reader.search(SearchRequest(q=docs[0].title, per_page=50)).results}
        writer.delete([docs[0].id])
        assert reader.search(SearchRequest(q="")).total == len(docs) - 1
        assert centre_count(reader.search(SearchRequest(q=""))) == centre_count(before)
        unchanged = reader._facets
        reader.search(SearchRequest(q="jardin"))
        assert reader._facets is unchanged  # no write, no reading the arrays again
    finally:
        writer.close()
        reader.close()


def test_the_migration_fills_the_ranking_vector_as_the_engine_writes_it(cluster, corpus):  # noqa: F811
    """Revision 0012 fills ``rank_terms`` and ``length`` of an existing index in SQL from ``terms``: the same
    values as the engine's analysis writes (search/pg_terms.py), so a migrated index ranks as a rebuilt one."""
    from crpv_watch.search.pg_engine import PgSearchEngine

    migration = importlib.import_module("crpv_watch.store.migrations.versions.0012_search_generation_and_ranking_terms")
    _, docs, _ = corpus
    url = cluster.create_database()
    engine = PgSearchEngine(url)
    try:
        engine.rebuild(docs)
    finally:
        engine.close()
    database = create_engine(url)
    query = "SELECT id, rank_terms::text, length FROM search_documents ORDER BY id"
    try:
        with database.begin() as conn:
            written = conn.exec_driver_sql(query).all()
            conn.exec_driver_sql("UPDATE search_documents SET rank_terms = '', length = 0")
            conn.exec_driver_sql(migration.FILL)
            filled = conn.exec_driver_sql(query).all()
    finally:
        database.dispose()
    assert all(r[1] and r[2] for r in written)
    assert filled == written


def test_few_candidates_still_rank_well(engines, monkeypatch):  # noqa: F811
    """With only 5 documents of a tier ranked by their full terms (at 100,000 documents it is 200 of up to
    80,000), the first stage alone picks them: the judged set's figures stay within the gap of Whoosh's."""
    from crpv_watch.search import pg_engine

    whoosh, postgres = engines
    monkeypatch.setattr(pg_engine, "CANDIDATES", 5)
    monkeypatch.setattr(pg_engine, "RERANK", 5)
    cases = evaluation.judgments(DATA / "judgments.yaml")
    a, b = evaluation.evaluate(whoosh, cases), evaluation.evaluate(postgres, cases)
    assert b["ndcg@10"] >= a["ndcg@10"] - RELEVANCE_GAP, (a["ndcg@10"], b["ndcg@10"])
    assert b["mrr@10"] >= a["mrr@10"] - RELEVANCE_GAP, (a["mrr@10"], b["mrr@10"])


def test_the_ranking_vector_is_kept_in_the_row(pg_url):  # noqa: F811
    """Every matching row's ``rank_terms`` is read by the first ranking stage: out of line (PostgreSQL's default
    for a value that does not fit a 2 KB row) each costs TOAST index lookups, 0.3 s for 93,000 rows at 100,000
    documents. Revision 0012 keeps it in the row; ``terms``, read for the best candidates only, may go out."""
    database = create_engine(pg_url)
    query = ("SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'search_documents'::regclass "
             "AND attname IN ('rank_terms', 'terms')")
    try:
        with database.connect() as conn:
            storage = dict(conn.exec_driver_sql(query).all())
    finally:
        database.dispose()
    assert storage == {"rank_terms": "m", "terms": "x"}
