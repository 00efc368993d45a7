"""Relevance of the search engine: nDCG@10 and MRR@10 on the demo judged set and on the shared real texts, the
latter beside a plain OR-ed BM25 baseline (SQLite FTS5) over the same texts, in the same run (docs/QUALITY.md).

    .venv/bin/python bench/relevance.py [--per-query] [--write-baseline] [--pool]

Demo: the demo catalogue plus tests/data/relevance/distractors.yaml, judged in tests/data/relevance/judgments.yaml.
Real: ../shared/corpora/crpv-real-texts/items.json (180 texts of the network), the practitioners' queries of
tests/data/relevance/real_queries.yaml judged in real_judgments.yaml (pooled from both systems' top 10).
--pool prints the pooled documents not judged yet (to judge, then add to real_judgments.yaml);
--write-baseline records the figures in baseline.json and baseline_real.json, the floors tests/test_relevance.py
enforces.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crpv_watch.search import evaluation  # noqa: E402

DATA = ROOT / "tests" / "data" / "relevance"
CORPUS = ROOT / evaluation.REAL_CORPUS


def fts5_rankings(docs, queries: list[str], k: int = evaluation.K) -> dict[str, list[str]]:
    """The baseline: SQLite FTS5 over title and text (unicode61, accents removed, no stemming, no stop words),
    each query's words OR-ed, ranked by FTS5's own bm25()."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
               "tokenize = 'unicode61 remove_diacritics 2')")
    db.executemany("INSERT INTO docs (id, title, body) VALUES (?, ?, ?)", [(d.id, d.title, d.text) for d in docs])
    out = {}
    for q in queries:
        words = re.findall(r"\w+", q)
        match = " OR ".join(f'"{w}"' for w in words)
        rows = db.execute("SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (match, k)) \
            if words else []
        out[q] = [r[0] for r in rows]
    db.close()
    return out


def demo_figures() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        engine = evaluation.build_engine(Path(tmp) / "index", DATA)
        try:
            result = evaluation.evaluate(engine, evaluation.judgments(DATA / "judgments.yaml"))
            result["documents"] = engine.count()
        finally:
            engine.close()
    return result


def real_figures() -> tuple[dict, dict, dict, list]:
    """(ours, FTS5 baseline, {query: (our ids, baseline ids)}, cases)."""
    cases = evaluation.real_queries(DATA / "real_queries.yaml", DATA / "real_judgments.yaml")
    docs = evaluation.real_documents(CORPUS)
    with tempfile.TemporaryDirectory() as tmp:
        engine = evaluation.build_real_engine(Path(tmp) / "index", CORPUS)
        try:
            ours = {c.q: evaluation.ranked_ids(engine, c.q) for c in cases}
        finally:
            engine.close()
    baseline = fts5_rankings(docs, [c.q for c in cases])
    runs = {q: (ours[q], baseline[q]) for q in ours}
    return evaluation.score_rankings(ours, cases), evaluation.score_rankings(baseline, cases), runs, cases


def print_pool(runs: dict, cases: list) -> None:
    """The pooled documents (both systems' top 10) that have no grade yet, with what a judge needs to read."""
    items = {i["id"]: i for i in json.loads(CORPUS.read_text(encoding="utf-8"))}
    for case in cases:
        ours, base = runs[case.q]
        pooled = [d for d in dict.fromkeys(ours + base) if d not in case.grades]
        if not pooled:
            continue
        print(f"\n## {case.q!r}  [{case.split}] need: {case.need}")
        for d in pooled:
            it = items[d]
            body = " ".join(it["body"])[:300].replace("\n", " ")
            print(f"- {d} [{it['type']}; {','.join(it['themes'])}] {it['title'][:110]}\n    {body}")


def show(name: str, figures: dict) -> str:
    parts = [f"{split} nDCG@10 {figures[split]['ndcg@10']:.4f} MRR {figures[split]['mrr@10']:.4f}"
             for split in ("all", "dev", "test")]
    return f"{name:9} " + " | ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-query", action="store_true", help="print each query's figures and top 5")
    parser.add_argument("--write-baseline", action="store_true", help="record the figures as the test floors")
    parser.add_argument("--pool", action="store_true", help="print the pooled real-text documents not judged yet")
    args = parser.parse_args()
    demo = demo_figures()
    if args.per_query:
        for p in sorted(demo["per_query"], key=lambda p: p["ndcg"]):
            print(f"{p['ndcg']:.3f}  rr={p['rr']:.2f}  {p['q']!r:55} {' '.join(p['top'])}")
    print(f"demo: documents {demo['documents']}, queries {demo['queries']}: nDCG@10 {demo['ndcg@10']:.4f}  "
          f"MRR@10 {demo['mrr@10']:.4f}")
    real = None
    if CORPUS.exists():
        ours, fts5, runs, cases = real_figures()
        real = (ours, fts5)
        if args.pool:
            print_pool(runs, cases)
        if args.per_query:
            base = {p["q"]: p for p in fts5["per_query"]}
            for p in sorted(ours["per_query"], key=lambda p: p["ndcg"]):
                print(f"{p['ndcg']:.3f} (fts5 {base[p['q']]['ndcg']:.3f})  rr={p['rr']:.2f}  [{p['split']}] "
                      f"{p['q']!r:50} {' '.join(p['top'])}")
        unjudged = sum(1 for c in cases if not c.grades)
        # Pool check: documents of either top 10 that nobody judged (they count as 0; judge them with --pool).
        holes = sum(1 for c in cases for d in set(runs[c.q][0] + runs[c.q][1]) if d not in c.grades)
        print(f"real texts: {len(json.loads(CORPUS.read_text(encoding='utf-8')))} documents, {ours['queries']} "
              f"queries ({unjudged} not judged; {holes} pooled documents not judged)")
        print(show("ours", ours))
        print(show("FTS5 OR", fts5))
    else:
        print(f"real texts: {CORPUS} is absent (the shared corpora are not on this machine): skipped")
    if args.write_baseline:
        baseline = {"ndcg@10": round(demo["ndcg@10"], 4), "mrr@10": round(demo["mrr@10"], 4),
                    "queries": demo["queries"], "documents": demo["documents"]}
        (DATA / "baseline.json").write_text(json.dumps(baseline, indent=2) + "\n", encoding="utf-8")
        print(f"baseline written to {DATA / 'baseline.json'}")
        if real is not None:
            record = {name: {split: {m: round(v, 4) for m, v in figures[split].items() if m != "queries"}
                             for split in ("all", "dev", "test")} | {"queries": figures["queries"]}
                      for name, figures in zip(("ours", "fts5"), real, strict=True)}
            (DATA / "baseline_real.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
            print(f"real-text baseline written to {DATA / 'baseline_real.json'}")


if __name__ == "__main__":
    main()
