"""Classifier trial: does a learned model (TF-IDF + linear) add to the keyword rules on the evaluation set?

    .venv/bin/python bench/tagging_classifier.py          # needs scikit-learn (not a project dependency)

Features: TF-IDF of the project's French analysis terms (``analyze_terms``: the index's stems), unigrams and
bigrams, the title counted twice. Two linear models: logistic regression (a theme suggested when its probability
reaches a threshold) and linear SVM (when its decision value does); themes one-vs-rest, type multi-class.

Protocol: the model family, the regularisation C and the threshold are chosen by 5-fold cross-validation on the
train split only (best rules+classifier micro-F1), then the model is trained on the whole train split and measured
once on the test split — as the rule tagger, the classifier alone, and rules ∪ classifier (the classifier's
suggestions added to the rules' themes; its type used only where the rules fell back to a default type). The
decision is in docs/QUALITY.md ("Classifier trial").
"""

from __future__ import annotations

import sys
import warnings
from functools import cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crpv_watch.tagging.evaluation import Example, load_examples, score  # noqa: E402
from crpv_watch.tagging.tagger import Tagger  # noqa: E402
from crpv_watch.tagging.thesaurus import Vocabulary  # noqa: E402
from crpv_watch.text.analysis import analyze_terms  # noqa: E402

C_GRID = {"logreg": (1.0, 10.0, 100.0), "svm": (0.1, 1.0, 10.0)}
THRESHOLDS = {"logreg": (0.2, 0.3, 0.4, 0.5, 0.6), "svm": (-0.5, -0.25, 0.0, 0.25)}
FOLDS = 5
FALLBACK_FIELDS = {"fallback", "content_type"}  # rule types that are defaults, not evidence


@cache
def _features(title: str, summary: str, text: str) -> tuple[str, ...]:
    terms = analyze_terms(title) * 2 + analyze_terms(summary) + analyze_terms(text)
    return tuple(terms + [f"{a}_{b}" for a, b in zip(terms, terms[1:], strict=False)])


def features(ex: Example) -> list[str]:
    return list(_features(ex.doc.title or "", ex.doc.summary or "", ex.doc.text or ""))


def fit(train: list[Example], themes: list[str], family: str, c: float):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer
    from sklearn.svm import LinearSVC

    def linear():
        if family == "svm":
            return LinearSVC(C=c, class_weight="balanced")
        return LogisticRegression(C=c, class_weight="balanced", max_iter=2000)

    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True)
    x = vectorizer.fit_transform(train)
    y = MultiLabelBinarizer(classes=themes).fit_transform([sorted(ex.themes) for ex in train])
    keep = [j for j in range(y.shape[1]) if 0 < y[:, j].sum() < y.shape[0]]  # a theme needs positives to learn
    theme_model = OneVsRestClassifier(linear()).fit(x, y[:, keep])
    type_model = linear().fit(x, [ex.doctype for ex in train])
    return family, vectorizer, theme_model, [themes[j] for j in keep], type_model


def predict(model, examples: list[Example], threshold: float) -> dict[str, tuple[set[str], str]]:
    family, vectorizer, theme_model, kept, type_model = model
    x = vectorizer.transform(examples)
    values = theme_model.decision_function(x) if family == "svm" else theme_model.predict_proba(x)
    types = type_model.predict(x)
    return {ex.id: ({kept[j] for j in range(len(kept)) if values[i, j] >= threshold}, str(types[i]))
            for i, ex in enumerate(examples)}


def combine(rules: dict, learned: dict) -> dict[str, tuple[set[str], str]]:
    """Rules' themes plus the classifier's; the classifier's type only where the rules had no evidence."""
    out = {}
    for ex_id, (themes, doctype, fell_back) in rules.items():
        l_themes, l_type = learned[ex_id]
        out[ex_id] = (themes | l_themes, l_type if fell_back else doctype)
    return out


def main() -> int:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("scikit-learn is not installed (not a project dependency): .venv/bin/pip install scikit-learn")
        return 0
    warnings.filterwarnings("ignore")  # constant labels in small folds, convergence notes
    vocabulary = Vocabulary.load()
    tagger = Tagger(vocabulary)
    themes = sorted(vocabulary.themes)
    examples = load_examples()
    train = [ex for ex in examples if ex.split == "train"]
    test = [ex for ex in examples if ex.split == "test"]
    rules = {}
    for ex in examples:
        tags = tagger.tag(ex.doc)
        fell_back = bool(tags.doctype_explanation) and tags.doctype_explanation[0]["field"] in FALLBACK_FIELDS
        rules[ex.id] = (set(tags.theme_ids), tags.doctype, fell_back)
    train_rules = {e.id: rules[e.id] for e in train}

    # Model selection by cross-validation on the train split only: the test split is measured once, at the end.
    folds = [train[k::FOLDS] for k in range(FOLDS)]
    best = None
    print("5-fold CV on train: theme micro-F1 (classifier alone, rules + classifier), type accuracy (same)")
    for family, grid in C_GRID.items():
        for c in grid:
            predicted: dict[float, dict] = {t: {} for t in THRESHOLDS[family]}
            for k in range(FOLDS):
                model = fit([ex for j, f in enumerate(folds) if j != k for ex in f], themes, family, c)
                for t in THRESHOLDS[family]:
                    predicted[t].update(predict(model, folds[k], t))
            for t in THRESHOLDS[family]:
                alone = score("cv", train, predicted[t])
                both = score("cv", train, combine(train_rules, predicted[t]))
                print(f"  {family:6} C={c:<5g} thr={t:<5g} | F1 {alone.micro['f1']:.3f} {both.micro['f1']:.3f} | "
                      f"type {alone.type_accuracy:.3f} {both.type_accuracy:.3f}")
                key = (both.micro["f1"], both.macro_f1)
                if best is None or key > best[0]:
                    best = (key, family, c, t)
    _, family, c, t = best
    rules_cv = score("cv", train, {e.id: rules[e.id][:2] for e in train})
    print(f"  rules alone: F1 {rules_cv.micro['f1']:.3f} | type {rules_cv.type_accuracy:.3f}")
    print(f"\nchosen on train CV: {family}, C={c:g}, threshold={t:g}\n")

    model = fit(train, themes, family, c)
    print("| split | tagger | theme micro-P | theme micro-R | theme micro-F1 | theme macro-F1 | type accuracy |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for split, items in (("train", train), ("test", test)):
        learned = predict(model, items, t)
        for name, pred in (("rules", {e.id: rules[e.id][:2] for e in items}), ("classifier", learned),
                           ("rules + classifier", combine({e.id: rules[e.id] for e in items}, learned))):
            s = score(split, items, pred).summary()
            fitted = " (classifier fitted on it)" if split == "train" and name != "rules" else ""
            print(f"| {split}{fitted} | {name} | {s['theme_micro_p']:.3f} | {s['theme_micro_r']:.3f} | "
                  f"{s['theme_micro_f1']:.3f} | {s['theme_macro_f1']:.3f} | {s['type_accuracy']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
