"""The public search page and the document page."""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, render_template, request, url_for

from ..search.types import FACETS, FacetValue, SearchRequest, SearchResponse
from ..store import repo
from ..store.models import Document, QueryLog
from .filters import date_fr, label, services

bp = Blueprint("search", __name__)

PREVIEW_CHARS = 2000
FACET_VISIBLE = 8  # values shown before the « Voir plus » disclosure


class SearchState:
    """The current search as URLs: what each facet link, chip, sort and page link points to."""

    def __init__(self, req: SearchRequest, response: SearchResponse):
        self.req = req
        self.response = response

    def url(self, req: SearchRequest) -> str:
        params = req.to_params()
        return url_for("search.index") + ("?" + urlencode(params) if params else "")

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

    def hidden_params(self, *exclude: str) -> list[tuple[str, str]]:
        """State to carry in a form's hidden inputs, minus what the form itself edits."""
        return [(k, v) for k, v in dataclasses.replace(self.req, page=1).to_params() if k not in exclude]

    def chips(self) -> list[dict[str, str]]:
        """Active filters, each with its label and the URL that removes it."""
        out = []
        for facet in FACETS:
            for value in getattr(self.req, facet):
                out.append({"facet": facet, "label": self.facet_label(facet, value),
                            "url": self.toggle(facet, value)})
        if self.req.date_from:
            out.append({"facet": "from", "label": f"depuis le {date_fr(self.req.date_from)}",
                        "url": self.with_changes(date_from=None)})
        if self.req.date_to:
            out.append({"facet": "to", "label": f"jusqu'au {date_fr(self.req.date_to)}",
                        "url": self.with_changes(date_to=None)})
        return out

    def facet_label(self, facet: str, value: str) -> str:
        for fv in self.response.facets.get(facet, []):
            if fv.value == value:
                return fv.label
        return label(value, facet)

    def facet_values(self, facet: str) -> list:
        """The engine's values, plus any selected value it did not return, so a filter can always be unticked."""
        values = list(self.response.facets.get(facet, []))
        known = {fv.value for fv in values}
        for value in getattr(self.req, facet):
            if value not in known:
                values.append(FacetValue(value=value, label=self.facet_label(facet, value), count=0,
                                         selected=True))
        for fv in values:
            fv.selected = fv.selected or self.selected(facet, fv.value)
        return values

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


def run_search(args) -> tuple[SearchRequest, SearchResponse]:
    req = SearchRequest.from_args(args, per_page=current_app.config["RESULTS_PER_PAGE"])
    response = services().engine.search(req)
    _log_query(req, response)
    return req, response


def _log_query(req: SearchRequest, response: SearchResponse) -> None:
    # Only fresh searches: paging through results or opening the bare home page is not a new question.
    if req.page != 1 or not (req.q or req.filters() or req.date_from or req.date_to):
        return
    filters = req.filters()
    if req.date_from:
        filters["from"] = req.date_from.isoformat()
    if req.date_to:
        filters["to"] = req.date_to.isoformat()
    try:
        with services().db.session() as db:
            db.add(QueryLog(query=req.q[:500], filters=filters, total=response.total))
    except Exception:  # statistics must never cost the reader their results
        current_app.logger.exception("could not log the query")


@bp.route("/")
def index():
    req, response = run_search(request.args)
    state = SearchState(req, response)
    return render_template("search/index.html", req=req, response=response, state=state, facets=FACETS,
                           facet_visible=FACET_VISIBLE)


def visible_document(doc_id: str) -> Document:
    """The searchable document with this id, or a 404 (unknown, hidden, removed and purged alike)."""
    if not re.fullmatch(r"[0-9a-zA-Z_-]{1,64}", doc_id):
        abort(404)
    with services().db.session() as db:
        doc = repo.get_document(db, doc_id)
        if doc is None or not doc.searchable:
            abort(404)
        # Touch the relationships while the session is open; the template reads them after it closes.
        doc.places, doc.themes  # noqa: B018
    return doc


def preview_paragraphs(text: str, limit: int = PREVIEW_CHARS) -> tuple[list[str], bool]:
    """The first ``limit`` characters of ``text``, cut at a word, as paragraphs; and whether it was cut."""
    text = (text or "").strip()
    cut = len(text) > limit
    if cut:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + " …"
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n|\n", text)]
    return [p for p in paragraphs if p], cut


def document_regions(doc: Document) -> list[str]:
    try:
        source = services().source(doc.source_id)
    except Exception:
        current_app.logger.exception("sources unavailable")
        return []
    return list(source.region) if source else []


@bp.route("/documents/<doc_id>")
def document(doc_id: str):
    doc = visible_document(doc_id)
    paragraphs, truncated = preview_paragraphs(doc.text)
    original = doc.places[0].url if doc.places else doc.canonical_url
    others = [p for p in doc.places if p.url != original]
    return render_template("search/document.html", doc=doc, paragraphs=paragraphs, truncated=truncated,
                           original=original, other_places=others, regions=document_regions(doc))
