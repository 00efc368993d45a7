"""Relevance of the search engine on the judged set: nDCG@10 and MRR@10 (see docs/QUALITY.md).

    .venv/bin/python bench/relevance.py [--per-query] [--write-baseline]

The corpus is the demo catalogue plus tests/data/relevance/distractors.yaml; the judgments are
tests/data/relevance/judgments.yaml; --write-baseline records the figures in tests/data/relevance/baseline.json,
the floor tests/test_relevance.py enforces.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crpv_watch.search import evaluation  # noqa: E402

DATA = ROOT / "tests" / "data" / "relevance"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-query", action="store_true", help="print each query's figures and top 5")
    parser.add_argument("--write-baseline", action="store_true", help="record the figures as the test floor")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = evaluation.build_engine(Path(tmp) / "index", DATA)
        try:
            result = evaluation.evaluate(engine, evaluation.judgments(DATA / "judgments.yaml"))
            docs = engine.count()
        finally:
            engine.close()
    if args.per_query:
        for p in sorted(result["per_query"], key=lambda p: p["ndcg"]):
            print(f"{p['ndcg']:.3f}  rr={p['rr']:.2f}  {p['q']!r:55} {' '.join(p['top'])}")
    print(f"documents {docs}, queries {result['queries']}: nDCG@10 {result['ndcg@10']:.4f}  "
          f"MRR@10 {result['mrr@10']:.4f}")
    if args.write_baseline:
        baseline = {"ndcg@10": round(result["ndcg@10"], 4), "mrr@10": round(result["mrr@10"], 4),
                    "queries": result["queries"], "documents": docs}
        (DATA / "baseline.json").write_text(json.dumps(baseline, indent=2) + "\n", encoding="utf-8")
        print(f"baseline written to {DATA / 'baseline.json'}")


if __name__ == "__main__":
    main()
