"""Documents and parsed queries in PostgreSQL's text-search terms, with the project's own analyzer.

A document becomes one ``tsvector`` literal: the stemmed words of the title (weight A), summary (B) and body
(C), and the unstemmed title words marked with a leading ``=`` (D) — the same terms as the Whoosh fields
title, summary, body and title_exact, at the analyzer's positions, so a phrase is ``<->`` in one field. Fields
follow each other with a gap, so no phrase runs from the title into the summary.

A parsed query (the Whoosh query tree of ``search/query.py``: one parser for both engines) becomes a neutral
condition tree for ``store/fulltext.py``: text parts as ``tsquery`` texts, facet terms as array conditions.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from whoosh import query

from ..items import IndexDocument
from .schema import FACET_FIELDS, build_schema, date_number, split_credits

WEIGHTS = {"title": "A", "summary": "B", "body": "C", "title_exact": "D", "credits": "C"}
EXACT_MARK = "="
CREDITS_MARK = "^"  # credit lines (schema.split_credits) share the body's weight, apart by this mark
MARKS = {"title_exact": EXACT_MARK, "credits": CREDITS_MARK}
MAX_POSITION = 16_383  # PostgreSQL's limit: later words keep this position (matched, not in phrases)
MAX_LEXEME_BYTES = 2_046  # PostgreSQL refuses longer words ("word is too long"): such tokens are not words
MAX_WORD_CHARS = 100  # words kept in search_words (fuzzy terms, corrections; its index has a size limit)
FIELD_GAP = 100
FACET_COLUMNS = set(FACET_FIELDS.values())

# The analyzers of the Whoosh schema's fields, so both engines analyze alike.
_stemmed = build_schema()["body"].analyzer
_unstemmed = build_schema()["title_exact"].analyzer


def lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _positions(analyzer, text: str, start: int, out: dict[str, list[int]], mark: str = "") -> int:
    """Adds the terms of ``text`` at ``start`` + their positions; returns the next free position."""
    last = start
    for token in analyzer(text, positions=True):
        if len((mark + token.text).encode("utf-8")) > MAX_LEXEME_BYTES:
            continue
        pos = min(MAX_POSITION, start + token.pos + 1)
        out[mark + token.text].append(pos)
        last = max(last, pos)
    return last + FIELD_GAP


RANK_BODY_WORDS = 32  # the body's most frequent words in the ranking vector (store/fulltext.py rank_terms)
RANK_BODY_POSITIONS = 8  # of each, its first positions (ts_rank's weight of the n-th occurrence falls as 1/n²)


@dataclass
class DocumentTerms:
    terms: str  # the full tsvector, as PostgreSQL's input syntax
    rank_terms: str  # the ranking tsvector: title, summary, unstemmed title words, the body's frequent words
    length: int  # positions in ``terms`` (ts_rank's length normalisation)
    stems: set[str]


def document_terms(doc: IndexDocument) -> DocumentTerms:
    """The ``tsvector``s of a document, as PostgreSQL's input syntax, and its stemmed words."""
    by_weight: list[tuple[str, dict[str, list[int]]]] = []
    position = 0
    body, credits = split_credits(doc.text or "")
    for name, text, analyzer in (("title", doc.title, _stemmed), ("title_exact", doc.title, _unstemmed),
                                 ("summary", doc.summary, _stemmed), ("body", body, _stemmed),
                                 ("credits", credits, _stemmed)):
        terms: dict[str, list[int]] = defaultdict(list)
        mark = MARKS.get(name, "")
        if name == "title_exact":  # the same positions as the stemmed title words
            _positions(analyzer, text or "", 0, terms, mark)
        else:
            position = _positions(analyzer, text or "", position, terms, mark) if text else position
        by_weight.append((name, terms))
    parts, ranking = [], []
    stems: set[str] = set()
    length = 0
    for name, terms in by_weight:
        weight = WEIGHTS[name]
        if name not in MARKS:
            stems.update(t for t in terms if len(t) <= MAX_WORD_CHARS)
        kept_terms = {term: sorted(set(positions))[:255] for term, positions in terms.items()}  # PostgreSQL's cap
        for term, kept in kept_terms.items():
            length += len(kept)
            parts.append(_entry(term, kept, weight))
        if weight != "C":
            ranking += parts[len(parts) - len(kept_terms):]
        elif name == "body":
            frequent = sorted(kept_terms.items(), key=lambda p: (-len(p[1]), p[0]))[:RANK_BODY_WORDS]
            ranking += [_entry(term, kept[:RANK_BODY_POSITIONS], weight) for term, kept in frequent]
    return DocumentTerms(" ".join(parts), " ".join(ranking), length, stems)


