"""Interfaces for feed readers and browsers: an Atom feed of any search, and the OpenSearch description.

Both are XML built with ElementTree rather than templates, so every title, snippet and URL is escaped by the
serializer. Links are absolute, from ``settings.base_url``: a feed is read away from the site, and behind a
proxy the request's own host is not the public one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from flask import Response, request, url_for

from ...store import repo
from ..filters import label, services
from .search import bp, run_search

ATOM = "http://www.w3.org/2005/Atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
FEED_SIZE = 30
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def absolute(path: str) -> str:
    return services().settings.base_url.rstrip("/") + path


def _with_params(endpoint: str, params: list[tuple[str, str]]) -> str:
    return absolute(url_for(endpoint)) + ("?" + urlencode(params) if params else "")


def _stamp(day: dt.date | dt.datetime | None) -> str:
    """RFC 3339 for Atom: a publication date is taken at midnight UTC (the index keeps days, not times)."""
    if day is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    if not isinstance(day, dt.datetime):
        day = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    elif day.tzinfo is None:
        day = day.replace(tzinfo=dt.UTC)
    return day.replace(microsecond=0).isoformat()


def _first_seen(ids: list[str]) -> dict[str, dt.datetime]:
    """When undated documents were first found: their Atom ``updated`` must not change at every fetch."""
    with services().db.session() as db:
        return repo.first_seen(db, ids)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


@bp.route("/search.atom")
def atom():
    # Newest first whatever the page asked: a feed reader shows what is new.
    req, response = run_search(request.args, log=False, per_page=FEED_SIZE, sort="date", page=1)
    params = dataclasses.replace(req, sort="relevance").to_params()
    site = services().settings.site_name
    feed = ET.Element("feed", {"xmlns": ATOM, XML_LANG: "fr"})
    title = f"« {req.q} »" if req.q else "Tous les documents"
    chips = [label(v, facet) for facet, values in req.filters().items() for v in values]
    if chips:
        title += " — " + ", ".join(chips)
    _sub(feed, "title", f"{title} — {site}")
    _sub(feed, "subtitle", "Les derniers documents des centres de ressources politique de la ville pour cette recherche.")
    _sub(feed, "id", _with_params("search.atom", params))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=_with_params("search.atom", params))
    _sub(feed, "link", rel="alternate", type="text/html", href=_with_params("search.index", params))
    seen = _first_seen([h.id for h in response.results if not h.published])
    stamps = {h.id: _stamp(h.published or seen.get(h.id)) for h in response.results}
    _sub(feed, "updated", max(stamps.values(), default=None) or _stamp(None))
    author = _sub(feed, "author")
    _sub(author, "name", site)
    _sub(feed, "generator", "crpv-watch")
    for hit in response.results:
        entry = _sub(feed, "entry")
        page = absolute(url_for("search.document", doc_id=hit.id))
        _sub(entry, "title", hit.title or "Document sans titre", type="text")
        _sub(entry, "id", page)
        _sub(entry, "link", rel="alternate", type="text/html", href=page)
        if hit.url:
            _sub(entry, "link", rel="related", href=hit.url, title="Document original")
        _sub(entry, "updated", stamps[hit.id])
        if hit.published:
            _sub(entry, "published", _stamp(hit.published))
        entry_author = _sub(entry, "author")
        _sub(entry_author, "name", label(hit.centre, "centre") or site)
        for theme in hit.themes:
            _sub(entry, "category", term=theme, label=label(theme, "theme"))
        if hit.snippet:
            # The snippet is HTML (escaped text and <mark>): type="html" carries it escaped once more.
            _sub(entry, "summary", hit.snippet, type="html")
    # Plain tag names under an explicit xmlns: ElementTree would otherwise invent an ns0: prefix.
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, mimetype="application/atom+xml", headers={"Cache-Control": "public, max-age=300"})


@bp.route("/opensearch.xml")
def opensearch():
    settings = services().settings
    root = ET.Element("OpenSearchDescription", {"xmlns": OPENSEARCH})

    def add(tag: str, text: str | None = None, **attrs: str) -> None:
        element = ET.SubElement(root, tag, attrs)
        if text is not None:
            element.text = text

    add("ShortName", settings.site_name[:16])
    add("LongName", settings.site_name[:48])
    add("Description", f"{settings.site_description} — rechercher dans les ressources des centres de ressources "
                       f"politique de la ville"[:1024])
    if settings.publisher_contact:
        add("Contact", settings.publisher_contact)
    add("Tags", "politique de la ville CRPV quartiers")
    add("Language", "fr-FR")
    add("InputEncoding", "UTF-8")
    add("OutputEncoding", "UTF-8")
    add("Image", absolute(url_for("static", filename="favicon.svg")), type="image/svg+xml", width="16", height="16")
    add("Url", type="text/html", method="get", template=absolute(url_for("search.index")) + "?q={searchTerms}")
    add("Url", type="application/atom+xml", template=absolute(url_for("search.atom")) + "?q={searchTerms}")
    add("Url", type="application/json", template=absolute(url_for("api.search")) + "?q={searchTerms}")
    add("Url", type="application/opensearchdescription+xml", rel="self",
        template=absolute(url_for("search.opensearch")))
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, mimetype="application/opensearchdescription+xml",
                    headers={"Cache-Control": "public, max-age=86400"})
