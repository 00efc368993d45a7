"""Engine contract: the Whoosh engine and the PostgreSQL engine (``search_backend = "postgresql"``) over the
demo judged set give the same documents, totals and facet counts for the same requests, and relevance figures
within 0.02 of each other. The PostgreSQL engine runs on the tests' throwaway cluster (tests/pg_cluster.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crpv_watch.search import evaluation
from crpv_watch.search.engine import SearchEngine
from crpv_watch.search.synonyms import Synonyms
from crpv_watch.search.types import FACETS, SearchRequest

DATA = Path(__file__).parent / "data" / "relevance"
RELEVANCE_GAP = 0.02


@pytest.fixture(scope="module")
def corpus():
    synonyms = Synonyms.from_themes_file()
    docs = evaluation.demo_documents(synonyms) + evaluation.distractors(DATA / "distractors.yaml")
    return synonyms, docs, {d.id: d.text for d in docs}


@pytest.fixture(scope="module")
def cluster():
    """The session's throwaway PostgreSQL cluster (tests/conftest.py), skipped with the reason when there is none."""
    from conftest import postgres_cluster

    return postgres_cluster()


@pytest.fixture(scope="module")
def pg_url(cluster):
    return cluster.create_database()


@pytest.fixture(scope="module")
def engines(tmp_path_factory, corpus, pg_url):
    from crpv_watch.search.pg_engine import PgSearchEngine

    synonyms, docs, texts = corpus

    def text_for(ids):
        return {i: texts[i] for i in ids if i in texts}

    whoosh = SearchEngine(tmp_path_factory.mktemp("whoosh") / "index", text_for=text_for, synonyms=synonyms)
    postgres = PgSearchEngine(pg_url, text_for=text_for, synonyms=synonyms)
    for engine in (whoosh, postgres):
        engine.reference_date = evaluation.REFERENCE_DATE
        assert engine.rebuild(docs) == len(docs)
    yield whoosh, postgres
    whoosh.close()
    postgres.close()


REQUESTS = [
    SearchRequest(q=""),
    SearchRequest(q="jardin partagé"),
    SearchRequest(q='"conseil citoyen"'),
    SearchRequest(q="« contrat de ville »"),
    SearchRequest(q="emploi OU insertion"),
    SearchRequest(q="emploi ET jeunes"),
    SearchRequest(q="santé -copropriété"),
    SearchRequest(q="santé SAUF mentale"),
    SearchRequest(q="(emploi OR insertion) NOT numérique"),
    SearchRequest(q="titre:jardin"),
    SearchRequest(q='titre:"conseil citoyen"'),
    SearchRequest(q="texte:diagnostic"),
    SearchRequest(q="renouv*"),
    SearchRequest(q="mediatrise~"),
    SearchRequest(q="ASV"),
    SearchRequest(q="atelier santé ville"),
    SearchRequest(q="theme:sante"),
    SearchRequest(q="type:guide jeunes"),
    SearchRequest(q="tiers-lieu"),
    SearchRequest(q="l'habitant"),
    SearchRequest(q="zzzqqq introuvable"),
    SearchRequest(q="emploi", type=["guide", "etude"]),
    SearchRequest(q="quartier", theme=["emploi_insertion"], centre=["crpv-a"]),
    SearchRequest(q="", date_from=dt.date(2023, 1, 1), date_to=dt.date(2024, 12, 31)),
    SearchRequest(q="emploi", sort="date", per_page=20),
    SearchRequest(q="habitat", sort="date_asc", per_page=20),
    SearchRequest(q="politique ville", page=2),
]


def all_ids(engine, req: SearchRequest) -> set[str]:
    found = engine.search(SearchRequest(**{**req.__dict__, "page": 1, "per_page": 100}))
    ids = [h.id for h in found.results]
    page = 1
    while len(ids) < found.total:
        page += 1
        ids += [h.id for h in engine.search(SearchRequest(**{**req.__dict__, "page": page, "per_page": 100})).results]
    return set(ids)


