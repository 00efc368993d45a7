"""Measure the tagger on the labelled evaluation set of ``tests/data/tagging_eval_*.yaml``.

Shared by ``bench/tagging.py`` (prints the figures) and the guard test (fails when a change drops them below the
figures recorded in ``tests/data/tagging_figures.json``). Pillars are derived from themes, so they are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..items import ExtractedDocument, Tags

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = PROJECT_ROOT / "tests" / "data"
FIGURES_PATH = EVAL_DIR / "tagging_figures.json"
SPLITS = ("train", "test")


@dataclass
class Example:
    id: str
    split: str
    doctype: str
    themes: frozenset[str]
    doc: ExtractedDocument


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
            examples.append(Example(item["id"], item["split"], item["type"], frozenset(item["themes"]), doc))
    return examples


@dataclass
class Scores:
    split: str
    n: int = 0
    per_theme: dict[str, dict[str, float]] = field(default_factory=dict)  # theme → p, r, f1, support
    micro: dict[str, float] = field(default_factory=dict)
    macro_f1: float = 0.0
    type_accuracy: float = 0.0
    errors: list[dict] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        return {"n": self.n, "theme_micro_p": round(self.micro["p"], 4), "theme_micro_r": round(self.micro["r"], 4),
                "theme_micro_f1": round(self.micro["f1"], 4), "theme_macro_f1": round(self.macro_f1, 4),
                "type_accuracy": round(self.type_accuracy, 4)}


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


def evaluate(tag: Callable[[ExtractedDocument], Tags], examples: list[Example] | None = None) -> dict[str, Scores]:
    examples = examples if examples is not None else load_examples()
    predicted = {ex.id: tag(ex.doc) for ex in examples}
    return {split: score(split, [e for e in examples if e.split == split], predicted) for split in SPLITS}
