"""Tagging quality on the labelled evaluation set: per-theme P/R/F1, micro/macro, type accuracy, per split.

    .venv/bin/python bench/tagging.py            # figures for train and test
    .venv/bin/python bench/tagging.py --errors   # also every mis-tagged item (train split only: test stays blind)
    .venv/bin/python bench/tagging.py --record   # write tests/data/tagging_figures.json (the guard test's floor)
    .venv/bin/python bench/tagging.py --timing   # tagging time of a ≈ 300-page text (speed lives here, not in tests)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crpv_watch.items import ExtractedDocument  # noqa: E402
from crpv_watch.tagging.evaluation import FIGURES_PATH, evaluate, load_examples  # noqa: E402
from crpv_watch.tagging.tagger import Tagger  # noqa: E402
from crpv_watch.tagging.thesaurus import Vocabulary  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--timing", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    vocabulary = Vocabulary.load()
    tagger = Tagger(vocabulary)
    examples = load_examples()
    results = evaluate(tagger.tag, examples)
    if args.json:
        print(json.dumps({s: r.summary() for s, r in results.items()}, indent=2))
    else:
        for split, res in results.items():
            s = res.summary()
            print(f"== {split} ({s['n']} texts) ==")
            print(f"{'theme':<38} {'P':>5} {'R':>5} {'F1':>5} {'n':>3}")
            for theme, v in res.per_theme.items():
                print(f"{theme:<38} {v['p']:5.2f} {v['r']:5.2f} {v['f1']:5.2f} {v['support']:3d}")
            print(f"themes micro P {s['theme_micro_p']:.3f} R {s['theme_micro_r']:.3f} F1 {s['theme_micro_f1']:.3f}"
                  f" | macro F1 {s['theme_macro_f1']:.3f} | type accuracy {s['type_accuracy']:.3f}\n")
    if args.errors:
        for err in results["train"].errors:
            print(err)
    if args.record:
        figures = {s: r.summary() for s, r in results.items()}
        FIGURES_PATH.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"recorded {FIGURES_PATH}")
    if args.timing:
        page = " ".join(ex.doc.text for ex in examples)
        text = (page + "\n") * (300 * 3000 // len(page) + 1)
        doc = ExtractedDocument(url="https://www.example.org/x.pdf", canonical_url="", title="Rapport", text=text,
                                content_type="application/pdf")
        tagger.tag(ExtractedDocument(url="", canonical_url="", title="", text=page))
        start = time.perf_counter()
        tagger.tag(doc)
        print(f"300-page text ({len(text):,} chars): {time.perf_counter() - start:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