@pytest.mark.parametrize("req", REQUESTS, ids=lambda r: r.q or "(browse)")
def test_same_documents_totals_and_facet_counts(engines, req):
    whoosh, postgres = engines
    a, b = whoosh.search(req), postgres.search(req)
    assert b.total == a.total
    assert all_ids(postgres, req) == all_ids(whoosh, req)
    assert b.notice == a.notice
    for name in FACETS:
        assert [(f.value, f.count, f.selected) for f in b.facets[name]] == \
               [(f.value, f.count, f.selected) for f in a.facets[name]], name
    if req.sort != "relevance" or not req.q:  # same order: the same hits, snippets and all
        assert [h.to_json() for h in b.results] == [h.to_json() for h in a.results]
    assert len(b.results) == len(a.results)


def test_the_requests_are_not_trivial(engines):
    whoosh, _ = engines
    totals = [whoosh.search(r).total for r in REQUESTS]
    assert sum(1 for t in totals if 0 < t < totals[0]) >= 15  # most select some documents, not all


def test_highlights_mark_the_words(engines):
    _, postgres = engines
    hit = postgres.search(SearchRequest(q="jardin")).results[0]
    assert "<mark>" in hit.snippet and "jardin" in hit.snippet.lower()


def test_suggestion_and_more_like_this(engines):
    whoosh, postgres = engines
    typo = SearchRequest(q="mediatrise")
    assert postgres.search(typo).suggestion == whoosh.search(typo).suggestion is not None
    first = whoosh.search(SearchRequest(q="jardin partagé")).results[0].id
    related = postgres.more_like_this(first, limit=5)
    assert related and first not in {h.id for h in related}
    assert {h.id for h in related} & {h.id for h in whoosh.more_like_this(first, limit=5)}


def test_writes_are_seen_and_deletes_remove(engines, corpus):
    _, postgres = engines
    _, docs, _ = corpus
    doc = docs[0]
    assert postgres.delete([doc.id]) == 1
    assert doc.id not in all_ids(postgres, SearchRequest(q=""))
    assert postgres.index([doc]) == 1
    assert postgres.count() == len(docs)


def test_odd_text_is_indexed(engines):
    """NUL characters (some PDFs), a token too long for PostgreSQL, and words past its 16,383rd position."""
    from crpv_watch.items import IndexDocument

    _, postgres = engines
    odd = IndexDocument(id="odd", url="https://example.org/odd", title="Bilan\x00 du xylophage",
                        text="x" * 3000 + " " + "mot " * 17_000 + "zygomatique final", summary="")
    try:
        assert postgres.index([odd]) == 1
        assert [h.id for h in postgres.search(SearchRequest(q="xylophage")).results] == ["odd"]
        assert postgres.search(SearchRequest(q="zygomatique")).total == 1
    finally:
        postgres.delete(["odd"])


def test_matching_ids_follow_search(engines, corpus):
    whoosh, postgres = engines
    _, docs, _ = corpus
    among = [d.id for d in docs]
    for req in REQUESTS[1:12]:
        assert postgres.matching_ids(req, among) == whoosh.matching_ids(req, among), req.q


def test_relevance_within_gap_of_whoosh(engines):
    whoosh, postgres = engines
    cases = evaluation.judgments(DATA / "judgments.yaml")
    a, b = evaluation.evaluate(whoosh, cases), evaluation.evaluate(postgres, cases)
    assert b["ndcg@10"] >= a["ndcg@10"] - RELEVANCE_GAP, (a["ndcg@10"], b["ndcg@10"])
    assert b["mrr@10"] >= a["mrr@10"] - RELEVANCE_GAP, (a["mrr@10"], b["mrr@10"])