def _entry(term: str, positions: list[int], weight: str) -> str:
    return lexeme(term) + ":" + ",".join(f"{p}{weight}" for p in positions)


def analysed(docs: list[IndexDocument]) -> tuple[list[dict], Counter, Counter]:
    """The ``search_documents`` rows of ``docs``, their title and summary words and their stemmed words (the
    analysis of a batch, run in a worker process during a rebuild: search/parallel.py)."""
    rows, spell, stems = [], Counter(), Counter()
    for doc in docs:
        terms = document_terms(doc)
        rows.append(row(doc, terms))
        spell.update(spell_words(doc))
        stems.update(terms.stems)
    return rows, spell, stems


def spell_words(doc: IndexDocument) -> Counter:
    """The unstemmed words of the title and summary with their occurrences (the vocabulary of suggestions)."""
    return Counter(t.text for t in _unstemmed(f"{doc.title or ''}\n{doc.summary or ''}")
                   if len(t.text) <= MAX_WORD_CHARS)


def row(doc: IndexDocument, terms: DocumentTerms) -> dict:
    """The ``search_documents`` row of a document (``terms``: its tsvectors)."""
    def ids(values) -> list[str]:  # in the document's order, as the Whoosh engine stores them
        return list(dict.fromkeys(v.strip() for v in values or [] if v and v.strip()))

    return {
        "id": doc.id, "url": _text(doc.url), "title": _text(doc.title), "summary": _text(doc.summary),
        "themes": ids(doc.themes), "pillars": ids(doc.pillars), "centre": ids([doc.centre]),
        "region": ids(doc.region),
        "departments": ids(getattr(doc, "departments", None)), "qpvs": ids(getattr(doc, "qpvs", None)),
        "type": ids([doc.doctype]), "year": [str(doc.published.year)] if doc.published else [],
        "language": ids([doc.language]),
        "published": date_number(doc.published),
        "seen": int(doc.first_seen.timestamp()) if doc.first_seen else 0,
        "found_at": _json(doc.found_at),
        "terms": terms.terms, "rank_terms": terms.rank_terms, "length": terms.length,
    }


def _text(value: str | None) -> str:
    """PostgreSQL text cannot hold NUL characters (PDF text sometimes does)."""
    return (value or "").replace("\x00", "")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


# -- queries ------------------------------------------------------------------------------------------------

Fuzzy = Callable[[str, str, int, int], list[str]]  # (field, text, maxdist, prefixlength) → index terms


class Untranslatable(ValueError):
    """A query node with no PostgreSQL counterpart (the engine then searches the plain words)."""


def _term(fieldname: str, word: str, suffix: str = "") -> tuple:
    if fieldname in FACET_COLUMNS:
        return ("facet", fieldname, [word])
    if fieldname not in WEIGHTS:
        raise Untranslatable(fieldname)
    mark = MARKS.get(fieldname, "")
    return ("ts", f"{lexeme(mark + word)}:{suffix}{WEIGHTS[fieldname]}")


def condition(q: query.Query | None, fuzzy: Fuzzy) -> tuple:
    """The neutral condition tree (see store/fulltext.py) of a parsed query; ``("all",)`` for None."""
    if q is None:
        return ("all",)
    return _merge(_node(q, fuzzy))


def _node(q: query.Query, fuzzy: Fuzzy) -> tuple:
    if isinstance(q, query.FuzzyTerm):
        words = fuzzy(q.fieldname, q.text, q.maxdist, q.prefixlength)
        return ("or", [_term(q.fieldname, w) for w in words]) if words else ("none",)
    if isinstance(q, query.Prefix):
        return _term(q.fieldname, q.text, "*")
    if isinstance(q, query.Term):
        return _term(q.fieldname, q.text)
    if isinstance(q, query.Phrase):
        if q.fieldname not in WEIGHTS:
            raise Untranslatable(q.fieldname)
        if q.slop != 1:
            raise Untranslatable("slop")
        return ("ts", " <-> ".join(_term(q.fieldname, w)[1] for w in q.words))
    if isinstance(q, query.ConstantScoreQuery):
        return _node(q.child, fuzzy)
    if isinstance(q, query.AndMaybe):  # the optional part only ranks (theme boost): the engine ranks it
        return _node(q.a, fuzzy)
    if isinstance(q, query.AndNot):
        return ("and", [_node(q.a, fuzzy), ("not", _node(q.b, fuzzy))])
    if isinstance(q, query.Not):
        return ("not", _node(q.query, fuzzy))
    if isinstance(q, query.And):
        return ("and", [_node(c, fuzzy) for c in q.subqueries])
    if isinstance(q, query.Or):
        return ("or", _unweighted([_node(c, fuzzy) for c in q.subqueries]))
    if isinstance(q, query.Every):
        return ("all",)
    if q is query.NullQuery or isinstance(q, query.qcore._NullQuery):
        return ("none",)
    raise Untranslatable(type(q).__name__)


