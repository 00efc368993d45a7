"""A rebuild on several processes (one segment each) answers exactly as a one-process, one-segment rebuild.

Same documents under the same document numbers, and for every request the same hits in the same order with the
same scores (to float rounding), totals, facet counts, notices and suggestions: the judged queries, prefix and
fuzzy words (which Whoosh expands segment by segment), phrases, operators, facet selections and date orders.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import signal
from pathlib import Path

import pytest

from crpv_watch.search import evaluation
from crpv_watch.search.engine import SearchEngine
from crpv_watch.search.segments import DocumentParts, RebuildWorkerDied
from crpv_watch.search.synonyms import Synonyms
from crpv_watch.search.types import SearchRequest

DATA = Path(__file__).parent / "data" / "relevance"
EXTRA_QUERIES = [
    "renouv*", "habit*", "jeun*", "discrimminations", "entreprenariat", "insertin~", "quartier~2", "mobilte",
    '"politique de la ville"', '"conseil citoyen"', "jardin -partage", "emploi OR insertion", "tiers-lieu",
    "été", "l'emploi mobilité", "title:jardin", "NPNRU", "santé mentale jeunes", "xyzzyq",
]


def documents():
    synonyms = Synonyms.from_themes_file()
    return evaluation.demo_documents(synonyms) + evaluation.distractors(DATA / "distractors.yaml"), synonyms


def engine_at(path: Path, docs, synonyms) -> SearchEngine:
    texts = {d.id: d.text for d in docs}
    engine = SearchEngine(path, text_for=lambda ids: {i: texts[i] for i in ids if i in texts}, synonyms=synonyms)
    engine.reference_date = evaluation.REFERENCE_DATE
    return engine


def requests() -> list[SearchRequest]:
    queries = [c.q for c in evaluation.judgments(DATA / "judgments.yaml")] + EXTRA_QUERIES
    reqs = [SearchRequest(q=q, per_page=20) for q in queries]
    reqs += [SearchRequest(q=q, per_page=20, sort=sort) for q in ("quartier", "") for sort in ("newest", "oldest")]
    reqs += [SearchRequest(q=q, theme=["emploi-insertion"]) for q in ("", "jeunes", "renouv*")]
    reqs += [SearchRequest(q="quartier", type=["etude"], page=2, per_page=5), SearchRequest()]
    return reqs


def answer(engine: SearchEngine, req: SearchRequest):
    response = engine.search(req)
    return {
        "ids": [h.id for h in response.results], "scores": [h.score for h in response.results],
        "total": response.total, "complete": response.complete, "notice": response.notice,
        "suggestion": response.suggestion,
        "facets": {name: [(v.value, v.count) for v in values] for name, values in response.facets.items()},
    }


def assert_same_answers(one: SearchEngine, other: SearchEngine) -> int:
    compared = 0
    for req in requests():
        expected, got = answer(one, req), answer(other, req)
        scores, expected_scores = got.pop("scores"), expected.pop("scores")
        assert got == expected, req
        assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(scores, expected_scores,
                                                                                   strict=True)), req
        compared += len(scores)
    return compared


def stored_ids(engine: SearchEngine) -> list[str]:
    with engine._read_lock:
        searcher = engine._current()
        return [searcher.stored_fields(n)["id"] for n in range(searcher.doc_count_all())]


def segment_count(engine: SearchEngine) -> int:
    with engine._read_lock:
        return len(engine._current().reader().leaf_readers())


@pytest.fixture(scope="module")
def serial_and_parallel(tmp_path_factory):
    docs, synonyms = documents()
    base = tmp_path_factory.mktemp("rebuilds")
    serial, parallel = engine_at(base / "serial", docs, synonyms), engine_at(base / "parallel", docs, synonyms)
    serial.rebuild(docs)
    third = len(docs) // 3
    done: list[int] = []
    count = parallel.rebuild(DocumentParts([docs[:third], docs[third:2 * third], docs[2 * third:]]),
                             progress=done.append)
    assert count == len({d.id for d in docs}) and done[-1] == count
    yield serial, parallel, docs, synonyms
    serial.close()
    parallel.close()


def test_parallel_rebuild_numbers_documents_as_one_process(serial_and_parallel):
    serial, parallel, _docs, _ = serial_and_parallel
    assert segment_count(serial) == 1 and segment_count(parallel) == 3
    assert stored_ids(parallel) == stored_ids(serial)


def test_parallel_rebuild_answers_as_one_process(serial_and_parallel):
    serial, parallel, _docs, _ = serial_and_parallel
    assert assert_same_answers(serial, parallel) > 500


def test_prefix_and_fuzzy_words_score_alike_on_incrementally_added_segments(serial_and_parallel, tmp_path):
    """Documents indexed after a rebuild land in a segment of their own; a prefix word used to score a document
    by the words of its segment only (15.45 on one segment, 8.23 on two in the 50k bench)."""
    serial, _parallel, docs, synonyms = serial_and_parallel
    grown = engine_at(tmp_path / "grown", docs, synonyms)
    try:
        half = len(docs) // 2
        grown.rebuild(docs[:half])
        grown.index(docs[half:])
        assert segment_count(grown) == 2
        for q in ("renouv*", "habit*", "quartier~2", "discrimminations", "insertin~"):
            expected, got = answer(serial, SearchRequest(q=q, per_page=30)), answer(grown, SearchRequest(q=q,
                                                                                                       per_page=30))
            assert got["total"] == expected["total"], q
            assert dict(zip(got["ids"], got["scores"], strict=True)) == pytest.approx(
                dict(zip(expected["ids"], expected["scores"], strict=True)), rel=1e-9), q
    finally:
        grown.close()


def test_a_failing_part_leaves_the_live_index_untouched(serial_and_parallel, tmp_path):
    _serial, _parallel, docs, synonyms = serial_and_parallel
    engine = engine_at(tmp_path / "failing", docs, synonyms)
    try:
        engine.rebuild(docs[:10])
        with pytest.raises(Exception):  # noqa: B017 - whatever the worker raised, re-raised here
            engine.rebuild(DocumentParts([docs[:5], [None]]))
        assert engine.count() == 10
        assert sorted(p.name for p in (tmp_path / "failing").iterdir() if p.name.startswith("v-")) == \
            [engine._generation]
    finally:
        engine.close()


class KilledMidway:
    """A part whose worker process is killed, as by the kernel's out-of-memory killer, after two documents."""

    def __init__(self, docs):
        self.docs = docs

    def __iter__(self):
        yield from self.docs[:2]
        os.kill(os.getpid(), signal.SIGKILL)


