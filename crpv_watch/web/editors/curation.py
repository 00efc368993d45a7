"""Editors' corrections on the document page: themes added or removed, type changed (CSRF-protected POST).

The page reads the database, so a correction shows at once; the index follows when the index writer drains the
queue (`crpv-watch run`'s scheduler, or the next `crawl`).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from ...store import repo
from ...store.examples import record_example
from ...store.models import Document
from ...tagging.overrides import OverrideError, set_tags
from ...tagging.territory import qpv_names
from ..auth import login_required
from ..filters import services

bp = Blueprint("curation", __name__)

FIELD_NAMES = {"title": "titre", "summary": "résumé", "body": "texte", "url": "adresse", "source": "source",
               "editor": "éditeur", "rule": "règle", "content_type": "format", "fallback": "par défaut",
               "commune": "commune", "qpv": "quartier prioritaire"}


class TagsForm(FlaskForm):
    themes = SelectMultipleField("Thèmes", choices=[], option_widget=CheckboxInput(),
                                 widget=ListWidget(prefix_label=False))
    doctype = SelectField("Type de document", choices=[])


def form_for(doc: Document | None = None) -> TagsForm:
    vocabulary = services().vocabulary
    form = TagsForm(formdata=None) if doc is not None else TagsForm()
    form.themes.choices = [SelectChoice(t.id, t.label) for t in vocabulary.themes.values()]
    form.doctype.choices = [SelectChoice(d.id, d.label)
                            for d in sorted(vocabulary.doctypes.values(), key=lambda d: d.label)]
    if doc is not None:
        form.themes.data = [t.theme_id for t in doc.themes]
        form.doctype.data = doc.doctype
    return form


def territories_of(doc: Document) -> dict:
    """Department and QPV labels, and the explanation of each, for the document page."""
    names = qpv_names()
    explained = {(e.get("kind"), e.get("value")): e for e in (doc.meta or {}).get("territory_explanation") or []}
    return {
        "departments": [(c, services().label("department", c), explained.get(("department", c)))
                        for c in doc.departments or []],
        "qpvs": [(c, f"{names.get(c, c)} ({c})", explained.get(("qpv", c))) for c in doc.qpvs or []],
    }


@bp.route("/documents/<doc_id>/themes", methods=["POST"])
@login_required
def update_tags(doc_id: str):
    form = form_for()
    if not form.validate_on_submit():
        abort(400)
    vocabulary = services().vocabulary
    with services().db.session() as db:
        doc = repo.get_document(db, doc_id)
        if doc is None or not doc.searchable:
            abort(404)
        current = {t.theme_id for t in doc.themes}
        wanted = set(form.themes.data or [])
        add = sorted(wanted - current)
        remove = sorted(t for t in current - wanted if t in vocabulary.themes)
        doctype = form.doctype.data if form.doctype.data != doc.doctype else None
        if not (add or remove or doctype):
            # Saving the tagger's labels unchanged confirms them: a labelled example for `tags train`.
            record_example(db, doc, "form", g.user.email)
            flash("Aucun changement : étiquetage confirmé.", "info")
            return redirect(url_for("search.document", doc_id=doc_id))
        try:
            set_tags(db, doc_id, vocabulary, add=add, remove=remove, doctype=doctype, user_email=g.user.email,
                     origin=request.form.get("origin") or "form")
        except OverrideError:
            abort(400)
    flash("Thèmes et type enregistrés : ils l'emportent désormais sur l'étiquetage automatique.", "success")
    return redirect(url_for("search.document", doc_id=doc_id))
