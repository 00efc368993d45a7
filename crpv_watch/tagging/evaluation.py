"""Measure the tagger on labelled texts: the project's own set (``tests/data/tagging_eval_*.yaml``, splits
train/test) and the shared corpus of real texts of the network (``../shared/corpora/crpv-real-texts``, splits
dev/test by site, never copied into the repository).

Shared by ``bench/tagging.py`` (prints the figures), ``crpv-watch tags train`` (trains on the learning splits and
reports the held-out ones) and the guard test (fails when a change drops them below the figures recorded in
``tests/data/tagging_figures.json``). Pillars are derived from themes, so they are left out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..items import ExtractedDocument, Tags
from .thesaurus import UNQUALIFIED_DOCTYPE

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = PROJECT_ROOT / "tests" / "data"
FIGURES_PATH = EVAL_DIR / "tagging_figures.json"
SPLITS = ("train", "test")
# The shared real corpus sits beside the repository (../shared resolves from the repository root); the
# environment variable points elsewhere, e.g. from an installed copy.
REAL_CORPUS = Path(os.environ.get("CRPV_WATCH_REAL_CORPUS")
                   or PROJECT_ROOT.parent / "shared" / "corpora" / "crpv-real-texts" / "items.json")
REAL_SPLITS = ("dev", "test")


@dataclass
class Example:
    id: str
    split: str
    doctype: str
    themes: frozenset[str]
    doc: ExtractedDocument
    group: str = ""  # the site: cross-validation folds never split one site's texts
    corpus: str = "own"  # "own" (the project's set), "real" (the shared corpus) or "editors" (corrections)
    weight: float = 1.0  # in training

    @property
    def corpus_split(self) -> str:
        """"real-dev", "own-train"…: the two corpora's splits in one namespace."""
        return f"{self.corpus}-{self.split}"


def load_examples(directory: Path = EVAL_DIR) -> list[Example]:
    examples = []
    n = 0
    for path in sorted(directory.glob("tagging_eval_*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]:
            n += 1
            # A neutral URL when the item has none: the item id names its type and must not leak into the tagger.
            url = item.get("url") or f"https://www.example.org/documents/{n}"
            doc = ExtractedDocument(url=url, canonical_url=url, title=item["title"], text=item.get("text", ""),
                                    summary=item.get("summary", ""),
                                    content_type="application/pdf" if item.get("pdf") else "text/html")
            examples.append(Example(item["id"], item["split"], item["type"], frozenset(item["themes"]), doc,
                                    group=f"own:{item['id']}"))
    return examples


def real_corpus_available(path: Path = REAL_CORPUS) -> bool:
    return path.is_file()


def load_real_examples(path: Path = REAL_CORPUS) -> list[Example]:
    """The shared corpus' items as documents: title, paragraphs as the text, the page's own URL."""
    examples = []
    for item in json.loads(path.read_text(encoding="utf-8")):
        url = item["source_url"]
        is_pdf = url.lower().split("?")[0].endswith(".pdf")
        doc = ExtractedDocument(url=url, canonical_url=url, title=item["title"], text="\n\n".join(item["body"]),
                                content_type="application/pdf" if is_pdf else "text/html")
        examples.append(Example(item["id"], item["split"], item["type"], frozenset(item["themes"]), doc,
                                group=item["host"], corpus="real"))
    return examples


@dataclass
class Scores:
    split: str
    n: int = 0
    per_theme: dict[str, dict[str, float]] = field(default_factory=dict)  # theme → p, r, f1, support
    micro: dict[str, float] = field(default_factory=dict)
    macro_f1: float = 0.0
    type_accuracy: float = 0.0
    type_unqualified: int = 0  # texts left « à qualifier » (counted as wrong in the type accuracy)
    errors: list[dict] = field(default_factory=list)
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)  # (gold type, predicted type) → texts

    def summary(self) -> dict[str, float]:
        return {"n": self.n, "theme_micro_p": round(self.micro["p"], 4), "theme_micro_r": round(self.micro["r"], 4),
                "theme_micro_f1": round(self.micro["f1"], 4), "theme_macro_f1": round(self.macro_f1, 4),
                "type_accuracy": round(self.type_accuracy, 4), "type_unqualified": self.type_unqualified}


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0 if not fn else 0.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1


def score(split: str, gold: Iterable[Example], predicted: dict[str, Tags | tuple[set[str], str]]) -> Scores:
    """Precision, recall and F1 per theme, micro and macro; type accuracy. ``predicted``: id → Tags."""
    out = Scores(split)
    counts: dict[str, list[int]] = {}
    right_type = 0
    for ex in gold:
        pred = predicted[ex.id]
        themes, doctype = (set(pred.theme_ids), pred.doctype) if isinstance(pred, Tags) else pred
        out.n += 1
        right_type += doctype == ex.doctype
        out.type_unqualified += doctype == UNQUALIFIED_DOCTYPE
        out.confusion[(ex.doctype, doctype)] = out.confusion.get((ex.doctype, doctype), 0) + 1
        for theme in ex.themes | themes:
            c = counts.setdefault(theme, [0, 0, 0])
            c[0 if theme in ex.themes and theme in themes else 1 if theme in themes else 2] += 1
        if themes != set(ex.themes) or doctype != ex.doctype:
            out.errors.append({"id": ex.id, "gold_type": ex.doctype, "type": doctype,
                               "missed": sorted(ex.themes - themes), "extra": sorted(themes - ex.themes)})
    tp = sum(c[0] for c in counts.values())
    fp = sum(c[1] for c in counts.values())
    fn = sum(c[2] for c in counts.values())
    p, r, f1 = _prf(tp, fp, fn)
    out.micro = {"p": p, "r": r, "f1": f1}
    for theme, (t, f, n) in sorted(counts.items()):
        tp_, r_, f1_ = _prf(t, f, n)
        out.per_theme[theme] = {"p": tp_, "r": r_, "f1": f1_, "support": t + n}
    # Macro over the themes present in the split (gold or predicted): a theme absent from both says nothing.
    out.macro_f1 = sum(v["f1"] for v in out.per_theme.values()) / len(out.per_theme) if out.per_theme else 0.0
    out.type_accuracy = right_type / out.n if out.n else 0.0
    return out


def evaluate(tag: Callable[[ExtractedDocument], Tags], examples: list[Example] | None = None,
             splits: tuple[str, ...] = SPLITS) -> dict[str, Scores]:
    examples = examples if examples is not None else load_examples()
    predicted = {ex.id: tag(ex.doc) for ex in examples}
    return {split: score(split, [e for e in examples if e.split == split], predicted) for split in splits}


def evaluate_all(tag: Callable[[ExtractedDocument], Tags], real_path: Path = REAL_CORPUS) -> dict[str, Scores]:
    """Figures keyed "own-train", "own-test", and "real-dev", "real-test" when the shared corpus is there."""
    out = {f"own-{k}": v for k, v in evaluate(tag, load_examples()).items()}
    if real_corpus_available(real_path):
        out.update({f"real-{k}": v for k, v in evaluate(tag, load_real_examples(real_path), REAL_SPLITS).items()})
    return out
