"""The pages a French public-interest site must publish: legal notice, personal data, accessibility statement."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("pages", __name__)


@bp.route("/mentions-legales")
def legal():
    return render_template("pages/mentions_legales.html")


@bp.route("/donnees-personnelles")
def privacy():
    return render_template("pages/donnees_personnelles.html")


@bp.route("/accessibilite")
def accessibility():
    return render_template("pages/accessibilite.html")
