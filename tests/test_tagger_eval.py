"""The evaluation guard: tagging quality must not drop below the figures recorded in tests/data/tagging_figures.json
— on the project's own labelled set (tests/data/tagging_eval_*.yaml) and on the shared corpus of real texts of the
network (../shared/corpora/crpv-real-texts, skipped with a message when absent), for the rules alone and for rules
+ a model trained as `crpv-watch tags train` trains it.

After an improvement, record the new floor with ``.venv/bin/python bench/tagging.py --record`` and report the
figures in docs/QUALITY.md. Test splits are never used to tune keywords, rules or thresholds.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from crpv_watch.tagging.evaluation import (
    FIGURES_PATH,
    REAL_CORPUS,
    evaluate_all,
    load_examples,
    load_real_examples,
    real_corpus_available,
)
from crpv_watch.tagging.tagger import Tagger
from crpv_watch.tagging.thesaurus import Vocabulary

TOLERANCE = 1e-6  # the figures are deterministic: any drop is a regression
KEYS = ("theme_micro_f1", "theme_macro_f1", "type_accuracy")
REAL_MISSING = f"the shared real corpus is absent ({REAL_CORPUS}): real-text figures not checked"


@pytest.fixture(scope="module")
def recorded():
    return json.loads(FIGURES_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def results():
    return evaluate_all(Tagger(Vocabulary.load()).tag)


def test_the_set_covers_every_theme_and_type():
    vocabulary = Vocabulary.load()
    examples = load_examples()
    assert len(examples) >= 100
    assert len({e.id for e in examples}) == len(examples)
    assert {e.doctype for e in examples} == set(vocabulary.doctypes) - {"a_qualifier"}
    assert {t for e in examples for t in e.themes} == set(vocabulary.themes)
    assert all(t in vocabulary.themes for e in examples for t in e.themes)  # pillars are derived: not labelled
    splits = Counter(e.split for e in examples)
    assert set(splits) == {"train", "test"} and splits["test"] >= len(examples) // 3


def test_the_real_corpus_is_split_by_site():
    if not real_corpus_available():
        pytest.skip(REAL_MISSING)
    examples = load_real_examples()
    vocabulary = Vocabulary.load()
    assert {e.doctype for e in examples} <= set(vocabulary.doctypes)
    assert all(t in vocabulary.themes for e in examples for t in e.themes)
    dev_sites = {e.group for e in examples if e.split == "dev"}
    assert dev_sites and not dev_sites & {e.group for e in examples if e.split == "test"}


@pytest.mark.parametrize("split", ["own-train", "own-test", "real-dev", "real-test"])
def test_rules_figures_do_not_drop(results, recorded, split):
    if split.startswith("real") and not real_corpus_available():
        pytest.skip(REAL_MISSING)
    now = results[split].summary()
    floor = recorded["rules"][split]
    for key in KEYS:
        assert now[key] >= floor[key] - TOLERANCE, f"{split} {key}: {now[key]} < recorded {floor[key]}"


def test_rules_and_model_figures_on_the_held_out_splits(recorded):
    """Trains as `tags train` does (project set + real dev) and checks the held-out figures, and that the model
    beats the rules alone there (else it would not be shipped)."""
    if not real_corpus_available():
        pytest.skip(REAL_MISSING + " (the model's floor was recorded with it)")
    from crpv_watch.tagging.training import train

    vocabulary = Vocabulary.load()
    own, real = load_examples(), load_real_examples()
    training = [e for e in own if e.split == "train"] + [e for e in real if e.split == "dev"]
    held_out = {"own-test": [e for e in own if e.split == "test"], "real-test": [e for e in real if e.split == "test"]}
    report = train(vocabulary, training, held_out)
    assert report.beats_rules()
    for split, floor in recorded["model"].items():
        now = report.held_out[split]["model"]
        for key in KEYS:
            assert now[key] >= floor[key] - TOLERANCE, f"model {split} {key}: {now[key]} < recorded {floor[key]}"
