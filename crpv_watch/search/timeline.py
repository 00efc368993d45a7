"""Publications per month for the panorama's charts: the same matching as a search (query, dates, facets),
counted by month of publication with numpy over the searcher generation's columns."""

from __future__ import annotations

import numpy as np

from .engine import SearchEngine
from .schema import FACET_FIELDS
from .types import SearchRequest


def month_counts(engine: SearchEngine, req: SearchRequest, first_month: int, split: str | None = None,
                 top: int = 6) -> dict[str | None, dict[int, int]]:
    """Documents the request matches, per month of publication (YYYYMM → count) from ``first_month`` on:
    under None for all of them and, with ``split`` (a facet), under each of its ``top`` most present values.
    Undated documents are left out: a picture of « when » cannot place them."""
    with engine._read_lock:
        searcher = engine._current()
        if searcher is None:
            return {None: {}}
        data = engine._facet_data(searcher)
        matched = engine._complete_matches(searcher, data, req)
        months = data._published // 100
        dated = matched & (months >= first_month)
        result = {None: _month_histogram(months[dated])}
        if split is not None:
            field = FACET_FIELDS[split]
            leading = data.count(field, dated).most_common(top)
            for value, _n in leading:
                result[value] = _month_histogram(months[dated & data.selection(field, [value])])
        return result


def _month_histogram(months: np.ndarray) -> dict[int, int]:
    values, counts = np.unique(months, return_counts=True)
    return {int(v): int(c) for v, c in zip(values.tolist(), counts.tolist(), strict=True)}
