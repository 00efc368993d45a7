"""Training the learned part of the tagger (``crpv-watch tags train``), with scikit-learn.

Data: the shared real corpus' dev split (when ``../shared`` is there), the project's own labelled train split and
the editors' corrections kept in the database. Held out, never trained on: the real corpus' test split (other
sites) and the project's own test split. The regularisation and the type confidence floor are chosen by cross-validation grouped by site (a site's texts are never split between training and scoring),
on the training data only. The result is deterministic: same data, same file.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from .evaluation import Example, Scores, score
from .model import LearnedModel, LinearHead, dense_features, term_counts
from .tagger import Tagger
from .thesaurus import UNQUALIFIED_DOCTYPE

C_GRID = (0.3, 1.0, 3.0, 10.0)
# Below 0.15 (about 2.5 times the uniform 1/17) the model knows no more than the rules: « à qualifier ».
TYPE_FLOORS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
TYPE_FLOOR_TOLERANCE = 0.02  # a floor may cost at most this much type accuracy: thin evidence is « à qualifier »
FOLDS = 5
MIN_DF = 2  # a term seen in one training text only teaches nothing about others


@dataclass
class Prepared:
    example: Example
    dense: dict[str, float]
    terms: dict[str, int]


def prepare(tagger: Tagger, examples: list[Example]) -> list[Prepared]:
    out = []
    for ex in examples:
        analysis = tagger.analyse(ex.doc)
        out.append(Prepared(ex, dense_features(ex.doc, analysis), term_counts(ex.doc)))
    return out


def _idf(items: list[Prepared]) -> dict[str, float]:
    df: dict[str, int] = {}
    for item in items:
        for term in item.terms:
            df[term] = df.get(term, 0) + 1
    n = len(items)
    return {t: math.log((1 + n) / (1 + d)) + 1.0 for t, d in sorted(df.items()) if d >= MIN_DF}


def _vectors(items: list[Prepared], idf: dict[str, float]) -> list[dict[str, float]]:
    out = []
    for item in items:
        feats = dict(item.dense)
        terms = {k: (1.0 + math.log(n)) * idf[k] for k, n in item.terms.items() if k in idf}
        norm = math.sqrt(sum(v * v for v in terms.values())) or 1.0
        feats.update({k: v / norm for k, v in terms.items()})
        out.append(feats)
    return out


def fit(items: list[Prepared], c: float, type_floor: float = 0.0) -> LearnedModel:
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    idf = _idf(items)
    vectors = _vectors(items, idf)
    names = sorted({k for v in vectors for k in v})
    index = {k: i for i, k in enumerate(names)}
    rows, cols, vals = [], [], []
    for r, vec in enumerate(vectors):
        for k, v in sorted(vec.items()):
            rows.append(r)
            cols.append(index[k])
            vals.append(v)
    x = csr_matrix((vals, (rows, cols)), shape=(len(items), len(names)))
    # One thread: the problem is small, and BLAS threads fighting over a shared machine made each fit 10× slower.
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")  # convergence notes on tiny folds
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=500, tol=1e-3)
        clf.fit(x, [item.example.doctype for item in items],
                sample_weight=np.asarray([item.example.weight for item in items]))
    return LearnedModel(names, idf, LinearHead([str(t) for t in clf.classes_], clf.coef_, clf.intercept_),
                        type_floor)


def _group_folds(items: list[Prepared], k: int = FOLDS) -> list[list[int]]:
    """Folds of whole sites, balanced by size, deterministic (largest site first, into the smallest fold)."""
    groups: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        groups.setdefault(item.example.group or item.example.id, []).append(i)
    folds: list[list[int]] = [[] for _ in range(k)]
    for _, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        min(folds, key=len).extend(members)
    return folds


@dataclass
class Selection:
    c: float
    type_floor: float
    cv: dict[str, dict[str, dict]] = field(default_factory=dict)  # corpus → {"rules", "combined"} figures
    table: list[tuple] = field(default_factory=list)  # (C, floor, criterion) of every setting tried


def _criterion(scores: dict[str, Scores]) -> float:
    """Type accuracy averaged over the corpora (the real texts and the project's own weigh the same)."""
    return sum(s.type_accuracy for s in scores.values()) / len(scores)


def combine(rule_type: str, probabilities: dict[str, float], floor: float) -> str:
    """The rules' type unless « à qualifier »; then the model's when its probability reaches ``floor``."""
    if rule_type != UNQUALIFIED_DOCTYPE:
        return rule_type
    best, p = max(probabilities.items(), key=lambda kv: (kv[1], kv[0]))
    return best if p >= floor else UNQUALIFIED_DOCTYPE


def cross_validate(tagger: Tagger, items: list[Prepared]) -> Selection:
    folds = _group_folds(items)
    corpora = sorted({item.example.corpus for item in items if item.example.corpus != "editors"})
    by_corpus = {c: [item.example for item in items if item.example.corpus == c] for c in corpora}
    rules = {item.example.id: tagger.tag(item.example.doc) for item in items}
    best: tuple | None = None
    table = []
    for c in C_GRID:
        probs: dict[str, dict[str, float]] = {}
        for fold in folds:
            held = set(fold)
            model = fit([it for i, it in enumerate(items) if i not in held], c)
            for i in fold:
                probs[items[i].example.id] = model.predict(_vectors([items[i]], model.idf)[0])
        per_floor = {}
        for floor in TYPE_FLOORS:
            predicted = {ex_id: (set(rules[ex_id].theme_ids), combine(rules[ex_id].doctype, p, floor))
                         for ex_id, p in probs.items()}
            per_floor[floor] = {corpus: score(corpus, exs, predicted) for corpus, exs in by_corpus.items()}
        best_here = max(_criterion(v) for v in per_floor.values())
        floor = max(f for f, v in per_floor.items() if _criterion(v) >= best_here - TYPE_FLOOR_TOLERANCE)
        key = _criterion(per_floor[floor])
        table.append((c, floor, round(key, 4)))
        if best is None or key > best[0]:
            best = (key, c, floor, per_floor[floor])
    _, c, floor, chosen = best
    cv = {corpus: {"rules": score(corpus, exs, rules).summary(), "combined": chosen[corpus].summary()}
          for corpus, exs in by_corpus.items()}
    return Selection(c, floor, cv, table)


@dataclass
class TrainReport:
    model: LearnedModel
    selection: Selection
    trained_on: dict[str, int]
    held_out: dict[str, dict[str, dict]]  # split → {"rules": summary, "model": summary}

    def beats_rules(self) -> bool:
        """True when rules + model type more held-out texts right than the rules alone (all splits together)."""
        def right(kind: str) -> float:
            return sum(f[kind]["type_accuracy"] * f[kind]["n"] for f in self.held_out.values())
        return bool(self.held_out) and right("model") > right("rules")


def train(vocabulary, training: list[Example], held_out: dict[str, list[Example]],
          now: dt.datetime | None = None) -> TrainReport:
    """Choose the settings by grouped cross-validation, fit on all the training data, score the held-out splits."""
    from .model import CombinedTagger

    tagger = Tagger(vocabulary)
    training = sorted(training, key=lambda ex: ex.id)
    items = prepare(tagger, training)
    selection = cross_validate(tagger, items)
    model = fit(items, selection.c, selection.type_floor)
    combined = CombinedTagger(vocabulary, model)
    figures = {}
    for split, exs in held_out.items():
        if exs:
            figures[split] = {"rules": score(split, exs, {e.id: tagger.tag(e.doc) for e in exs}).summary(),
                              "model": score(split, exs, {e.id: combined.tag(e.doc) for e in exs}).summary()}
    counts: dict[str, int] = {}
    for ex in training:
        counts[ex.corpus_split] = counts.get(ex.corpus_split, 0) + 1
    model.info = {"trained_at": (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC"),
                  "trained_on": counts, "c": selection.c, "type_min_probability": selection.type_floor,
                  "cross_validation": selection.cv, "held_out": figures}
    return TrainReport(model, selection, counts, figures)
