"""The pages a French public-interest site must publish: legal notice, personal data, accessibility statement."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, render_template, send_file

from ..filters import services

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


LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}


@bp.route("/logo")
def logo():
    """The network's logo (settings.site_logo): a local PNG or SVG file, never a remote one."""
    path = Path(services().settings.site_logo or "")
    if not services().settings.site_logo or path.suffix.lower() not in LOGO_TYPES or not path.is_file():
        abort(404)
    return send_file(path, mimetype=LOGO_TYPES[path.suffix.lower()], max_age=3600)
