"""Published « dossiers documentaires »: the list, one dossier's page (it prints well: see style.css @media print)
and its Atom feed, newest additions first, for readers who follow it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Blueprint, Response, abort, render_template, url_for

from ... import urls
from ...store import dossiers as store
from ..filters import services
from .feeds import ATOM, XML_LANG, _stamp, _sub, absolute

bp = Blueprint("dossiers", __name__, url_prefix="/dossiers")


def published_or_404(slug: str):
    with services().db.session() as db:
        dossier = store.by_slug(db, slug)
        if dossier is None or not dossier.published:
            abort(404)
        # Only documents still searchable: a hidden or removed document leaves the public dossier too.
        items = [i for i in dossier.items if i.document.searchable]
    return dossier, items


@bp.route("/")
def index():
    with services().db.session() as db:
        dossiers = store.published_dossiers(db)
    return render_template("dossiers/index.html", dossiers=dossiers)


@bp.route("/<slug>")
def show(slug: str):
    dossier, items = published_or_404(slug)
    return render_template("dossiers/show.html", dossier=dossier, items=items,
                           follow_url=urls.follow_dossier(dossier.slug))


@bp.route("/<slug>.atom")
def atom(slug: str):
    dossier, items = published_or_404(slug)
    page = absolute(url_for("dossiers.show", slug=slug))
    feed = ET.Element("feed", {"xmlns": ATOM, XML_LANG: "fr"})
    _sub(feed, "title", f"{dossier.title} — dossier documentaire — {services().settings.site_name}")
    _sub(feed, "id", page)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=absolute(url_for("dossiers.atom", slug=slug)))
    _sub(feed, "link", rel="alternate", type="text/html", href=page)
    _sub(feed, "updated", _stamp(dossier.updated_at))
    _sub(_sub(feed, "author"), "name", services().settings.site_name)
    for item in sorted(items, key=lambda i: i.added_at, reverse=True):
        doc = item.document
        entry = _sub(feed, "entry")
        link = absolute(url_for("search.document", doc_id=doc.id))
        _sub(entry, "title", doc.title or "Document sans titre", type="text")
        _sub(entry, "id", f"{page}#{doc.id}")
        _sub(entry, "link", rel="alternate", type="text/html", href=link)
        _sub(entry, "updated", _stamp(item.added_at))
        if item.note:
            _sub(entry, "summary", item.note, type="text")
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, mimetype="application/atom+xml", headers={"Cache-Control": "public, max-age=300"})
