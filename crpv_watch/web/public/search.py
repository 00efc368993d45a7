"""The public search page and the document page (the feeds hang on the same blueprint: see feeds.py)."""

from __future__ import annotations

import dataclasses
import re

from flask import Blueprint, abort, current_app, g, render_template, request, url_for

from ...search.known_values import UnknownValue, unknown_values
from ...search.types import SearchHit, SearchRequest, SearchResponse
from ...store import repo
from ...store.models import Document, QueryLog
from ..filters import label, services
from . import citations
from .search_state import SearchState, dom_id, page_facets

__all__ = ["SearchState", "bp", "run_search", "visible_document"]

bp = Blueprint("search", __name__)

PREVIEW_CHARS = 2000
FACET_VISIBLE = 8  # values shown before the « Voir plus » disclosure
SIMILAR_COUNT = 5
FILTERABLE_FACETS = ("centre", "department", "qpv")  # long lists: a box to narrow them (static/search.js)
FILTER_BOX_FROM = 6  # values in such a facet from which the box is offered


def search_request(args, per_page: int | None = None) -> SearchRequest:
    req = SearchRequest.from_args(args, per_page=per_page or current_app.config["RESULTS_PER_PAGE"])
    if req.date_from and req.date_to and req.date_from > req.date_to:
        # Dates typed the wrong way round mean the period between them, not an empty page.
        req.date_from, req.date_to = req.date_to, req.date_from
    return req


def unknown_filters(req: SearchRequest) -> list[UnknownValue]:
    """The request's facet values that no document could have (a typo, an old link), with suggestions."""
    try:
        return unknown_values(req, services().valid_facet_values)
    except Exception:  # the check is a courtesy: a broken vocabulary must not cost the reader their results
        current_app.logger.exception("could not check the facet values")
        return []


def without_unknown(req: SearchRequest, unknown: list[UnknownValue]) -> SearchRequest:
    drop = {(u.facet, u.value) for u in unknown}
    return dataclasses.replace(req, **{facet: [v for v in getattr(req, facet) if (facet, v) not in drop]
                                       for facet in {u.facet for u in unknown}})


def run_search(args, *, log: bool = True, per_page: int | None = None, unknown: list | None = None,
               **overrides) -> tuple[SearchRequest, SearchResponse]:
    """The search of a query string. ``log`` records it for the editors (readers' questions only: not feeds,
    not the facet counts a script asks for). Given a list as ``unknown``, unknown facet values are left out of
    the search and listed there."""
    req = search_request(args, per_page)
    if overrides:
        req = dataclasses.replace(req, **overrides)
    if unknown is not None:
        unknown += unknown_filters(req)
        if unknown:
            req = without_unknown(req, unknown)
    response = services().engine.search(req)
    if log:
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
    unknown: list[UnknownValue] = []
    req, response = run_search(request.args, unknown=unknown)
    state = SearchState(req, response)
    ids = [hit.id for hit in response.results]
    return render_template("search/index.html", req=req, response=response, state=state, facets=page_facets(),
                           formats=result_formats(ids),
                           facet_visible=FACET_VISIBLE, dom_id=dom_id, unknown=unknown,
                           filterable=FILTERABLE_FACETS, filter_box_from=FILTER_BOX_FROM, past_last=response.total > 0 and req.page > response.pages,
                           curation=results_curation(ids))


def results_curation(ids: list[str]) -> dict | None:
    """For a signed-in editor only: the dossiers to offer in each result's « Ajouter à un dossier » form, the
    dossiers each result is already in, and the page to come back to. None for the public."""
    if g.get("user") is None:
        return None
    from ..editors.dossiers import dossiers_for_document_page, dossiers_of_results

    query = request.query_string.decode("utf-8", "replace")
    return {"dossiers": dossiers_for_document_page(), "holding": dossiers_of_results(ids),
            "back": url_for("search.index") + ("?" + query if query else ""),
            "anchors": {f"r-{i}" for i in ids}}  # results that show their own messages (base.html)


def result_formats(ids: list[str]) -> dict[str, str]:
    """id → « PDF, 24 pages » or « Page web », for the markers of a results page."""
    try:
        with services().db.session() as db:
            found = repo.formats(db, ids)
    except Exception:  # a marker is a nicety: never cost the reader their results
        current_app.logger.exception("could not read the documents' formats")
        return {}
    out = {}
    for doc_id, (content_type, pages) in found.items():
        if content_type == "application/pdf":
            out[doc_id] = "PDF" + (f", {pages} page{'s' if pages > 1 else ''}" if pages else "")
        elif content_type:
            out[doc_id] = "Page web"
    return out


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


