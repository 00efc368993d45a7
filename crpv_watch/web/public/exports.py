"""Exports of any search for reference managers and spreadsheets: CSV, RIS and CSL-JSON.

The same query string as the search page (``SearchRequest.from_args``), so a reader exports what they see:
``/export.csv?q=…``, ``/export.ris?…``, ``/export.json?…`` or ``/export?format=ris&…``; the API answers the same
at ``/api/export``. Results come in the page's order, up to ``EXPORT_LIMIT`` documents.
"""

from __future__ import annotations

from flask import Response, abort, request

from ...search.types import SearchRequest
from ...store import repo
from ..filters import services
from . import citations
from .search import bp, citation_of, run_search

EXPORT_LIMIT = 1000
PAGE = 100  # the engine's largest page
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv", citations.to_csv),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris", citations.to_ris),
    "json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json", citations.to_csl_json),
}
FORMAT_ALIASES = {"csl": "json", "csl-json": "json", "csljson": "json"}


def search_citations(args) -> tuple[SearchRequest, list[citations.Citation]]:
    """Every result of the search of ``args`` (page and page size aside), in the page's order."""
    req, response = run_search(args, log=False, per_page=PAGE, page=1)
    ids = [h.id for h in response.results]
    page = 1
    while len(ids) < min(response.total, EXPORT_LIMIT) and response.results:
        page += 1
        _req, response = run_search(args, log=False, per_page=PAGE, page=page)
        ids += [h.id for h in response.results]
    ids = ids[:EXPORT_LIMIT]
    with services().db.session() as db:
        docs = {d.id: d for d in repo.documents_by_ids(db, ids)}
        found = [citation_of(docs[i]) for i in ids if i in docs and docs[i].searchable]
    return req, found


def export_response(fmt: str | None, args) -> Response:
    fmt = FORMAT_ALIASES.get((fmt or "").lower(), (fmt or "").lower())
    if fmt not in FORMATS:
        abort(404)
    mimetype, extension, serialize = FORMATS[fmt]
    _req, found = search_citations(args)
    return Response(serialize(found), content_type=mimetype, headers={
        "Content-Disposition": f'attachment; filename="crpv-watch-recherche.{extension}"',
        "Cache-Control": "public, max-age=300",
    })


@bp.route("/export.<fmt>")
def export(fmt: str):
    return export_response(fmt, request.args)


@bp.route("/export")
def export_by_parameter():
    return export_response(request.args.get("format"), request.args)