# The weights a lexeme can carry, by its mark: an unmarked (stemmed) word is in the title, summary or body.
WEIGHTS_OF_MARK = {mark: {w for f, w in WEIGHTS.items() if MARKS.get(f, "") == mark} for mark in ("", *MARKS.values())}
_LEAF = re.compile(r"^('(?:[^']|'')*'):(\*?)([A-D])$")


def _unweighted(children: list[tuple]) -> list[tuple]:
    """One word searched in every field it can be in (``'log':A | 'log':B | 'log':C``) becomes the word without
    weights (``'log'``): the same documents, and PostgreSQL's GIN index answers an unweighted word without
    reading each matching document's ``tsvector`` again (a weight restriction makes it recheck every row)."""
    weights: dict[tuple[str, str], set[str]] = defaultdict(set)
    for child in children:
        leaf = _LEAF.match(child[1]) if child[0] == "ts" else None
        if leaf:
            weights[leaf.group(1), leaf.group(2)].add(leaf.group(3))
    full = {key for key, found in weights.items()
            if found == WEIGHTS_OF_MARK.get(_mark_of(key[0]), set())}
    out, done = [], set()
    for child in children:
        leaf = _LEAF.match(child[1]) if child[0] == "ts" else None
        key = (leaf.group(1), leaf.group(2)) if leaf else None
        if key not in full:
            out.append(child)
        elif key not in done:
            done.add(key)
            out.append(("ts", key[0] + (":*" if key[1] else "")))
    return out


def _mark_of(quoted: str) -> str:
    first = quoted[1:2]
    return first if first in MARKS.values() else ""


_JOIN = {"and": " & ", "or": " | "}


def _merge(node: tuple) -> tuple:
    """Folds text-only subtrees into one ``tsquery`` (one ``@@`` per document instead of one per word)."""
    kind = node[0]
    if kind in ("and", "or"):
        children = [_merge(c) for c in node[1]]
        if kind == "and":
            children = [c for c in children if c != ("all",)]
            if ("none",) in children:
                return ("none",)
        else:
            children = [c for c in children if c != ("none",)]
            if ("all",) in children:
                return ("all",)
        if not children:
            return ("all",) if kind == "and" else ("none",)
        if len(children) == 1:
            return children[0]
        texts = [c for c in children if c[0] == "ts"]
        others = [c for c in children if c[0] != "ts"]
        if len(texts) > 1:
            texts = [("ts", _JOIN[kind].join(f"({c[1]})" for c in texts))]
        merged = texts + others
        return merged[0] if len(merged) == 1 else (kind, merged)
    if kind == "not":
        inner = _merge(node[1])
        if inner[0] == "ts":
            return ("ts", f"!({inner[1]})")
        if inner == ("all",):
            return ("none",)
        if inner == ("none",):
            return ("all",)
        return ("not", inner)
    return node


def rank_query(q: query.Query | None) -> str | None:
    """The ``tsquery`` that ranks: every positive text term of the query (any of them), for ``ts_rank``."""
    leaves: list[str] = []

    def walk(node: query.Query, positive: bool) -> None:
        if isinstance(node, query.Not):
            return
        if isinstance(node, query.AndNot):
            walk(node.a, positive)
            return
        if isinstance(node, query.AndMaybe):
            walk(node.a, positive)
            return
        if isinstance(node, query.FuzzyTerm):
            return
        if isinstance(node, (query.Term, query.Phrase)) and node.fieldname in WEIGHTS:
            try:
                leaves.append(_node(node, _no_fuzzy)[1])
            except Untranslatable:
                pass
            return
        for child in node.children():
            walk(child, positive)

    if q is not None:
        walk(q, True)
    unique = list(dict.fromkeys(leaves))
    return " | ".join(f"({leaf})" for leaf in unique) if unique else None


def _no_fuzzy(*_args) -> list[str]:
    return []


@lru_cache(maxsize=1)
def parsing_schema():
    """The Whoosh schema whose analyzers the query parser reads (no index is opened)."""
    from .schema import build_schema

    return build_schema()
