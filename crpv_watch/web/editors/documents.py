"""Curation of documents: lists (all statuses), the editor's view of a document (tags with their explanation,
every place it was found), hide / unhide, « À la une », merge, and the review queue of uncertain tagging.

Theme and type corrections are the override form of ``web/curation.py`` (linked from here, not duplicated).
Every change writes the database and the index queue in one transaction; the index writer (``run`` or
``worker``) carries it into the index within seconds.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ...store import audit, repo, workspace
from ...store.examples import record_example_of
from ...text import wording
from ..auth import login_required
from ..filters import services
from .tagging import tagging_status
from .workspace import ActionForm, user_email

bp = Blueprint("editors_documents", __name__, url_prefix="/editeurs/documents")

PER_PAGE = 25
DOC_ID = re.compile(r"^[0-9a-zA-Z_-]{1,64}$")
# The statuses' French words, capitalised for the badges (one wording: crpv_watch/wording.py).
STATUS_LABELS = {code: text.capitalize() for code, text in wording.WORDS["doc_status"].items()}


class MergeForm(FlaskForm):
    other = StringField("Identifiant ou adresse du doublon à fusionner dans ce document",
                        validators=[DataRequired("Saisissez l'identifiant ou l'adresse du doublon."),
                                    Length(max=2000)],
                        description="Le doublon est masqué ; ses adresses rejoignent ce document.")


def _doc_or_404(db, doc_id: str):
    if not DOC_ID.match(doc_id):
        abort(404)
    doc = repo.get_document(db, doc_id)
    if doc is None:
        abort(404)
    return doc


def _page() -> int:
    return max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))


@bp.route("/")
@login_required
def index():
    status = request.args.get("statut") or None
    if status not in (None, *workspace.STATUSES):
        status = None
    featured = True if request.args.get("une") == "1" else None
    q = (request.args.get("q") or "").strip()[:200] or None
    source_id = (request.args.get("source") or "").strip()[:100] or None
    page = _page()
    with services().db.session() as db:
        total, docs = workspace.list_documents(db, status=status, featured=featured, q=q, source_id=source_id,
                                               limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return render_template("editors/documents.html", docs=docs, total=total, page=page, per_page=PER_PAGE,
                           status=status or "", featured=featured, q=q or "", source_id=source_id or "",
                           status_labels=STATUS_LABELS)


@bp.route("/a-revoir")
@login_required
def review():
    page = _page()
    with services().db.session() as db:
        total, docs = workspace.review_queue(db, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return render_template("editors/review.html", docs=docs, total=total, page=page, per_page=PER_PAGE,
                           reason=workspace.uncertain_reason, confidence=workspace.tagging_confidence,
                           tagging=tagging_status(services()))


@bp.route("/a-la-une")
@login_required
def featured():
    with services().db.session() as db:
        docs = workspace.featured_documents(db)
    return render_template("editors/featured.html", docs=docs)


@bp.route("/<doc_id>")
@login_required
def show(doc_id: str):
    with services().db.session() as db:
        doc = _doc_or_404(db, doc_id)
        overrides = repo.overrides_for(db, doc_id)
        doc.places, doc.themes  # noqa: B018 - loaded before the session closes
        history = audit.entries(db, target=doc_id, limit=20)
    return render_template("editors/document.html", doc=doc, overrides=overrides, history=history,
                           merge_form=MergeForm(), status_labels=STATUS_LABELS, changes=audit.changes)


# The one-click changes of a document (hide, unhide, « À la une », reviewed): each checks the document's state,
# changes it and says what it did; one view takes the form, records the change and queues the document for the
# index. Each change returns (audit action, message to the editor).
def _hide(doc, form) -> tuple[str, str]:
    if doc.status != "active":
        abort(409)
    doc.status = "hidden"
    doc.featured = False  # a hidden document cannot be in the digest
    return "document.hide", "Document masqué : il quitte la recherche et les lettres de veille."


def _unhide(doc, form) -> tuple[str, str]:
    if doc.status != "hidden" or (doc.meta or {}).get("merged_into"):
        abort(409)
    doc.status = "active"
    return "document.unhide", "Document de nouveau consultable."


def _feature(doc, form) -> tuple[str, str]:
    value = form.get("value") == "1"
    if value and doc.status != "active":
        abort(409)
    doc.featured = value
    if value:
        return "document.feature", "Document mis « À la une » pour la prochaine lettre."
    return "document.unfeature", "Document retiré de « À la une »."


def _reviewed(doc, form) -> tuple[str, str]:
    doc.meta = {**(doc.meta or {}), "reviewed": True}
    if doc.doctype != "a_qualifier":  # a confirmed document is a labelled example for `tags train`
        record_example_of(doc, "review", user_email())
    return "document.reviewed", "Document marqué comme vérifié : il quitte la file à revoir."


def _one_click(change):
    def view(doc_id: str):
        form = ActionForm()
        if not form.validate_on_submit():
            abort(400)
        with services().db.session() as db:
            doc = _doc_or_404(db, doc_id)
            before = workspace.snapshot(doc)
            action, message = change(doc, request.form)
            repo.enqueue_index(db, [doc.id])
            audit.record(db, user_email(), action, doc.id, before, workspace.snapshot(doc))
        flash(message, "success")
        return _back(doc_id)

    return login_required(view)


for _endpoint, _rule, _change in (("hide", "/<doc_id>/masquer", _hide), ("unhide", "/<doc_id>/afficher", _unhide),
                                  ("feature", "/<doc_id>/une", _feature),
                                  ("reviewed", "/<doc_id>/verifie", _reviewed)):
    bp.add_url_rule(_rule, _endpoint, _one_click(_change), methods=["POST"])


def _back(doc_id: str):
    target = request.form.get("back") or ""
    if target.startswith("/editeurs/") and not target.startswith("//") and "\\" not in target:
        return redirect(target)
    return redirect(url_for("editors_documents.show", doc_id=doc_id))



@bp.route("/<doc_id>/fusionner", methods=["POST"])
@login_required
def merge(doc_id: str):
    form = MergeForm()
    with services().db.session() as db:
        keep = _doc_or_404(db, doc_id)
        if form.validate_on_submit():
            other_ref = form.other.data.strip()
            other = repo.get_document(db, other_ref) if DOC_ID.match(other_ref) else None
            if other is None:
                place = repo.place_by_url(db, other_ref)
                other = repo.get_document(db, place.document_id) if place else None
            if other is None:
                form.other.errors.append("Aucun document ne porte cet identifiant ou cette adresse.")
            elif other.id == keep.id:
                form.other.errors.append("Un document ne peut pas être fusionné avec lui-même.")
            elif (other.meta or {}).get("merged_into"):
                form.other.errors.append("Ce document a déjà été fusionné dans un autre.")
            else:
                before = {"keep": workspace.snapshot(keep), "duplicate": workspace.snapshot(other)}
                workspace.merge(db, keep, other)
                audit.record(db, user_email(), "document.merge", keep.id, before,
                             {"keep": workspace.snapshot(keep), "duplicate": workspace.snapshot(other)})
                other_id = other.id
        if form.errors or not form.is_submitted():
            overrides = repo.overrides_for(db, doc_id)
            keep.places, keep.themes  # noqa: B018
            history = audit.entries(db, target=doc_id, limit=20)
            return render_template("editors/document.html", doc=keep, overrides=overrides, history=history,
                                   merge_form=form, status_labels=STATUS_LABELS, changes=audit.changes), 400
    flash(f"Document {other_id} fusionné dans celui-ci.", "success")
    return redirect(url_for("editors_documents.show", doc_id=doc_id))
