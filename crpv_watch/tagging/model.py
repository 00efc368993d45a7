"""The learned part of the tagger: a linear model of the document type over the rules' own scores, the genre
cues and the text's analysed terms. Rules decide when their evidence suffices; when it is thin (the rules would
say « à qualifier ») the model names the type if it is confident enough, else the type stays « à qualifier ».

Themes stay with the rules: a theme model over the same features, tried as a replacement, a union and a veto,
did not beat them in grouped cross-validation (docs/QUALITY.md), so it is not part of the file.

Built by ``crpv-watch tags train`` (``training.py``, scikit-learn) and stored as plain JSON (weights, feature
names, idf), so that using it needs only numpy and never unpickles anything. Without a model file the tagger runs
on its rules alone and says so (log, ``crpv-watch tags etat``, the editors' review page).

Features of one document (``features``):
- ``theme:<id>``  the rules' theme score, squashed to [0, 1) (s / (1 + s));
- ``type:<id>``   the rules' document-type score, squashed the same way (negative scores count 0);
- ``cue:<name>``  a genre cue of the body's start (``genre.py``), 1 when present;
- ``pdf``         1 for a PDF;
- ``t:<term>`` / ``w:<term>``  analysed terms of the title / of the body's start, tf-idf, l2-normalised.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..items import ExtractedDocument, Tags
from .doctypes import SectionHint
from .matching import doc_terms
from .tagger import Analysis, Tagger
from .thesaurus import UNQUALIFIED_DOCTYPE, Vocabulary

log = logging.getLogger(__name__)

MODEL_FILENAME = "tagging-model.json"
FORMAT_VERSION = 1
BODY_CHARS = 4000  # the start of the text says its genre and its main subjects


def squash(score: float) -> float:
    return score / (1.0 + score) if score > 0 else 0.0


def dense_features(doc: ExtractedDocument, analysis: Analysis) -> dict[str, float]:
    out = {f"theme:{d.theme_id}": squash(d.score) for d in analysis.decisions}
    out.update({f"type:{t}": squash(s.score) for t, s in analysis.type_scores.items() if s.score > 0})
    out.update({f"cue:{c}": 1.0 for c in analysis.cues})
    if doc.content_type == "application/pdf":
        out["pdf"] = 1.0
    return out


def term_counts(doc: ExtractedDocument) -> dict[str, int]:
    counts: dict[str, int] = {}
    for prefix, text in (("t:", doc.title or ""), ("w:", "\n".join(t for t in (doc.summary, doc.text) if t)[:BODY_CHARS])):
        for term in doc_terms(text):
            key = prefix + term
            counts[key] = counts.get(key, 0) + 1
    return counts


def features(doc: ExtractedDocument, analysis: Analysis, idf: dict[str, float]) -> dict[str, float]:
    """The feature dict of one document; terms outside ``idf`` (the training vocabulary) are left out."""
    out = dense_features(doc, analysis)
    terms = {k: (1.0 + math.log(n)) * idf[k] for k, n in term_counts(doc).items() if k in idf}
    norm = math.sqrt(sum(v * v for v in terms.values())) or 1.0
    out.update({k: v / norm for k, v in terms.items()})
    return out


@dataclass
class LinearHead:
    """One linear layer: ``classes`` rows of weights over the model's features."""
    classes: list[str]
    coef: np.ndarray  # classes × features
    intercept: np.ndarray

    def scores(self, index: list[int], values: list[float]) -> np.ndarray:
        return self.intercept + (self.coef[:, index] @ np.asarray(values) if index else 0.0)

    def to_json(self) -> dict:
        return {"classes": self.classes, "intercept": [round(float(v), 6) for v in self.intercept],
                "coef": [[round(float(v), 6) for v in row] for row in self.coef]}

    @classmethod
    def from_json(cls, data: dict) -> LinearHead:
        return cls(list(data["classes"]), np.asarray(data["coef"], dtype=float),
                   np.asarray(data["intercept"], dtype=float))


