"""Editors: the readers' questions the catalogue answers badly — queries with zero or few results.

Read from the search log (``store/query_log.py``); queries are grouped by their folded text.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ...store import query_log
from ..auth import login_required
from ..filters import services

bp = Blueprint("editors_queries", __name__, url_prefix="/editeurs/requetes")

FEW = 2  # a search with at most this many results counts as poorly answered
DAYS = 30
LIMIT = 100


@bp.route("/")
@login_required
def index():
    days = request.args.get("jours", DAYS, type=int) or DAYS
    days = max(1, min(days, 365))
    with services().db.session() as db:
        queries = query_log.poor_queries(db, days=days, few=FEW, limit=LIMIT)
    return render_template("editors/queries.html", queries=queries, days=days, few=FEW)
