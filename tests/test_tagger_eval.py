"""The evaluation guard: tagging quality on tests/data/tagging_eval_*.yaml must not drop below the recorded figures.

After an improvement, record the new floor with ``.venv/bin/python bench/tagging.py --record`` and report the
figures in docs/QUALITY.md. The test split is never used to tune keywords or thresholds.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from crpv_watch.tagging.evaluation import FIGURES_PATH, evaluate, load_examples
from crpv_watch.tagging.tagger import Tagger
from crpv_watch.tagging.thesaurus import Vocabulary

TOLERANCE = 1e-6  # the figures are deterministic: any drop is a regression


@pytest.fixture(scope="module")
def results():
    return evaluate(Tagger(Vocabulary.load()).tag)


def test_the_set_covers_every_theme_and_type():
    vocabulary = Vocabulary.load()
    examples = load_examples()
    assert len(examples) >= 100
    assert len({e.id for e in examples}) == len(examples)
    assert {e.doctype for e in examples} == set(vocabulary.doctypes)
    assert {t for e in examples for t in e.themes} == set(vocabulary.themes)
    assert all(t in vocabulary.themes for e in examples for t in e.themes)  # pillars are derived: not labelled
    splits = Counter(e.split for e in examples)
    assert set(splits) == {"train", "test"} and splits["test"] >= len(examples) // 3


@pytest.mark.parametrize("split", ["train", "test"])
def test_figures_do_not_drop(results, split):
    recorded = json.loads(FIGURES_PATH.read_text(encoding="utf-8"))[split]
    now = results[split].summary()
    for key in ("theme_micro_f1", "theme_macro_f1", "type_accuracy"):
        assert now[key] >= recorded[key] - TOLERANCE, f"{split} {key}: {now[key]} < recorded {recorded[key]}"
