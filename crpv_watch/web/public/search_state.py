"""The current search as URLs and view data: what each facet link, chip, sort option and page link points to.

Every URL is built from ``SearchRequest.to_params()``, so one search state has one stable, shareable address
whichever way it was reached (facet link, form, chip, script).
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlencode

from flask import url_for

from ...search.types import FACETS, SORTS, FacetValue, SearchRequest, SearchResponse
from ..filters import date_fr, group_label, label, theme_group

# The order facets appear in on the page; a facet the engine does not (yet) offer is left out.
PAGE_FACET_ORDER = ("theme", "centre", "region", "department", "qpv", "type", "year", "language")
SORT_LABELS = {"relevance": "Pertinence", "date": "Plus récents", "date_asc": "Plus anciens"}


def page_facets() -> list[str]:
    """The facets shown as lists of boxes; pillars are shown as the headings of the theme groups instead."""
    rest = [f for f in FACETS if f not in PAGE_FACET_ORDER and f != "pillar"]
    return [f for f in PAGE_FACET_ORDER if f in FACETS] + rest


def dom_id(*parts: str) -> str:
    """An HTML id from facet values (codes like « 2A », ids with dots): stable across pages, so the script can
    put the focus back on the same checkbox after it swapped the results in."""
    return "-".join(re.sub(r"[^A-Za-z0-9_-]", "_", p) for p in parts)


class SearchState:
    def __init__(self, req: SearchRequest, response: SearchResponse):
        self.req = req
        self.response = response

    # -- URLs ----------------------------------------------------------------------------------------------

    def url(self, req: SearchRequest, endpoint: str = "search.index", **url_args) -> str:
        params = req.to_params()
        return url_for(endpoint, **url_args) + ("?" + urlencode(params) if params else "")

    def with_changes(self, **changes) -> str:
        changes.setdefault("page", 1)
        return self.url(dataclasses.replace(self.req, **changes))

    def selected(self, facet: str, value: str) -> bool:
        return value in getattr(self.req, facet)

    def toggle(self, facet: str, value: str) -> str:
        values = list(getattr(self.req, facet))
        values = [v for v in values if v != value] if value in values else [*values, value]
        return self.with_changes(**{facet: values})

    def clear_filters(self) -> str:
        return self.url(SearchRequest(q=self.req.q, sort=self.req.sort))

    def page(self, number: int) -> str:
        return self.with_changes(page=number)

    def suggestion_url(self) -> str | None:
        suggestion = self.response.suggestion
        return self.with_changes(q=suggestion) if suggestion and suggestion != self.req.q else None

    def feed_url(self, external: bool = False) -> str:
        # A feed follows the newest documents of a search: its page and sort are the feed's own.
        req = dataclasses.replace(self.req, page=1, sort="relevance")
        return self.url(req, "search.atom", _external=external)

    def document_url(self, doc_id: str) -> str:
        """A result's link, carrying this search so that the document page leads back to it."""
        params = self.req.to_params()
        args = {"recherche": "?" + urlencode(params)} if params else {}
        return url_for("search.document", doc_id=doc_id, **args)

    def panorama_url(self) -> str:
        """The panorama's pictures of this search (its words and filters, not its page or sort)."""
        return self.url(dataclasses.replace(self.req, page=1, sort="relevance"), "panorama.panorama")

    def api_url(self) -> str:
        return self.url(dataclasses.replace(self.req), "api.search")

    def export_url(self, fmt: str) -> str:
        """The export of every result of this search (``csv``, ``ris`` or ``json``: CSL-JSON)."""
        return self.url(dataclasses.replace(self.req, page=1), "search.export", fmt=fmt)

    def hidden_params(self, *exclude: str) -> list[tuple[str, str]]:
        """State to carry in a form's hidden inputs, minus what the form itself edits."""
        return [(k, v) for k, v in dataclasses.replace(self.req, page=1).to_params() if k not in exclude]

    # -- view data -----------------------------------------------------------------------------------------

    def sort_options(self) -> list[tuple[str, str]]:
        return [(s, SORT_LABELS.get(s, s)) for s in SORTS]

    def chips(self) -> list[dict[str, str]]:
        """Active filters, each with its label and the URL that removes it."""
        out = []
        for facet in FACETS:
            for value in getattr(self.req, facet):
                name = self.facet_label(facet, value)
                out.append({"facet": facet, "value": value,
                            "label": f"Tout le pilier {name}" if facet == "pillar" else name,
                            "url": self.toggle(facet, value)})
        if self.req.date_from:
            out.append({"facet": "from", "value": self.req.date_from.isoformat(),
                        "label": f"depuis le {date_fr(self.req.date_from)}",
                        "url": self.with_changes(date_from=None)})
        if self.req.date_to:
            out.append({"facet": "to", "value": self.req.date_to.isoformat(),
                        "label": f"jusqu'au {date_fr(self.req.date_to)}",
                        "url": self.with_changes(date_to=None)})
        return out

    def facet_label(self, facet: str, value: str) -> str:
        for fv in self.response.facets.get(facet, []):
            if fv.value == value and fv.label != value:
                return fv.label
        return label(value, facet)

    def facet_values(self, facet: str) -> list[FacetValue]:
        """The engine's values with a count, plus any selected value it did not return (so a filter can always be
        unticked). Values counted 0 and not selected are left out: no click may lead to an empty page."""
        values = [fv for fv in self.response.facets.get(facet, []) if fv.count > 0 or self.selected(facet, fv.value)]
        known = {fv.value for fv in values}
        for value in getattr(self.req, facet):
            if value not in known:
                values.append(FacetValue(value=value, label=self.facet_label(facet, value), count=0, selected=True))
        for fv in values:
            fv.selected = fv.selected or self.selected(facet, fv.value)
            if fv.label == fv.value and facet not in ("year",):
                fv.label = label(fv.value, facet)
        return values

    def theme_groups(self) -> list[dict]:
        """Theme values grouped by pillar, then transversal axes and method themes (the engine's ``group`` is the
        pillar id, None for the others): each group with its label, its pillar facet value if any, its themes."""
        pillars = {fv.value: fv for fv in self.facet_values("pillar")} if "pillar" in FACETS else {}
        groups: dict[str, dict] = {}
        for fv in self.facet_values("theme"):
            gid, glabel, rank = theme_group(fv.value)
            if fv.group and fv.group != gid:  # the engine's data wins over the thesaurus the web loaded
                gid, glabel, rank = fv.group, group_label(fv.group), rank
            group = groups.setdefault(gid, {"id": gid, "label": glabel, "rank": rank, "values": [],
                                            "pillar": pillars.get(gid)})
            group["values"].append(fv)
        for value, fv in pillars.items():  # a selected pillar whose themes all dropped out stays untickable
            if value not in groups and fv.selected:
                groups[value] = {"id": value, "label": group_label(value), "rank": -1, "values": [], "pillar": fv}
        return sorted(groups.values(), key=lambda g: (g["rank"], g["label"]))

    def pagination(self) -> list[int | None]:
        """Page numbers around the current one; None marks a gap."""
        current, last = self.response.page, self.response.pages
        shown = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
        out: list[int | None] = []
        for n in shown:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out

    def first_shown(self) -> int:
        return (self.response.page - 1) * self.response.per_page + 1

    def last_shown(self) -> int:
        return self.first_shown() + len(self.response.results) - 1
