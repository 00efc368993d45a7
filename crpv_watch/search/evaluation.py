"""Relevance measured: the demo corpus plus near-miss distractors, graded judgments, nDCG@10 and MRR.

Used by ``bench/relevance.py`` (prints the figures) and ``tests/test_relevance.py`` (fails when they drop below
``tests/data/relevance/baseline.json``). The corpus is built directly from the demo catalogue
(``crpv_watch.demo.compose.build_docs``), which is deterministic, so no network or crawl is involved.
"""

from __future__ import annotations

import datetime as dt
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
    from .engine import SearchEngine

    synonyms = Synonyms.from_themes_file()
    docs = demo_documents(synonyms) + distractors(data_dir / "distractors.yaml")
    texts = {d.id: d.text for d in docs}
    engine = SearchEngine(index_dir, text_for=lambda ids: {i: texts[i] for i in ids if i in texts},
                          synonyms=synonyms)
    engine.reference_date = REFERENCE_DATE
    engine.rebuild(docs)
    return engine
