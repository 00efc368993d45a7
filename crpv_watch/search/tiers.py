"""A query as tiers of match quality, ranked one tier after the other.

    1. the query as typed: every word (or one of its close forms), phrases as phrases;
    2. its phrases as their words anywhere (not for ``exact:"…"``): the same idea in other words is not hidden,
       it comes after the exact wording;
    3. when the first tiers find fewer than ``FEW`` documents (filters applied): the documents with only some
       of the words, so that one rare or mistyped word does not leave a near-empty page.

Each tier's documents are ranked by BM25F among themselves (search/topk.py), below the tiers before it; the
total, the facet counts and the pages cover every tier used. A later tier is only evaluated when it can change
the answer, so a query whose words are all common and that has no phrase costs what it did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from whoosh import query

from .facets import FACET_GROUPS, FacetData, disjunctive_counts, request_selections
from .matching import has_phrase, matching_docs, scoring_query
from .query import QueryContext, boost_themes, parse
from .related import RERANK, rerank
from .schema import date_number
from .synonyms import Synonyms
from .topk import ScoreData, top_docs
from .types import SearchRequest

FEW = 10  # fewer documents than this with every word: the ones with some of the words follow

ANY_WORD_NOTICE = "Aucun document ne contient tous les mots ; résultats contenant au moins un des mots."
PARTIAL_NOTICE = ("{full} document{s} contien{nent} tous les mots ; suivent ceux qui n’en contiennent "
                  "qu’une partie.")
PHRASE_NOTICE = ("Les documents contenant l’expression exacte viennent en premier, puis ceux qui en contiennent "
                 "les mots ; pour n’avoir que l’expression exacte : exact:\"…\".")
RARE_NOTICE = "Mot rare ou inconnu : ses formes proches sont aussi cherchées ({words})."


@dataclass
class Tier:
    q: query.Query
    always: bool  # False: only used when the tiers before it find fewer than FEW documents
    kind: str  # "full", "words" (phrases relaxed), "partial" (some of the words)


@dataclass
class Tiers:
    tiers: list[Tier]
    expanded: dict[str, tuple[str, ...]] = field(default_factory=dict)  # rare word → its variants' stems

    @property
    def first(self) -> query.Query | None:
        return self.tiers[0].q if self.tiers else None


def build_tiers(text: str, schema, ctx: QueryContext, synonyms: Synonyms | None) -> Tiers:
    expanded: dict[str, tuple[str, ...]] = {}
    strict = parse(text, schema, context=ctx, expanded=expanded)
    if strict is None:
        return Tiers([], expanded)
    tiers = [Tier(boost_themes(strict, text, synonyms), True, "full")]
    if has_phrase(strict):
        words = parse(text, schema, context=ctx, relax=True)
        if words is not None and words != strict:
            tiers.append(Tier(boost_themes(words, text, synonyms), True, "words"))
    some = parse(text, schema, any_word=True, context=ctx, relax=True)
    if some is not None and all(some != t.q for t in tiers) and some != strict:
        tiers.append(Tier(boost_themes(some, text, synonyms), False, "partial"))
    return Tiers(tiers, expanded)


@dataclass
class Found:
    total: int
    counts: dict
    top: list[tuple[int, float]]
    q: query.Query | None  # the broadest tier used (what the highlighter marks)
    per_tier: list[tuple[str, int]] = field(default_factory=list)  # (kind, documents after filters) per tier used


@dataclass
class Matched:
    matched: np.ndarray  # the documents of the tiers used, facets and dates applied
    counts: dict  # each facet's counts (disjunctive: search/facets.py)
    tiers: list[tuple[Tier, np.ndarray]]  # each tier used, with the documents it adds (before facets and dates)
    per_tier: list[tuple[str, int]]  # (kind, documents it adds after facets and dates)


def match_tiers(searcher, data: FacetData, scores: ScoreData | None, tiers: list[Tier], req: SearchRequest,
                match: Callable[[Tier], np.ndarray] | None = None) -> Matched:
    """The documents the tiers select (no tier: every document), unscored, and the facet counts. ``match``: the
    mask of a tier's documents, when another engine than Whoosh finds them (search/pg_engine.py)."""
    filters = _filter_mask(data, req)
    if not tiers:
        cumulative, new_masks, per_tier = data.all_mask, [], []
    else:
        cumulative = np.zeros(data.size, dtype=bool)
        new_masks, per_tier = [], []
        for i, tier in enumerate(tiers):
            if i and not tier.always and _count(cumulative, filters) >= FEW:
                break
            mask = match(tier) if match else data.mask(matching_docs(searcher, tier.q, data.all_docs, scores))
            new = mask & ~cumulative
            if i and not new.any():
                continue
            new_masks.append((tier, new))
            cumulative |= mask
            per_tier.append((tier.kind, _count(new, filters)))
    base = cumulative
    if req.date_from or req.date_to:
        base = data.date_filter(base, date_number(req.date_from) or 1, date_number(req.date_to) or 99_991_231)
    matched, counts = disjunctive_counts(data, base, request_selections(data, req.filters()), FACET_GROUPS)
    return Matched(matched, counts, new_masks, per_tier)


