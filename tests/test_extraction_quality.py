"""Extraction quality guard: the project's extractor on a fixed subset of the two gold corpora.

The full measurement (both corpora, trafilatura beside us) is ``bench/extraction.py``; this test re-runs our
extractor on its fixed 30 + 10 pages and fails when the F1 falls below the figure recorded by
``bench/extraction.py --record`` (tests/data/extraction_figures.json) by more than a small margin.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "tests" / "data" / "extraction_figures.json"
# One article page more or less badly extracted moves the 30-page shingle F1 by about 0.02; a real regression
# (a setting flipped, chrome detection eating bodies) costs several points.
MARGIN = 0.02


@pytest.fixture
def bench(shared_dir):
    corpora = shared_dir / "corpora"
    if not (corpora / "article-extraction-benchmark").is_dir() or not (corpora / "trafilatura-eval-subset").is_dir():
        pytest.skip(f"extraction corpora absent under {corpora}")
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import extraction
    finally:
        sys.path.remove(str(ROOT / "bench"))
    extraction.SHARED = shared_dir
    extraction.AEB_DIR = corpora / "article-extraction-benchmark"
    extraction.TEB_DIR = corpora / "trafilatura-eval-subset"
    return extraction


def test_metric_reproduces_the_published_table(bench):
    # Our re-implementation of evaluate.py, on the prediction files shipped with the benchmark.
    scores = bench.check_metric()
    assert scores["trafilatura"] == 0.958
    assert scores["readability"] == 0.922
    assert scores["html-text"] == 0.665


def test_snippet_metric_counts_like_trafilatura_eval():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import extraction
    finally:
        sys.path.remove(str(ROOT / "bench"))
    item = {"with": ["Le  contrat\nde ville", "absent"], "without": ["Mentions légales", "Plan du site"]}
    assert extraction.snippet_counts(item, "Le contrat de ville est signé. Plan du site") == (1, 1, 1, 1)
    assert extraction.snippet_counts(item, None) == (0, 0, 2, 2)
    assert extraction.snippet_score([(1, 1, 1, 1)])["f1"] == 0.5


def test_extraction_f1_does_not_drop(bench):
    recorded = json.loads(FIGURES.read_text(encoding="utf-8"))["subset"]
    assert recorded["aeb_pages"] == bench.GUARD_AEB and recorded["teb_pages"] == bench.GUARD_TEB
    now = bench.guard_figures()
    assert now["aeb_f1"] >= recorded["aeb_f1"] - MARGIN, (now, recorded)
    assert now["teb_f1"] >= recorded["teb_f1"] - MARGIN, (now, recorded)
