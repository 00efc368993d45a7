"""Editors: the readers' questions the catalogue answers badly — queries with zero or few results.

Read from ``QueryLog`` (one row per fresh search, see search._log_query). Queries are grouped by their folded
text, so « Jardins partagés » and « jardins partagés » count as one question.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from ...store.models import QueryLog, utcnow
from ..auth import login_required
from ..filters import services

bp = Blueprint("editors_queries", __name__, url_prefix="/editeurs/requetes")

FEW = 2  # a search with at most this many results counts as poorly answered
DAYS = 30
LIMIT = 100


def poor_queries(db, *, days: int = DAYS, few: int = FEW, limit: int = LIMIT) -> list[dict]:
    """The most frequent poorly answered queries of the last ``days`` days, most frequent first."""
    since = utcnow() - dt.timedelta(days=days)
    key = func.lower(func.trim(QueryLog.query))
    rows = db.execute(
        select(key.label("key"), func.count().label("times"), func.max(QueryLog.at).label("last"),
               func.min(QueryLog.total).label("fewest"), func.max(QueryLog.total).label("most"),
               func.max(QueryLog.query).label("query"))
        .where(QueryLog.at >= since, QueryLog.total <= few, key != "")
        .group_by(key)
        .order_by(func.count().desc(), func.max(QueryLog.at).desc())
        .limit(limit)
    ).all()
    return [{"query": r.query.strip(), "times": r.times, "last": r.last, "fewest": r.fewest, "most": r.most}
            for r in rows]


@bp.route("/")
@login_required
def index():
    days = request.args.get("jours", DAYS, type=int) or DAYS
    days = max(1, min(days, 365))
    with services().db.session() as db:
        queries = poor_queries(db, days=days)
    return render_template("editors/queries.html", queries=queries, days=days, few=FEW)