@dataclass
class LearnedModel:
    feature_names: list[str]
    idf: dict[str, float]
    types: LinearHead  # multinomial: a softmax over types
    type_min_probability: float  # below it the type stays « à qualifier »
    info: dict = field(default_factory=dict)  # training data, parameters, cross-validation and held-out figures

    def __post_init__(self) -> None:
        self._index = {name: i for i, name in enumerate(self.feature_names)}

    def predict(self, feats: dict[str, float]) -> dict[str, float]:
        """Type → probability."""
        pairs = [(self._index[k], v) for k, v in feats.items() if k in self._index]
        scores = self.types.scores([i for i, _ in pairs], [v for _, v in pairs])
        p = np.exp(scores - scores.max())
        p /= p.sum()
        return dict(zip(self.types.classes, p.tolist(), strict=True))

    def to_json(self) -> dict:
        return {"format": FORMAT_VERSION, "feature_names": self.feature_names,
                "idf": {k: round(v, 6) for k, v in self.idf.items()}, "types": self.types.to_json(),
                "type_min_probability": self.type_min_probability, "info": self.info}

    @classmethod
    def from_json(cls, data: dict) -> LearnedModel:
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"unknown model format {data.get('format')!r}")
        return cls(list(data["feature_names"]), dict(data["idf"]), LinearHead.from_json(data["types"]),
                   float(data["type_min_probability"]), dict(data.get("info", {})))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True), encoding="utf-8")
        tmp.replace(path)  # a running service never reads half a file

    @classmethod
    def load(cls, path: Path) -> LearnedModel:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


class CombinedTagger(Tagger):
    """Rules first (their scores and explanations), then the model decides from them and the text."""

    def __init__(self, vocabulary: Vocabulary, model: LearnedModel, source: str = ""):
        super().__init__(vocabulary)
        self.model = model
        self.source = source

    def decide_type(self, doc: ExtractedDocument, analysis: Analysis) -> tuple[str, list[dict]]:
        """The rules' type when their evidence suffices; else the model's when it is confident; else « à qualifier »."""
        doctype, why = self.doctypes.decide(analysis.type_scores)
        if doctype != UNQUALIFIED_DOCTYPE:
            return doctype, why
        probabilities = self.model.predict(features(doc, analysis, self.model.idf))
        best, p = max(probabilities.items(), key=lambda kv: (kv[1], kv[0]))
        if p < self.model.type_min_probability or best not in self.vocabulary.doctypes:
            return UNQUALIFIED_DOCTYPE, [{**why[0], "model": best, "probability": round(p, 3)}]
        rule_why = analysis.type_scores[best].why if best in analysis.type_scores else []
        return best, [dict(e) for e in rule_why] + [{"signal": f"modèle appris ({p:.0%})", "field": "model",
                                                     "count": 1, "score": round(p, 3)}]

    def tag(self, doc: ExtractedDocument, default_themes=(), sections: tuple[SectionHint, ...] = ()) -> Tags:
        analysis = self.analyse(doc, default_themes, sections)
        return self.tags_from(doc, analysis, self.select(analysis.decisions), *self.decide_type(doc, analysis))

    def describe(self) -> str:
        trained = self.model.info.get("trained_at", "?")
        return f"règles + modèle appris des types ({self.source or 'en mémoire'}, entraîné le {trained})"


def model_path_for(settings) -> Path:
    return Path(settings.data_dir) / MODEL_FILENAME


def load_tagger(vocabulary: Vocabulary, model_path: Path | None = None, use_model: bool = True) -> Tagger:
    """The combined tagger when a model file is there and readable, else the rules alone (logged either way)."""
    if use_model and model_path is None:
        from ..settings import Settings

        try:
            model_path = model_path_for(Settings.load())
        except Exception:  # a broken configuration: the rules still work
            model_path = None
    if not use_model or model_path is None or not model_path.is_file():
        log.info("tagging: rules only (no learned model at %s; build one with `crpv-watch tags train`)",
                 model_path)
        return Tagger(vocabulary)
    try:
        model = LearnedModel.load(model_path)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("tagging: rules only, the learned model %s is unreadable (%s)", model_path, exc)
        return Tagger(vocabulary)
    log.info("tagging: rules + learned model %s", model_path)
    return CombinedTagger(vocabulary, model, str(model_path))