def run_tiers(searcher, data: FacetData, scores: ScoreData, tiers: list[Tier], req: SearchRequest, page: int,
              per_page: int, today: dt.date) -> Found:
    """Total, facet counts and the page's [(docnum, score)] of the tiers (one tier or none: a plain search)."""
    found = match_tiers(searcher, data, scores, tiers, req)
    matched, counts, new_masks, per_tier = found.matched, found.counts, found.tiers, found.per_tier
    total = int(np.count_nonzero(matched))
    upto = page * per_page
    start = upto - per_page
    q = new_masks[-1][0].q if new_masks else None
    if total <= start:
        top: list[tuple[int, float]] = []
    elif req.sort == "date_asc":
        top = [(d, 0.0) for d in data.oldest(matched, upto)[start:]]
    elif not new_masks or req.sort == "date":
        top = [(d, 0.0) for d in data.newest(matched, upto)[start:]]
    else:
        ranked: list[tuple[int, float]] = []
        for tier, new in new_masks:
            in_tier = new & matched
            size = int(np.count_nonzero(in_tier))
            if not size:
                continue
            # The best RERANK of a tier are fetched whatever the page, so the recency order is the same on every
            # page; a single tier needs no filter when it is the whole match.
            limit = max(upto - len(ranked), RERANK)
            whole = len(new_masks) == 1 and size == int(np.count_nonzero(new)) and not has_phrase(tier.q)
            allow = None if whole else data.docs(in_tier)
            scoring = scoring_query(tier.q) if has_phrase(tier.q) else tier.q
            top_n = top_docs(searcher, scoring, limit, allow, scores)
            if top_n is None:
                top_n = searcher.search(scoring, filter=allow, limit=limit).top_n
            ranked.extend(rerank([(docnum, score) for score, docnum in top_n], data.published, today))
            if len(ranked) >= upto:
                break
        top = ranked[start:upto]
    return Found(total, counts, top, q, per_tier)


def notices(found: Found, expanded: dict[str, tuple[str, ...]]) -> str | None:
    """What the reader should know about how the results were widened (French), or None."""
    out = []
    kinds = dict(found.per_tier)
    full = kinds.get("full", 0)
    if "partial" in kinds and found.total:
        if full or kinds.get("words"):
            count = full + kinds.get("words", 0)
            plural = count > 1
            out.append(PARTIAL_NOTICE.format(full=count, s="s" if plural else "", nent="nent" if plural else "t"))
        else:
            out.append(ANY_WORD_NOTICE)
    if kinds.get("words"):
        out.append(PHRASE_NOTICE)
    if expanded:
        out.append(RARE_NOTICE.format(words=", ".join(f"« {w} »" for w in expanded)))
    return " ".join(out) or None


def _filter_mask(data: FacetData, req: SearchRequest) -> np.ndarray | None:
    parts = list(request_selections(data, req.filters()).values())
    if req.date_from or req.date_to:
        parts.append(data.date_filter(data.all_mask, date_number(req.date_from) or 1,
                                      date_number(req.date_to) or 99_991_231))
    return np.logical_and.reduce(parts) if parts else None


def _count(mask: np.ndarray, filters: np.ndarray | None) -> int:
    return int(np.count_nonzero(mask if filters is None else mask & filters))
