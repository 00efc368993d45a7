"""Relevance floor: nDCG@10 and MRR@10 on the judged set must not drop below tests/data/relevance/baseline.json.

The judgments were written before tuning (tests/data/relevance/judgments.yaml); after an improvement, record the
new figures with ``bench/relevance.py --write-baseline`` (docs/QUALITY.md, "Search relevance").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crpv_watch.search import evaluation

DATA = Path(__file__).parent / "data" / "relevance"
TOLERANCE = 1e-4  # rounding of the recorded figures


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    engine = evaluation.build_engine(tmp_path_factory.mktemp("relevance") / "index", DATA)
    try:
        yield evaluation.evaluate(engine, evaluation.judgments(DATA / "judgments.yaml"))
    finally:
        engine.close()


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


def test_metrics():
    grades = {"a": 3, "b": 1}
    assert evaluation.ndcg(["a", "b"], grades) == pytest.approx(1.0)
    assert evaluation.ndcg(["x", "a"], grades) < 1.0
    assert evaluation.reciprocal_rank(["x", "b", "a"], grades) == pytest.approx(1 / 3)