def test_a_killed_worker_leaves_the_old_index_served_and_says_so_in_french(serial_and_parallel, tmp_path):
    from crpv_watch.indexing.rebuild import failure_in_french
    from crpv_watch.store.failures import describe

    _serial, _parallel, docs, synonyms = serial_and_parallel
    engine = engine_at(tmp_path / "killed", docs, synonyms)
    try:
        engine.rebuild(docs[:10])
        live, before = engine._generation, answer(engine, SearchRequest(q="quartier"))
        with pytest.raises(RebuildWorkerDied) as killed:
            engine.rebuild(DocumentParts([docs[:20], KilledMidway(docs[20:40]), docs[40:60]]))
        assert engine._generation == live and engine.count() == 10
        assert answer(engine, SearchRequest(q="quartier")) == before
        assert [p.name for p in (tmp_path / "killed").iterdir() if p.name.startswith("v-")] == [live]
        french = describe(killed.value)
        assert french.startswith("un processus de la reconstruction de l'index s'est arrêté brutalement")
        assert "l'index en service reste l'ancien" in french and failure_in_french(killed.value).startswith(french)
        assert engine.rebuild(DocumentParts([docs[:5], docs[5:12]])) == 12  # nothing left locked
    finally:
        engine.close()


def store_requests(services) -> list[SearchRequest]:
    """Requests over build_services' corpus that read every field a worker fills from its own store range."""
    from test_web_search import HIDDEN_TITLE

    pillar = services.vocabulary.pillar_of("participation_habitants")
    words = ["jardin", "jardin partagé", "renouv*", "quartier", "habitants", "quartier~2", "masqué", HIDDEN_TITLE,
             '"jardin partagé"', "jeunes OR santé", ""]
    reqs = [SearchRequest(q=q, per_page=20) for q in words]
    reqs += [SearchRequest(q=q, per_page=20, sort=sort) for q in ("", "quartier") for sort in ("newest", "oldest")]
    reqs += [SearchRequest(region=["11"], per_page=20), SearchRequest(q="habitants", region=["84", "32"]),
             SearchRequest(pillar=[pillar], per_page=20), SearchRequest(q="quartier", pillar=[pillar]),
             SearchRequest(department=["93"]), SearchRequest(centre=["labo-cites"], per_page=20),
             SearchRequest(theme=["jeunesse"], sort="newest"), SearchRequest(year=["2023", "2024"], per_page=20),
             SearchRequest(q="quartier", date_from=dt.date(2021, 1, 1), date_to=dt.date(2023, 6, 30)),
             SearchRequest(q="quartier", page=2, per_page=3)]
    return reqs


