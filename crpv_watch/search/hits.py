"""From stored fields to SearchHit: snippets from the store's text (the body is not stored in the index)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from whoosh import query

from ..text.analysis import french_analyzer
from .highlight import make_snippet
from .schema import STEMMED_FIELDS, number_date, split_ids
from .types import SearchHit

log = logging.getLogger(__name__)


def build_hits(stored: list[tuple[dict, float]], q, text_for: Callable[[list[str]], dict[str, str]] | None) -> list[SearchHit]:
    """Search hits from stored fields: snippets from the store's text (``text_for``) or the summary."""
    ids = [fields["id"] for fields, _ in stored]
    terms = highlight_terms(q)
    if q is not None:
        wanted = ids
    else:  # browsing: the summary's start, or the text's when there is no summary
        wanted = [fields["id"] for fields, _ in stored if not (fields.get("summary") or "").strip()]
    texts: dict[str, str] = {}
    if wanted and text_for is not None:
        try:
            texts = text_for(wanted) or {}
        except Exception:  # snippets fall back to summaries rather than failing the search
            log.warning("text_for failed; snippets from summaries", exc_info=True)
    hits = []
    for fields, score in stored:
        regions = split_ids(fields.get("region"))
        try:
            found_at = json.loads(fields.get("found_at") or "[]")
        except ValueError:
            found_at = []
        summary = fields.get("summary") or ""
        sources = [texts.get(fields["id"], ""), summary] if q is not None else [summary, texts.get(fields["id"], "")]
        hits.append(SearchHit(
            id=fields["id"],
            title=fields.get("title") or "",
            url=fields.get("url") or "",
            centre=fields.get("centre") or "",
            region=regions[0] if regions else "",
            themes=split_ids(fields.get("themes")),
            type=fields.get("type") or "",
            published=number_date(fields.get("published")),
            snippet=make_snippet(sources, terms),
            found_at=found_at,
            score=float(score),
        ))
    return hits


def highlight_terms(q: query.Query | None) -> frozenset[str]:
    """The stemmed terms a query looks for (terms under NOT are left out: they match no shown document)."""
    found: set[str] = set()

    def walk(node: query.Query) -> None:
        if isinstance(node, query.Not):
            return
        if isinstance(node, query.AndNot):
            walk(node.a)
            return
        if isinstance(node, query.Term) and not isinstance(node, (query.FuzzyTerm, query.Prefix)) \
                and node.fieldname in STEMMED_FIELDS:
            found.add(node.text)
        elif isinstance(node, query.Phrase) and node.fieldname in STEMMED_FIELDS:
            found.update(node.words)
        for child in node.children():
            walk(child)

    if q is not None:
        walk(q)
    return frozenset(found)


def text_terms(text: str) -> frozenset[str]:
    """The stemmed terms of plain text in query mode (what the highlighter marks when there is no parsed query)."""
    return frozenset(t.text for t in _query_analyzer(text, mode="query"))


_query_analyzer = french_analyzer(stem=True, field_nouns=True)
