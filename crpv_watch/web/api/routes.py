"""The JSON API: the same parameters as the search page, the one JSON shape of ``SearchResponse.to_json()``,
described by the OpenAPI document at /api/openapi.json (the tests validate real responses against it)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ...search.known_values import UnknownValue
from ..filters import services
from ..public.exports import export_response
from ..public.search import document_regions, run_search, search_request, unknown_filters, visible_document
from . import openapi

bp = Blueprint("api", __name__, url_prefix="/api")


def _refused(unknown: list[UnknownValue]):
    """400 with the closest valid values: a silent empty answer would read as « nothing on this subject »."""
    label = services().label
    return jsonify({"error": "Valeur de filtre inconnue", "message": " ".join(u.message(label) for u in unknown),
                    "status": 400, "unknown": [u.to_json() for u in unknown]}), 400


@bp.route("/search")
def search():
    unknown = unknown_filters(search_request(request.args))
    if unknown:
        return _refused(unknown)
    req, response = run_search(request.args)
    if req.page > response.pages and (response.total or req.page > 1):
        return jsonify({"error": "Page introuvable", "status": 404, "pages": response.pages,
                        "message": f"La page {req.page} n'existe pas : cette recherche tient en "
                                   f"{response.pages} page{'s' if response.pages > 1 else ''}."}), 404
    return jsonify(response.to_json())


@bp.route("/export")
def export():
    # The search page's exports for scripts: ``format`` is csv, ris or json (CSL-JSON).
    return export_response(request.args.get("format"), request.args)


@bp.route("/facets")
def facets():
    # Facet counts only (a script refreshing counts, a partner site): not a reader's question, so not logged.
    unknown = unknown_filters(search_request(request.args))
    if unknown:
        return _refused(unknown)
    _req, response = run_search(request.args, log=False, per_page=1, page=1)
    data = response.to_json()
    return jsonify({"query": data["query"], "total": data["total"], "facets": data["facets"]})


@bp.route("/documents/<doc_id>")
def document(doc_id: str):
    doc = visible_document(doc_id)
    places = doc.places
    return jsonify({
        "id": doc.id,
        "title": doc.title,
        "url": places[0].url if places else doc.canonical_url,
        "canonical_url": doc.canonical_url,
        "centre": doc.source_id,
        "region": document_regions(doc),
        "themes": [t.theme_id for t in doc.themes],
        "type": doc.doctype,
        "published": doc.published.isoformat() if doc.published else None,
        "first_seen": doc.first_seen_at.isoformat() if doc.first_seen_at else None,
        "summary": doc.summary,
        "language": doc.language,
        "content_type": doc.content_type,
        "pages": doc.pages,
        "departments": list(doc.departments or []),
        "qpvs": list(doc.qpvs or []),
        "found_at": [{"url": p.url, "centre": p.source_id} for p in places],
    })


@bp.route("/openapi.json")
def openapi_document():
    return jsonify(openapi.document())
