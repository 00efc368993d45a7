"""From the words a person typed to a Whoosh query: all words required, or any word as the fallback.

The syntax is deliberately small: words, "phrases", parentheses and the upper-case operators AND, OR, NOT.
Field prefixes (title:…), wildcards, ranges, boosts and single quotes are switched off: French text is full of
apostrophes and colons ("l'habitant", "Politique de la ville : bilan"), and the query language is a later
issue. Whatever the person typed, parsing never raises: on any trouble the query falls back to its plain words.
"""

from __future__ import annotations

import re

from whoosh import qparser, query
from whoosh.qparser import AndGroup, MultifieldParser, OrGroup

from .analysis import french_analyzer
from .facets import intersect, posting_ids
from .schema import STEMMED_FIELDS, TEXT_FIELDS

# The words of a query when its syntax is given up: quotes, parentheses and operators dropped.
_PLAIN_WORDS = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


def _parser(schema, any_word: bool) -> MultifieldParser:
    # Built per query: cheap next to the search, and no parser state is shared between threads.
    group = OrGroup if any_word else AndGroup
    parser = MultifieldParser(list(TEXT_FIELDS), schema, fieldboosts=TEXT_FIELDS, group=group)
    for plugin in (
        qparser.FieldsPlugin,
        qparser.WildcardPlugin,
        qparser.RangePlugin,
        qparser.BoostPlugin,
        qparser.SingleQuotePlugin,
        qparser.EveryPlugin,
    ):
        parser.remove_plugin_class(plugin)
    return parser


def parse(text: str, schema, any_word: bool = False) -> query.Query | None:
    """The query for ``text``, or None when nothing searchable is left (empty, or only stop words)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        q = _parser(schema, any_word).parse(text)
        if _has_error(q):
            raise ValueError("syntax")
    except Exception:
        q = plain_query(text, schema, any_word)
    q = q.normalize()
    return None if isinstance(q, query.qcore._NullQuery) else q


def plain_query(text: str, schema, any_word: bool = False) -> query.Query:
    """The words of ``text`` without any syntax, each searched in every text field."""
    words = [w for w in _PLAIN_WORDS.findall(text) if w not in _OPERATORS]
    per_word = []
    for word in words:
        alternatives = []
        for field, boost in TEXT_FIELDS.items():
            terms = [t.text for t in schema[field].analyzer(word, mode="query")]
            if not terms:
                continue
            parts = [query.Term(field, t, boost=boost) for t in terms]
            alternatives.append(parts[0] if len(parts) == 1 else query.And(parts))
        if alternatives:
            per_word.append(query.Or(alternatives))
    if not per_word:
        return query.NullQuery
    return (query.Or if any_word else query.And)(per_word)


def _has_error(q: query.Query) -> bool:
    if getattr(q, "error", None):
        return True
    return any(_has_error(child) for child in q.children())


def highlight_terms(q: query.Query | None) -> frozenset[str]:
    """The stemmed terms a query looks for (terms under NOT are left out: they match no shown document)."""
    found: set[str] = set()

    def walk(node: query.Query) -> None:
        if isinstance(node, query.Not):
            return
        if isinstance(node, query.AndNot):
            walk(node.a)
            return
        if isinstance(node, query.Term) and node.fieldname in STEMMED_FIELDS:
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


_query_analyzer = french_analyzer(stem=True)


def matching_docs(searcher, q: query.Query, all_docs: frozenset[int]) -> set[int] | frozenset[int]:
    """The doc numbers ``q`` matches, unscored: the input of the facet pass and of the total.

    Words in several fields are And/Or trees of terms; their postings are read a block at a time and combined
    as Python sets, several times faster than Whoosh's union matchers. Phrases and anything else go through
    ``docs_for_query``.
    """
    reader = searcher.reader()

    def docs(node: query.Query):
        if isinstance(node, query.Term):
            return frozenset(posting_ids(reader, node.fieldname, node.text)) if node.fieldname in reader.schema \
                else frozenset()
        if isinstance(node, query.Or):
            return frozenset().union(*(docs(child) for child in node.subqueries))
        if isinstance(node, query.And):
            return intersect([docs(child) for child in node.subqueries])
        if isinstance(node, query.Not):
            return all_docs - docs(node.query)
        if isinstance(node, query.AndNot):
            return docs(node.a) - docs(node.b)
        return frozenset(searcher.docs_for_query(node))

    return docs(q)