HEADING_END = tuple(".,;:!?…»\"')")


def looks_like_heading(line: str, following: str | None) -> bool:
    """A short line without closing punctuation, starting with a capital or a number, before a longer paragraph:
    the text's own subheading (« Les objectifs », « 2. Le diagnostic partagé »)."""
    return (2 <= len(line) <= 90 and not line.endswith(HEADING_END) and (line[0].isupper() or line[0].isdigit())
            and following is not None and len(following) > max(len(line), 60))


def preview_blocks(text: str, limit: int = PREVIEW_CHARS) -> tuple[list[tuple[str, str]], bool]:
    """The preview as (« heading » | « paragraph », text) blocks, so the page can show subheadings as headings."""
    paragraphs, cut = preview_paragraphs(text, limit)
    blocks = []
    for i, p in enumerate(paragraphs):
        following = paragraphs[i + 1] if i + 1 < len(paragraphs) else None
        blocks.append(("heading" if i and looks_like_heading(p, following) else "paragraph", p))
    return blocks, cut


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
    paragraphs, truncated = preview_blocks(doc.text)
    original = original_url(doc)
    others = [p for p in doc.places if p.url != original]
    pdfs = pdf_links(doc, original)
    from ..editors import curation
    from ..editors.dossiers import dossiers_for_document_page

    return render_template("search/document.html", doc=doc, paragraphs=paragraphs, truncated=truncated,
                           back=search_back_link(request.args.get("recherche")),
                           original=original, other_places=others, regions=document_regions(doc),
                           territories=curation.territories_of(doc), field_names=curation.FIELD_NAMES,
                           tags_form=curation.form_for(doc) if g.get("user") is not None else None,
                           pdfs=pdfs, similar=similar_documents(doc.id),
                           citation_meta=citations.meta_tags(citation_of(doc)),
                           dossier_choices=dossiers_for_document_page() if g.get("user") is not None else None)


def original_url(doc: Document) -> str:
    """Where a reader finds the document: its first place, or for a catalogue record (OAI-PMH) the document the
    record links to rather than the record's XML."""
    linked = ((doc.meta or {}).get("oai") or {}).get("links") or []
    return linked[0] if linked else (doc.places[0].url if doc.places else doc.canonical_url)


def search_back_link(value: str | None) -> str | None:
    """The search the reader came from (its query string, passed by the result's link), as a local URL."""
    if not value or len(value) > 2000 or not value.startswith("?") or any(c in value for c in "\r\n\\"):
        return None
    return url_for("search.index") + value


def pdf_links(doc: Document, original: str) -> list[str]:
    """The PDF versions of the document: itself when it is one, and any place that serves a PDF."""
    urls = [original] if doc.content_type == "application/pdf" else []
    urls += [p.url for p in doc.places if p.url not in urls and p.url.lower().split("?")[0].endswith(".pdf")]
    return urls


def citation_of(doc: Document) -> citations.Citation:
    """The reference of a stored document (places and themes loaded), for exports and the page's meta tags."""
    original = original_url(doc)
    pdfs = pdf_links(doc, original)
    return citations.Citation(
        id=doc.id, title=doc.title or "Document sans titre",
        page_url=services().settings.base_url.rstrip("/") + url_for("search.document", doc_id=doc.id),
        url=original, publisher=label(doc.source_id, "centre") or doc.source_id, doctype=doc.doctype,
        doctype_label=label(doc.doctype, "type"), authors=citations.split_authors(doc.author),
        published=doc.published, accessed=doc.first_seen_at.date() if doc.first_seen_at else None,
        abstract=doc.summary or "", keywords=[label(t.theme_id, "theme") for t in doc.themes],
        language=doc.language or "", pdf_url=pdfs[0] if pdfs else "",
        is_pdf=doc.content_type == "application/pdf")


def similar_documents(doc_id: str, limit: int = SIMILAR_COUNT) -> list[SearchHit]:
    """« Documents similaires »: the engine's more-like-this, never the document itself."""
    try:
        hits = services().engine.more_like_this(doc_id, limit=limit + 1)
    except Exception:  # a side list must never cost the reader the document
        current_app.logger.exception("more_like_this failed for %s", doc_id)
        return []
    return [h for h in hits if h.id != doc_id][:limit]

