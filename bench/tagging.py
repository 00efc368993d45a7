"""Tagging quality: per-theme P/R/F1, micro/macro, type accuracy and confusion, on the project's own labelled set
(train/test) and on the shared corpus of real texts of the network (dev/test by site).

    .venv/bin/python bench/tagging.py                # figures of every split (real ones when ../shared is there)
    .venv/bin/python bench/tagging.py --errors dev   # also every mis-tagged item of real-dev (tune on dev only)
    .venv/bin/python bench/tagging.py --rules-only   # without the learned model, even when one is installed
    .venv/bin/python bench/tagging.py --record       # rules' figures + a trained model's held-out figures
                                                     # → tests/data/tagging_figures.json (the guard's floor)
    .venv/bin/python bench/tagging.py --timing       # documents of ~1,000 words tagged per second, one core
    .venv/bin/python bench/tagging.py --timing --model FILE   # … with this model file (`tags train` writes one)

Splits: "own-train"/"own-test" are the project's 113 texts, "real-dev"/"real-test" the shared corpus (the test
sites are never seen in dev). Speed lives here, not in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crpv_watch.items import ExtractedDocument  # noqa: E402
from crpv_watch.tagging.evaluation import (  # noqa: E402
    FIGURES_PATH,
    Scores,
    evaluate_all,
    load_examples,
    load_real_examples,
    real_corpus_available,
)
from crpv_watch.tagging.model import load_tagger  # noqa: E402
from crpv_watch.tagging.tagger import Tagger  # noqa: E402
from crpv_watch.tagging.thesaurus import Vocabulary  # noqa: E402


def print_scores(name: str, res: Scores, confusion: bool) -> None:
    s = res.summary()
    print(f"== {name} ({s['n']} texts) ==")
    print(f"{'theme':<38} {'P':>5} {'R':>5} {'F1':>5} {'n':>3}")
    for theme, v in res.per_theme.items():
        print(f"{theme:<38} {v['p']:5.2f} {v['r']:5.2f} {v['f1']:5.2f} {v['support']:3d}")
    print(f"themes micro P {s['theme_micro_p']:.3f} R {s['theme_micro_r']:.3f} F1 {s['theme_micro_f1']:.3f}"
          f" | macro F1 {s['theme_macro_f1']:.3f} | type accuracy {s['type_accuracy']:.3f}"
          f" | à qualifier {s['type_unqualified']}")
    if confusion:
        print("type confusion (gold → predicted: texts), errors only:")
        for (gold, pred), n in sorted(res.confusion.items(), key=lambda kv: (-kv[1], kv[0])):
            if gold != pred:
                print(f"  {gold:<24} → {pred:<24} {n}")
    print()


def timing(tagger) -> None:
    """Documents of about 1,000 words (real texts joined and cut), tagged one after the other on one core."""
    source = load_real_examples() if real_corpus_available() else load_examples()
    words = " ".join(ex.doc.text for ex in source).split()
    docs = []
    for i, ex in enumerate(source):
        start = (i * 997) % max(1, len(words) - 1000)
        docs.append(ExtractedDocument(url=ex.doc.url, canonical_url=ex.doc.url, title=ex.doc.title,
                                      text=" ".join(words[start:start + 1000])))
    for doc in docs[:5]:
        tagger.tag(doc)  # warm the caches as a running crawler has them
    rounds = 3
    # CPU time of this process is the one-core figure (the machine is shared: wall time counts the waits).
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        for doc in docs:
            tagger.tag(doc)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    n = rounds * len(docs)
    print(f"tagging speed: {n / cpu:.0f} documents/s of 1,000 words on one core (CPU time {cpu:.2f} s for {n} "
          f"documents; wall {n / elapsed:.0f}/s, load {os.getloadavg()[0]:.1f}; {tagger.describe()})")


def record(vocabulary) -> None:
    """The guard's floor: the rules' figures on every split, and rules + a freshly trained model on the held-out
    splits (trained as `crpv-watch tags train` does, without editors' examples)."""
    from crpv_watch.tagging.training import train

    rules = {s: r.summary() for s, r in evaluate_all(Tagger(vocabulary).tag).items()}
    own = load_examples()
    training = [e for e in own if e.split == "train"]
    held_out = {"own-test": [e for e in own if e.split == "test"]}
    if real_corpus_available():
        real = load_real_examples()
        training += [e for e in real if e.split == "dev"]
        held_out["real-test"] = [e for e in real if e.split == "test"]
    report = train(vocabulary, training, held_out)
    figures = {"rules": rules, "model": {split: f["model"] for split, f in report.held_out.items()},
               "model_cross_validation": {c: f["combined"] for c, f in report.selection.cv.items()},
               "model_settings": {"c": report.selection.c, "type_min_probability": report.selection.type_floor}}
    FIGURES_PATH.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=1, ensure_ascii=False))
    print(f"recorded {FIGURES_PATH}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", metavar="SPLIT", choices=("dev", "own-train"),
                        help="list the mis-tagged items of a tuning split (never of a test split)")
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--timing", action="store_true")
    parser.add_argument("--rules-only", action="store_true")
    parser.add_argument("--model", type=Path, metavar="FILE",
                        help="this model file instead of the configured one (e.g. to time rules + model)")
    parser.add_argument("--no-confusion", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    vocabulary = Vocabulary.load()
    tagger = load_tagger(vocabulary, model_path=args.model, use_model=not args.rules_only)
    if args.timing:
        timing(tagger)
        return 0
    if not real_corpus_available():
        print("(../shared/corpora/crpv-real-texts absent: only the project's own set is measured)")
    results = evaluate_all(tagger.tag)
    if args.json:
        print(json.dumps({s: r.summary() for s, r in results.items()}, indent=2))
    else:
        print(f"tagger: {tagger.describe()}\n")
        for name, res in results.items():
            print_scores(name, res, not args.no_confusion)
    if args.errors:
        for err in results["real-dev" if args.errors == "dev" else "own-train"].errors:
            print(err)
    if args.record:
        record(vocabulary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
