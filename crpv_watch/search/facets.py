"""Facet data built once per searcher generation, and disjunctive facet counting over doc-number masks.

Whoosh's ``groupedby`` rebuilds doc → terms from every posting of a multi-valued field on each search (seconds
at 50k documents, see ../shared/notes/whoosh-measurements.md). Here the postings are read once per generation
into value → doc-number arrays and doc → value-index arrays; a search then counts with numpy over boolean masks.
"""

from __future__ import annotations

import sys
from array import array
from collections import Counter
from collections.abc import Callable, Iterable

import numpy as np
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound

from .schema import FACET_FIELDS
from .types import FacetValue


class FacetData:
    """Doc-number keyed arrays of one searcher generation (global doc numbers of that searcher).

    Counting is numpy over boolean masks of doc numbers: for each facet field, a single-valued one keeps an int
    array doc → value index (``n`` = no value), a multi-valued one its (doc, value) pairs sorted by doc (a CSR
    layout: ``entry_docs`` the row of each entry, ``entry_values`` its column); a facet's counts are one
    ``np.bincount`` of the value indexes of the matched documents.
    """

    def __init__(self, searcher):
        reader = searcher.reader()
        size = reader.doc_count_all()
        self.size = size
        self.all_docs: frozenset[int] = frozenset(reader.all_doc_ids())
        self.all_mask = self.mask(self.all_docs)
        self.value_docs: dict[str, dict[str, frozenset[int]]] = {}
        self.value_ids: dict[str, dict[str, np.ndarray]] = {}  # value → its sorted doc numbers
        self.values: dict[str, list[str]] = {}  # value index → value
        self.single: dict[str, np.ndarray] = {}  # single-valued fields: doc → value index (len(values) = none)
        self.entry_docs: dict[str, np.ndarray] = {}  # multi-valued fields: (doc, value) pairs sorted by doc
        self.entry_values: dict[str, np.ndarray] = {}
        for field in FACET_FIELDS.values():
            by_value: dict[str, frozenset[int]] = {}
            arrays: dict[str, np.ndarray] = {}
            if field in reader.schema:
                for value in reader.field_terms(field):
                    ids = posting_ids(reader, field, value)
                    if not ids:
                        continue  # the term survives in the lexicon after its documents were deleted
                    by_value[value] = frozenset(ids)
                    arrays[value] = np.unique(np.asarray(ids, dtype=np.int64))
            self.value_docs[field] = by_value
            self._add_field(field, arrays)
        self.published = self._column(reader, "published", size)
        self.seen = self._column(reader, "seen", size)
        self._published = np.asarray(self.published, dtype=np.int64)
        self._newest: np.ndarray | None = None
        self._oldest: np.ndarray | None = None

    def _add_field(self, field: str, arrays: dict[str, np.ndarray]) -> None:
        """Keeps a facet field's value → sorted doc numbers arrays, and its doc → value layout for counting."""
        names = list(arrays)
        self.value_ids[field] = arrays
        self.values[field] = names
        docs = np.concatenate([arrays[v] for v in names]) if names else np.zeros(0, np.int64)
        vals = np.concatenate([np.full(len(arrays[v]), i, np.int32) for i, v in enumerate(names)]) \
            if names else np.zeros(0, np.int32)
        if len(np.unique(docs)) == len(docs):
            column = np.full(self.size, len(names), np.int32)
            column[docs] = vals
            self.single[field] = column
        else:
            order = np.argsort(docs, kind="stable")
            self.entry_docs[field] = docs[order]
            self.entry_values[field] = vals[order]

    @staticmethod
    def _column(reader, field: str, size: int) -> list[int]:
        values: list[int] = []
        for leaf, offset in reader.leaf_readers():
            values += [0] * (offset - len(values))
            if leaf.has_column(field):
                values += numeric_column(leaf.column_reader(field, translate=False))
        return values[:size] + [0] * (size - len(values))

    def mask(self, docs: Iterable[int]) -> np.ndarray:
        """A boolean array over the doc numbers, true for ``docs``."""
        result = np.zeros(self.size, dtype=bool)
        if not isinstance(docs, (set, frozenset, list, tuple)):
            docs = list(docs)
        if docs:
            result[np.fromiter(docs, dtype=np.int64, count=len(docs))] = True
        return result

    @staticmethod
    def docs(mask: np.ndarray) -> set[int]:
        return set(np.flatnonzero(mask).tolist())

    def selection(self, field: str, values: Iterable[str]) -> np.ndarray:
        """Mask of the documents with any of ``values`` (values within one facet are OR-ed)."""
        arrays = self.value_ids.get(field, {})
        result = np.zeros(self.size, dtype=bool)
        for v in values:
            if v in arrays:
                result[arrays[v]] = True
        return result

    def date_filter(self, mask: np.ndarray, low: int, high: int) -> np.ndarray:
        published = self._published
        return mask & (published >= low) & (published <= high)

    def newest(self, mask: np.ndarray, count: int) -> list[int]:
        """The ``count`` most recently published documents; undated ones last, newest found first."""
        if self._newest is None:
            seen = np.asarray(self.seen, dtype=np.int64)
            # Order of heapq.nlargest(key=(published, seen, -d)): published and seen descending, d ascending.
            self._newest = np.lexsort((np.arange(self.size), -seen, -self._published))
        order = self._newest
        return order[mask[order]][:count].tolist()

    def oldest(self, mask: np.ndarray, count: int) -> list[int]:
        """The ``count`` earliest published documents; undated ones last (first found first)."""
        if self._oldest is None:
            seen = np.asarray(self.seen, dtype=np.int64)
            published = np.where(self._published == 0, 99_999_999, self._published)
            self._oldest = np.lexsort((np.arange(self.size), seen, published))
        order = self._oldest
        return order[mask[order]][:count].tolist()

    def count(self, field: str, mask: np.ndarray) -> Counter:
        names = self.values[field]
        if field in self.single:
            counts = np.bincount(self.single[field][mask], minlength=len(names) + 1)[: len(names)]
        else:
            counts = np.bincount(self.entry_values[field][mask[self.entry_docs[field]]], minlength=len(names))
        return Counter({names[i]: int(counts[i]) for i in np.flatnonzero(counts).tolist()})


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


