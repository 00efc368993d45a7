"""Relevance measured: the demo corpus plus near-miss distractors, graded judgments, nDCG@10 and MRR.

Used by ``bench/relevance.py`` (prints the figures) and ``tests/test_relevance.py`` (fails when they drop below
``tests/data/relevance/baseline.json``). The corpus is built directly from the demo catalogue
(``crpv_watch.demo.compose.build_docs``), which is deterministic, so no network or crawl is involved.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..items import IndexDocument
from .synonyms import Synonyms
from .types import SearchRequest

K = 10
RELEVANT = 2  # MRR: the rank of the first document graded at least this
# The recency boost is computed from this day, so the figures do not drift with the calendar.
REFERENCE_DATE = dt.date(2025, 4, 1)


@dataclass
class Judgment:
    q: str
    grades: dict[str, int]


def demo_documents(synonyms: Synonyms | None = None) -> list[IndexDocument]:
    from ..demo.compose import build_docs

    pillar_of = (synonyms or Synonyms.from_themes_file()).pillar_of
    docs = []
    for d in build_docs():
        parts = [d.lead]
        for heading, paragraphs in d.sections or d.pdf_pages:
            parts.append(heading)
            parts.extend(paragraphs)
        docs.append(IndexDocument(
            id=d.key, url=f"https://demo.example/{d.site}{d.path}", title=d.title, text="\n".join(parts),
            summary=d.lead, centre=d.site, themes=list(d.themes),
            pillars=sorted({p for p in map(pillar_of.get, d.themes) if p}), doctype=d.doctype,
            published=d.published, language="fr", content_type=d.content_type,
        ))
    return docs


def distractors(path: Path) -> list[IndexDocument]:
    out = []
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
        out.append(IndexDocument(
            id=entry["id"], url=f"https://distracteur.example/{entry['id']}", title=entry["title"],
            text=entry["text"], summary=entry.get("summary", ""), centre="distracteur",
            themes=list(entry.get("themes", [])), doctype=entry.get("doctype", "actualite"),
            published=entry.get("published"), language="fr",
        ))
    return out


def judgments(path: Path) -> list[Judgment]:
    return [Judgment(q=e["q"], grades={str(k): int(v) for k, v in e["grades"].items()})
            for e in yaml.safe_load(path.read_text(encoding="utf-8"))]


def ndcg(ranked: list[str], grades: dict[str, int], k: int = K) -> float:
    def dcg(gains: list[int]) -> float:
        return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:k]))

    ideal = dcg(sorted(grades.values(), reverse=True))
    return dcg([grades.get(d, 0) for d in ranked]) / ideal if ideal else 0.0


def reciprocal_rank(ranked: list[str], grades: dict[str, int], k: int = K) -> float:
    for i, doc in enumerate(ranked[:k]):
        if grades.get(doc, 0) >= RELEVANT:
            return 1.0 / (i + 1)
    return 0.0


def evaluate(engine, cases: list[Judgment]) -> dict:
    """Mean nDCG@10 and MRR@10 over ``cases``, with the per-query figures."""
    per_query = []
    for case in cases:
        response = engine.search(SearchRequest(q=case.q, per_page=K))
        ranked = [hit.id for hit in response.results]
        per_query.append({"q": case.q, "ndcg": ndcg(ranked, case.grades), "rr": reciprocal_rank(ranked, case.grades),
                          "top": ranked[:5]})
    n = max(1, len(per_query))
    return {
        "queries": len(per_query),
        "ndcg@10": sum(p["ndcg"] for p in per_query) / n,
        "mrr@10": sum(p["rr"] for p in per_query) / n,
        "per_query": per_query,
    }


def build_engine(index_dir: Path, data_dir: Path):
    """A SearchEngine over the demo corpus plus the distractors, with the fixed reference date."""
    synonyms = Synonyms.from_themes_file()
    return _engine_over(index_dir, demo_documents(synonyms) + distractors(data_dir / "distractors.yaml"), synonyms)


def _engine_over(index_dir: Path, docs: list[IndexDocument], synonyms: Synonyms):
    from .engine import SearchEngine

    texts = {d.id: d.text for d in docs}
    engine = SearchEngine(index_dir, text_for=lambda ids: {i: texts[i] for i in ids if i in texts},
                          synonyms=synonyms)
    engine.reference_date = REFERENCE_DATE
    engine.rebuild(docs)
    return engine


# -- the shared real corpus ------------------------------------------------------------------------------------

REAL_CORPUS = Path("../shared/corpora/crpv-real-texts/items.json")  # relative to the repository root
SUMMARY_CHARS = 300  # what crawl/extract.py keeps of a page's first real paragraph


@dataclass
class RealQuery:
    q: str
    split: str
    need: str
    grades: dict[str, int]


def real_documents(path: Path, synonyms: Synonyms | None = None) -> list[IndexDocument]:
    """The shared real texts as the crawler would index them: title, body paragraphs as text, the first
    paragraph of 40 characters or more as summary (the extractor's fallback when a page has no description),
    the readers' themes and type."""
    pillar_of = (synonyms or Synonyms.from_themes_file()).pillar_of
    docs = []
    for item in json.loads(path.read_text(encoding="utf-8")):
        paragraphs = [p for p in item["body"] if p.strip()]
        lead = next((p for p in paragraphs if len(p) >= 40 and p != item["title"]), "")
        if len(lead) > SUMMARY_CHARS:
            lead = lead[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
        docs.append(IndexDocument(
            id=item["id"], url=item["source_url"], title=item["title"], text="\n".join(paragraphs), summary=lead,
            centre=item.get("host", ""), themes=list(item["themes"]),
            pillars=sorted({p for p in map(pillar_of.get, item["themes"]) if p}), doctype=item["type"],
            language="fr",
        ))
    return docs


def real_queries(queries: Path, judged: Path | None = None) -> list[RealQuery]:
    """The practitioners' queries with their pooled grades (empty until judged)."""
    grades = {}
    if judged is not None and judged.exists():
        grades = {e["q"]: {str(k): int(v) for k, v in (e.get("grades") or {}).items()}
                  for e in yaml.safe_load(judged.read_text(encoding="utf-8")) or []}
    return [RealQuery(q=e["q"], split=e["split"], need=e.get("need", ""), grades=grades.get(e["q"], {}))
            for e in yaml.safe_load(queries.read_text(encoding="utf-8"))]


def score_rankings(rankings: dict[str, list[str]], cases: list[RealQuery]) -> dict:
    """Mean nDCG@10 and MRR@10 of ranked id lists (query → ids), overall and per split."""
    per_query = [{"q": c.q, "split": c.split, "ndcg": ndcg(rankings[c.q], c.grades),
                  "rr": reciprocal_rank(rankings[c.q], c.grades), "top": rankings[c.q][:5]} for c in cases]
    out = {"queries": len(per_query), "per_query": per_query}
    for name, part in (("all", per_query), *((s, [p for p in per_query if p["split"] == s]) for s in ("dev", "test"))):
        n = max(1, len(part))
        out[name] = {"ndcg@10": sum(p["ndcg"] for p in part) / n, "mrr@10": sum(p["rr"] for p in part) / n,
                     "queries": len(part)}
    return out


def build_real_engine(index_dir: Path, corpus: Path):
    """A SearchEngine over the shared real texts (no recency: the texts carry no publication date here)."""
    synonyms = Synonyms.from_themes_file()
    return _engine_over(index_dir, real_documents(corpus, synonyms), synonyms)


def ranked_ids(engine, q: str, k: int = K) -> list[str]:
    return [hit.id for hit in engine.search(SearchRequest(q=q, per_page=k)).results]