def segment_sizes(engine: SearchEngine) -> list[int]:
    with engine._read_lock:
        return [leaf.doc_count_all() for leaf, _ in engine._current().reader().leaf_readers()]


def test_the_indexer_rebuilds_the_store_in_ranges_read_by_the_workers(tmp_path, monkeypatch):
    """Through the store and the app's own wiring: each worker reads its own id range (the hidden document left
    out, regions, pillars, departments and dates as in one process), and the index answers as the one-process
    rebuild, scores included. A lost or doubled range changes the documents; a wrong count of documents in the
    scoring changes the scores."""
    from test_web_search import CORPUS, build_services, doc_id

    from crpv_watch.indexing.writer import Indexer
    from crpv_watch.search import segments

    services = build_services(tmp_path)
    try:
        monkeypatch.setattr(segments, "PARALLEL_MIN_DOCS", 1_000_000)
        assert Indexer(services).rebuild() == len(CORPUS)
        assert segment_sizes(services.engine) == [len(CORPUS)]
        serial_ids = stored_ids(services.engine)
        assert sorted(serial_ids) == sorted(doc_id(n) for n in range(len(CORPUS)))  # the hidden one left out
        reqs = store_requests(services)
        serial = [answer(services.engine, req) for req in reqs]
        everything = serial[reqs.index(SearchRequest(q="", per_page=20))]
        assert everything["total"] == len(CORPUS)
        assert {v for v, _ in everything["facets"]["region"]} == {"11", "84", "32", "44"}
        assert everything["facets"]["pillar"] and everything["facets"]["department"]

        monkeypatch.setattr(segments, "PARALLEL_MIN_DOCS", 2)
        services.engine.rebuild_parts = 3
        done: list[int] = []
        assert Indexer(services).rebuild(progress=done.append) == len(CORPUS) and done[-1] == len(CORPUS)
        assert segment_sizes(services.engine) == [3, 3, 4]  # three workers, consecutive store ranges
        assert stored_ids(services.engine) == serial_ids
        compared = 0
        for req, expected in zip(reqs, serial, strict=True):
            got = answer(services.engine, req)
            assert got["scores"] == pytest.approx(expected["scores"], rel=1e-9), req
            assert {k: v for k, v in got.items() if k != "scores"} == \
                {k: v for k, v in expected.items() if k != "scores"}, req
            compared += len(got["ids"])
        assert compared > 60
    finally:
        services.close()