def request_selections(data: FacetData, filters: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """Each facet's selection mask for a request's filters. A pillar is the sum of its themes: « Tout le pilier »
    plus one of its themes (or another's) widen the theme box's choice together, as two themes do, instead of
    narrowing it, so both are keyed "theme"."""
    selections = {name: data.selection(FACET_FIELDS[name], values) for name, values in filters.items()}
    if "pillar" in selections:
        pillar = selections.pop("pillar")
        selections["theme"] = selections["theme"] | pillar if "theme" in selections else pillar
    return selections


# Facets counted as one box: the pillar's « Tout le pilier » entries sit among the themes (the selection of both
# is keyed "theme" then).
FACET_GROUPS = {"pillar": "theme"}


def disjunctive_counts(
    data: FacetData,
    base: np.ndarray,
    selections: dict[str, np.ndarray],
    groups: dict[str, str] | None = None,
) -> tuple[np.ndarray, dict[str, Counter]]:
    """The mask of the matching documents, and each facet's counts with the *other* facets' selections applied.

    ``base`` is the mask of what the query and the date range match; ``selections`` maps a facet name to the
    mask of the documents its selected values allow. A facet's own selection is left out of its counts, so
    every value it shows leads to that many results when clicked (added to the values already selected in it).
    """
    matched = np.logical_and.reduce([base, *selections.values()]) if selections else base
    counts: dict[str, Counter] = {}
    for name, field in FACET_FIELDS.items():
        own = name if name in selections else (groups or {}).get(name, name)
        if own in selections:
            others = [s for other, s in selections.items() if other != own]
            docs = np.logical_and.reduce([base, *others]) if others else base
        else:
            docs = matched
        counts[name] = data.count(field, docs)
    return matched, counts


def label_or_value(labels: Callable[[str, str], str] | None, facet: str, value: str) -> str:
    """The label of a facet value, or the value itself when there is none (or finding it fails)."""
    if labels is None:
        return value
    try:
        return labels(facet, value) or value
    except Exception:  # a missing label must not break a search
        return value


def facet_values(
    name: str,
    counts: Counter,
    selected: list[str],
    labels: Callable[[str, str], str] | None,
    groups: dict[str, str] | None = None,
) -> list[FacetValue]:
    chosen = set(selected)
    values = {v for v, n in counts.items() if n > 0} | chosen

    items = [FacetValue(value=v, label=label_or_value(labels, name, v), count=counts.get(v, 0), selected=v in chosen,
                        group=groups.get(v) if groups is not None else None) for v in values]
    if name == "year":
        items.sort(key=lambda f: f.value, reverse=True)
    else:
        items.sort(key=lambda f: (-f.count, f.label.casefold(), f.value))
    return items
