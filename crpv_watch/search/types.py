"""The one set of search parameters and the one JSON shape of a result, shared by the CLI, the API and the page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

FACETS = ("theme", "pillar", "centre", "region", "department", "qpv", "type", "year", "language")
# The French name of each facet, for pages, mails and messages.
FACET_NAMES = {
    "theme": "Thème",
    "centre": "Centre de ressources",
    "region": "Région",
    "type": "Type de document",
    "year": "Année",
    "department": "Département",
    "qpv": "Quartier prioritaire",
    "language": "Langue",
    "pillar": "Pilier",
}
LANGUAGES = {"fr": "Français", "en": "Anglais", "de": "Allemand", "es": "Espagnol", "it": "Italien",
             "pt": "Portugais", "ar": "Arabe", "nl": "Néerlandais"}
# "date" is newest first (kept for existing URLs), "date_asc" oldest first.
SORTS = ("relevance", "date", "date_asc")


@dataclass
class SearchRequest:
    q: str = ""
    theme: list[str] = field(default_factory=list)
    pillar: list[str] = field(default_factory=list)
    centre: list[str] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    department: list[str] = field(default_factory=list)
    qpv: list[str] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    year: list[str] = field(default_factory=list)
    language: list[str] = field(default_factory=list)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10

    def filters(self) -> dict[str, list[str]]:
        return {name: list(getattr(self, name)) for name in FACETS if getattr(self, name)}

    @classmethod
    def from_args(cls, args: Any, per_page: int = 10) -> SearchRequest:
        """Build from a werkzeug MultiDict (or anything with ``get``/``getlist``); bad values are dropped."""

        def dates(name: str) -> dt.date | None:
            raw = (args.get(name) or "").strip()
            try:
                return dt.date.fromisoformat(raw) if raw else None
            except ValueError:
                return None

        try:
            page = max(1, min(int(args.get("page") or 1), 1000))
        except ValueError:
            page = 1
        sort = args.get("sort") or "relevance"
        return cls(
            q=(args.get("q") or "").strip()[:500],
            **{name: [v for v in args.getlist(name) if v][:50] for name in FACETS},
            date_from=dates("from"),
            date_to=dates("to"),
            sort=sort if sort in SORTS else "relevance",
            page=page,
            per_page=per_page,
        )

    def to_params(self) -> list[tuple[str, str]]:
        """Query-string pairs for a stable, shareable URL of this search state."""
        params: list[tuple[str, str]] = []
        if self.q:
            params.append(("q", self.q))
        for name in FACETS:
            params.extend((name, v) for v in getattr(self, name))
        if self.date_from:
            params.append(("from", self.date_from.isoformat()))
        if self.date_to:
            params.append(("to", self.date_to.isoformat()))
        if self.sort != "relevance":
            params.append(("sort", self.sort))
        if self.page != 1:
            params.append(("page", str(self.page)))
        return params


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False
    group: str | None = None  # theme values: the id of their pillar (None for transversal and method themes)


@dataclass
class SearchHit:
    id: str
    title: str
    url: str
    centre: str
    region: str
    themes: list[str]
    type: str
    published: dt.date | None
    snippet: str  # HTML: escaped text with <mark> around matches
    found_at: list[dict[str, str]] = field(default_factory=list)
    score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "centre": self.centre,
            "region": self.region,
            "themes": list(self.themes),
            "type": self.type,
            "published": self.published.isoformat() if self.published else None,
            "snippet": self.snippet,
            "found_at": list(self.found_at),
        }


@dataclass
class SearchResponse:
    query: str
    total: int
    results: list[SearchHit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    page: int = 1
    per_page: int = 10
    notice: str | None = None  # e.g. fallback to any-word matching
    suggestion: str | None = None  # "Vouliez-vous dire …": a corrected query that finds more
    # How many of the ranked documents (the first ones) hold every word of the query as typed, phrases exact;
    # the others follow in tiers (search/tiers.py). None when browsing without words.
    complete: int | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "results": [hit.to_json() for hit in self.results],
            "facets": {
                name: [_facet_json(f) for f in values]
                for name, values in self.facets.items()
            },
            "notice": self.notice,
            "suggestion": self.suggestion,
            "complete": self.complete,
        }


def _facet_json(f: FacetValue) -> dict[str, Any]:
    out: dict[str, Any] = {"value": f.value, "label": f.label, "count": f.count}
    if f.group is not None:
        out["group"] = f.group
    return out
