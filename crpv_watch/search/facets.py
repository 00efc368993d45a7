"""Facet data built once per searcher generation, and disjunctive facet counting over sets of doc numbers.

Whoosh's ``groupedby`` rebuilds doc → terms from every posting of a multi-valued field on each search (seconds
at 50k documents, see ../shared/notes/whoosh-measurements.md). Here the postings are read once per generation
into value → doc-number sets and doc → values tuples; a search then only intersects and counts Python sets.
"""

from __future__ import annotations

import heapq
import sys
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import chain

from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound

from .schema import FACET_FIELDS
from .types import FacetValue


class FacetData:
    """Doc-number keyed arrays of one searcher generation (global doc numbers of that searcher)."""

    def __init__(self, searcher):
        reader = searcher.reader()
        size = reader.doc_count_all()
        self.all_docs: frozenset[int] = frozenset(reader.all_doc_ids())
        self.value_docs: dict[str, dict[str, frozenset[int]]] = {}
        self.doc_values: dict[str, list[tuple[str, ...]]] = {}
        for field in FACET_FIELDS.values():
            by_value: dict[str, frozenset[int]] = {}
            per_doc: list[tuple[str, ...]] = [()] * size
            if field in reader.schema:
                for value in reader.field_terms(field):
                    docs = frozenset(posting_ids(reader, field, value))
                    if not docs:
                        continue  # the term survives in the lexicon after its documents were deleted
                    by_value[value] = docs
                    for d in docs:
                        per_doc[d] = (*per_doc[d], value)
            self.value_docs[field] = by_value
            self.doc_values[field] = per_doc
        self.published = self._column(reader, "published", size)
        self.seen = self._column(reader, "seen", size)

    @staticmethod
    def _column(reader, field: str, size: int) -> list[int]:
        values: list[int] = []
        for leaf, offset in reader.leaf_readers():
            values += [0] * (offset - len(values))
            if leaf.has_column(field):
                values += numeric_column(leaf.column_reader(field, translate=False))
        return values[:size] + [0] * (size - len(values))

    def selection(self, field: str, values: Iterable[str]) -> frozenset[int]:
        """Documents with any of ``values`` (values within one facet are OR-ed)."""
        by_value = self.value_docs.get(field, {})
        sets = [by_value[v] for v in values if v in by_value]
        if not sets:
            return frozenset()
        return sets[0] if len(sets) == 1 else frozenset().union(*sets)

    def date_filter(self, docs: Iterable[int], low: int, high: int) -> set[int]:
        published = self.published
        return {d for d in docs if low <= published[d] <= high}

    def newest(self, docs: Iterable[int], count: int) -> list[int]:
        """The ``count`` most recently published documents; undated ones last, newest found first."""
        published, seen = self.published, self.seen
        return heapq.nlargest(count, docs, key=lambda d: (published[d], seen[d], -d))

    def oldest(self, docs: Iterable[int], count: int) -> list[int]:
        """The ``count`` earliest published documents; undated ones last (first found first)."""
        published, seen = self.published, self.seen
        return heapq.nsmallest(count, docs, key=lambda d: (published[d] or 99_999_999, seen[d], d))

    def count(self, field: str, docs: Iterable[int]) -> Counter:
        # Single-valued fields hold a 1-tuple or an empty one, so one code path counts every field.
        return Counter(chain.from_iterable(map(self.doc_values[field].__getitem__, docs)))


def posting_ids(reader, field: str, value: str) -> list[int]:
    """The live doc numbers of a term, read a block at a time.

    Whoosh's ``all_ids()`` costs three Python calls per posting (~6 µs): 1.8 s for the five facet fields at
    50k documents. Reading each block's id array at once needs two private attributes of the whoosh3 codec's
    leaf matcher (whoosh-reloaded is pinned < 2.8); anything else falls back to ``all_ids()``.
    """
    ids: list[int] = []
    for leaf, offset in reader.leaf_readers():
        try:
            matcher = leaf.postings(field, value)
        except TermNotFound:
            continue
        deleted = frozenset()
        if isinstance(matcher, FilterMatcher):  # the deleted-documents filter
            deleted = leaf.deleted_docs_set
            matcher = matcher.child
        local: list[int] = []
        if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
            while matcher.is_active():
                if matcher._ids is None:
                    matcher._read_ids()
                local.extend(matcher._ids[matcher._i : matcher._blocklength])
                matcher._next_block()
        else:
            local.extend(matcher.all_ids())
        ids.extend(d + offset for d in local if d not in deleted)
    return ids


def numeric_column(column) -> list[int]:
    """All values of one segment's numeric column, read in one go rather than one file read per document."""
    try:
        raw = column._dbfile.get(column._basepos, column._count * column._fixedlen)
        values = array(column._typecode, raw)
        if sys.byteorder == "little":
            values.byteswap()  # Whoosh writes columns big-endian
        result = values.tolist()
        return result + [column._default] * (column._doccount - len(result))
    except AttributeError:
        return list(column)


def intersect(sets: list[frozenset[int] | set[int]]) -> set[int] | frozenset[int]:
    """Intersection of the sets, smallest first (the cost of ``a & b`` follows the smaller set)."""
    if not sets:
        raise ValueError("nothing to intersect")
    ordered = sorted(sets, key=len)
    result = ordered[0]
    for other in ordered[1:]:
        if not result:
            break
        result = result & other
    return result


def disjunctive_counts(
    data: FacetData,
    base: set[int] | frozenset[int],
    selections: dict[str, frozenset[int]],
) -> tuple[set[int] | frozenset[int], dict[str, Counter]]:
    """The matching documents, and each facet's counts with the *other* facets' selections applied.

    ``base`` is what the query and the date range match; ``selections`` maps a facet name to the documents its
    selected values allow. A facet's own selection is left out of its counts, so every value it shows leads to
    that many results when clicked (added to the values already selected in it).
    """
    matched = intersect([base, *selections.values()])
    counts: dict[str, Counter] = {}
    for name, field in FACET_FIELDS.items():
        if name in selections:
            others = [s for other, s in selections.items() if other != name]
            docs = intersect([base, *others]) if others else base
        else:
            docs = matched
        counts[name] = data.count(field, docs)
    return matched, counts


def facet_values(
    name: str,
    counts: Counter,
    selected: list[str],
    labels: Callable[[str, str], str] | None,
    groups: dict[str, str] | None = None,
) -> list[FacetValue]:
    chosen = set(selected)
    values = {v for v, n in counts.items() if n > 0} | chosen

    def label(value: str) -> str:
        if labels is None:
            return value
        try:
            return labels(name, value) or value
        except Exception:  # a missing label must not break a search
            return value

    items = [FacetValue(value=v, label=label(v), count=counts.get(v, 0), selected=v in chosen,
                        group=groups.get(v) if groups is not None else None) for v in values]
    if name == "year":
        items.sort(key=lambda f: f.value, reverse=True)
    else:
        items.sort(key=lambda f: (-f.count, f.label.casefold(), f.value))
    return items
