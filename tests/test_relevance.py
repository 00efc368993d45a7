"""Relevance floors: nDCG@10 and MRR@10 must not drop below the recorded figures, on the demo judged set
(tests/data/relevance/baseline.json) and on the shared real texts of the network (baseline_real.json, where the
engine must also stay above the OR-ed FTS5 baseline recorded in the same bench run).

The judgments were written before tuning (judgments.yaml; real_queries.yaml before any search ran on the real
corpus); after an improvement, record the new figures with ``bench/relevance.py --write-baseline``
(docs/QUALITY.md, "Search relevance").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crpv_watch.search import evaluation

DATA = Path(__file__).parent / "data" / "relevance"
REAL_CORPUS = Path(__file__).parent.parent / evaluation.REAL_CORPUS
TOLERANCE = 1e-4  # rounding of the recorded figures


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    engine = evaluation.build_engine(tmp_path_factory.mktemp("relevance") / "index", DATA)
    try:
        yield evaluation.evaluate(engine, evaluation.judgments(DATA / "judgments.yaml"))
    finally:
        engine.close()


def real_cases():
    return evaluation.real_queries(DATA / "real_queries.yaml", DATA / "real_judgments.yaml")


@pytest.fixture(scope="module")
def real_result(tmp_path_factory):
    if not REAL_CORPUS.exists():
        pytest.skip(f"{REAL_CORPUS} is absent (the shared corpora are not on this machine): real-text relevance "
                    "not checked")
    cases = real_cases()
    engine = evaluation.build_real_engine(tmp_path_factory.mktemp("real-relevance") / "index", REAL_CORPUS)
    try:
        rankings = {c.q: evaluation.ranked_ids(engine, c.q) for c in cases}
    finally:
        engine.close()
    return evaluation.score_rankings(rankings, cases)


def test_judged_set_is_large_enough():
    cases = evaluation.judgments(DATA / "judgments.yaml")
    assert len(cases) >= 40
    assert len(evaluation.distractors(DATA / "distractors.yaml")) >= 15
    assert all(0 <= g <= 3 for c in cases for g in c.grades.values())


def test_relevance_does_not_drop(result):
    baseline = json.loads((DATA / "baseline.json").read_text(encoding="utf-8"))
    assert result["queries"] == baseline["queries"]
    assert result["ndcg@10"] >= baseline["ndcg@10"] - TOLERANCE, result["ndcg@10"]
    assert result["mrr@10"] >= baseline["mrr@10"] - TOLERANCE, result["mrr@10"]


def test_real_queries_are_judged():
    cases = real_cases()
    assert len(cases) >= 30 and {c.split for c in cases} == {"dev", "test"}
    assert all(c.grades and max(c.grades.values()) >= 2 for c in cases), "every query needs a relevant document"
    assert all(0 <= g <= 3 for c in cases for g in c.grades.values())


def test_real_text_relevance_does_not_drop(real_result):
    recorded = json.loads((DATA / "baseline_real.json").read_text(encoding="utf-8"))
    ours, fts5 = recorded["ours"], recorded["fts5"]
    assert real_result["queries"] == ours["queries"]
    for split in ("all", "dev", "test"):
        for metric in ("ndcg@10", "mrr@10"):
            assert real_result[split][metric] >= ours[split][metric] - TOLERANCE, (split, metric, real_result[split])
    assert real_result["all"]["ndcg@10"] >= 0.85
    assert real_result["all"]["ndcg@10"] > fts5["all"]["ndcg@10"]  # above the plain OR-ed BM25 of the same run


def test_metrics():
    grades = {"a": 3, "b": 1}
    assert evaluation.ndcg(["a", "b"], grades) == pytest.approx(1.0)
    assert evaluation.ndcg(["x", "a"], grades) < 1.0
    assert evaluation.reciprocal_rank(["x", "b", "a"], grades) == pytest.approx(1 / 3)