def test_the_setting_selects_the_engine_and_the_api_answers_alike(tmp_path, cluster, corpus):
    from conftest import fast_settings

    from crpv_watch.search.pg_engine import PgSearchEngine
    from crpv_watch.services import Services
    from crpv_watch.settings import SettingsError
    from crpv_watch.web.app import create_app

    _, docs, _ = corpus
    answers = []
    for backend, url in (("whoosh", None), ("postgresql", cluster.create_database())):
        settings = fast_settings(tmp_path / backend, search_backend=backend, database_url=url)
        services = Services(settings)
        try:
            assert isinstance(services.engine, PgSearchEngine) == (backend == "postgresql")
            services.engine.rebuild(docs)
            client = create_app(settings, services).test_client()
            answer = client.get("/api/search?q=jardin+OU+potager+OU+emploi&type=guide_methodologique"
                                "&type=etude_rapport").get_json()
            for hit in answer["results"]:
                hit.pop("snippet")
            answers.append(answer)
        finally:
            services.close()
    assert answers[0]["total"] > 0
    assert answers[1]["total"] == answers[0]["total"] and answers[1]["facets"] == answers[0]["facets"]
    assert {h["id"] for h in answers[1]["results"]} == {h["id"] for h in answers[0]["results"]}
    with pytest.raises(SettingsError):
        fast_settings(tmp_path / "x", search_backend="postgresql", database_url="sqlite:///x.db")
    with pytest.raises(SettingsError):
        fast_settings(tmp_path / "y", search_backend="elastic")
    with pytest.raises(SettingsError):
        fast_settings(tmp_path / "z", search_backend="postgresql", database_url=cluster.url(), node_name="a")


def test_reads_go_to_the_read_database(cluster, corpus):
    """database_read_url: searches and counts read the replica's tables, writes go to the primary."""
    from crpv_watch.search.pg_engine import PgSearchEngine

    _, docs, _ = corpus
    primary, replica = cluster.create_database(), cluster.create_database()
    writer = PgSearchEngine(primary)
    reader = PgSearchEngine(primary, read_database=replica)
    try:
        writer.index(docs[:3])
        assert writer.count() == 3
        assert reader.count() == 0  # the "replica" here is another database that nothing replicates into
        PgSearchEngine(replica).index(docs[:1])
        assert reader.search(SearchRequest(q="")).total == 1
    finally:
        writer.close()
        reader.close()


def test_rebuild_on_several_processes_writes_the_same_index(cluster, corpus, monkeypatch):
    """A rebuild whose batches are analysed by worker processes (search/parallel.py) leaves the same rows and
    words as the one-process rebuild; a document given twice keeps its last version."""
    from sqlalchemy import create_engine

    from crpv_watch.search import pg_engine
    from crpv_watch.search.pg_engine import PgSearchEngine

    _, docs, _ = corpus
    monkeypatch.setattr(pg_engine, "BATCH", 10)  # enough batches for the workers to start
    changed = [*docs, docs[0].__class__(**{**docs[0].__dict__, "title": "Titre remplacé"})]

    def rebuilt(procs):
        url = cluster.create_database()
        engine = PgSearchEngine(url)
        engine.rebuild_procs = procs
        try:
            assert engine.rebuild(changed) == len(changed)
            assert engine.count() == len(docs)
        finally:
            engine.close()
        database = create_engine(url)
        with database.connect() as conn:
            rows = conn.exec_driver_sql("SELECT id, title, terms::text, rank_terms::text, length, themes, published "
                                        "FROM search_documents "
                                        "ORDER BY id").all()
            words = conn.exec_driver_sql("SELECT kind, word, weight FROM search_words ORDER BY kind, word").all()
        database.dispose()
        return rows, words

    parallel_rows, parallel_words = rebuilt(2)
    serial_rows, serial_words = rebuilt(1)
    assert parallel_rows == serial_rows and parallel_words == serial_words
    assert dict((r[0], r[1]) for r in parallel_rows)[docs[0].id] == "Titre remplacé"
