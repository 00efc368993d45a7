"""Editors compose « dossiers documentaires »: create, annotate, reorder, publish (every form CSRF-protected).

Documents are added from their page or from a results page (the « Ajouter à un dossier » forms shown to editors
only), or by their id or address here. The forms of the public pages come back to the page they were sent from.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ...store import dossiers as store
from ..auth import login_required
from ..filters import services
from .workspace import user_email

bp = Blueprint("editors_dossiers", __name__, url_prefix="/editeurs/dossiers")


class DossierForm(FlaskForm):
    title = StringField("Titre", validators=[DataRequired("Donnez un titre au dossier."), Length(max=300)])
    intro = TextAreaField("Introduction", validators=[Length(max=20000)])
    published = BooleanField("Publié (visible de tous à son adresse)")


class ActionForm(FlaskForm):
    """Only the CSRF token: the small forms of the dossier page (add, note, move, remove) read their fields."""


def _dossier_or_404(db, dossier_id: int):
    dossier = store.get(db, dossier_id)
    if dossier is None:
        abort(404)
    return dossier


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = DossierForm()
    if form.validate_on_submit():
        with services().db.session() as db:
            dossier = store.create(db, form.title.data.strip(), (form.intro.data or "").strip(), user_email())
            dossier_id = dossier.id
        flash("Dossier créé. Ajoutez-y des documents depuis les résultats d'une recherche ou la page d'un document "
              "(« Ajouter à un dossier »).")
        return redirect(url_for(".edit", dossier_id=dossier_id))
    with services().db.session() as db:
        dossiers = store.all_dossiers(db)
    return render_template("editors/dossiers.html", dossiers=dossiers, form=form)


@bp.route("/<int:dossier_id>", methods=["GET", "POST"])
@login_required
def edit(dossier_id: int):
    with services().db.session() as db:
        dossier = _dossier_or_404(db, dossier_id)
        form = DossierForm(obj=dossier)
        if form.validate_on_submit():
            dossier.title = form.title.data.strip()
            dossier.intro = (form.intro.data or "").strip()
            dossier.published = bool(form.published.data)
            store.touch(dossier)
            flash("Dossier enregistré.")
            return redirect(url_for(".edit", dossier_id=dossier_id))
        return render_template("editors/dossier.html", dossier=dossier, form=form, action_form=ActionForm())


@bp.route("/<int:dossier_id>/documents", methods=["POST"])
@login_required
def change(dossier_id: int):
    """One change of the selection: ``action`` add | note | up | down | remove."""
    if not ActionForm().validate_on_submit():
        abort(400)
    action = request.form.get("action", "")
    note = (request.form.get("note") or "").strip()[:5000]
    with services().db.session() as db:
        dossier = _dossier_or_404(db, dossier_id)
        try:
            item_id = int(request.form.get("item") or 0)
        except ValueError:
            abort(400)
        if action == "add":
            doc_id = (request.form.get("document") or "").strip().rsplit("/", 1)[-1]
            outcome = store.add_document(db, dossier, doc_id, note)
            if outcome is None:
                flash("Document introuvable : collez son identifiant ou l'adresse de sa page.", "error")
                return redirect(url_for(".edit", dossier_id=dossier_id))
            message = (f"Document ajouté au dossier « {dossier.title} »." if outcome == "added" else
                       f"Ce document est déjà dans le dossier « {dossier.title} »"
                       + (" : sa note est mise à jour." if note else "."))
        elif action == "note":
            store.set_note(dossier, item_id, note)
            message = "Note enregistrée."
        elif action in ("up", "down"):
            store.move(dossier, item_id, -1 if action == "up" else 1)
            message = "Ordre modifié."
        elif action == "remove":
            store.remove(dossier, item_id)
            message = "Document retiré du dossier."
        else:
            abort(400)
    back = page_to_return_to(request.form.get("back") or "")
    # Back at a result, the message is shown at that result (where the focus is), not at the top of the page.
    anchor = back.partition("#")[2] if back else ""
    flash(message, f"success@{anchor}" if anchor else "success")
    if back:
        return redirect(back)
    return redirect(url_for(".edit", dossier_id=dossier_id))


_SEARCH_BACK = re.compile(r"/(\?[^\s\\#]{0,2000})?")
_DOCUMENT_BACK = re.compile(r"/documents/[0-9A-Za-z_-]{1,64}")
_RESULT_ANCHOR = re.compile(r"#r-[0-9A-Za-z_-]{1,64}")


def page_to_return_to(back: str) -> str | None:
    """The public page a form came from: a document page, or a results page with its query string (and the
    anchor of the result, so the editor is back where they were in the list). Anything else (another site, a
    scheme-relative ``//host``) is refused: the field must not make this an open redirect."""
    path, anchor = (back.split("#", 1) + [""])[:2]
    anchor = "#" + anchor if anchor else ""
    if anchor and not _RESULT_ANCHOR.fullmatch(anchor):
        return None
    if _DOCUMENT_BACK.fullmatch(path) or _SEARCH_BACK.fullmatch(path):
        return path + anchor
    return None


@bp.route("/ajouter", methods=["POST"])
@login_required
def add_from_document():
    """The forms of a document page and of each search result: the dossier is chosen in a list, so it comes as a
    field."""
    try:
        dossier_id = int(request.form.get("dossier") or 0)
    except ValueError:
        abort(400)
    return change(dossier_id)


def dossiers_for_document_page() -> list[tuple[int, str]]:
    """(id, title) of every dossier, for the « Ajouter à un dossier » forms of a document or results page."""
    with services().db.session() as db:
        return [(d.id, d.title) for d in store.all_dossiers(db)]


def dossiers_of_results(document_ids: list[str]) -> dict[str, list[str]]:
    """document id → titles of the dossiers already holding it, shown to editors under each result."""
    with services().db.session() as db:
        return store.titles_by_document(db, document_ids)
