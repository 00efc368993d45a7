"""The readers' searches as ``QueryLog`` keeps them (one row per fresh search, see search._log_query), read back
for the editors: which questions the catalogue answers badly."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import QueryLog, utcnow


def poor_queries(session: Session, *, days: int, few: int, limit: int) -> list[dict]:
    """The most frequent queries of the last ``days`` days that gave at most ``few`` results, most frequent first.

    Queries are grouped by their trimmed lower-case text, so « Jardins partagés » and « jardins partagés » count
    as one question."""
    since = utcnow() - dt.timedelta(days=days)
    key = func.lower(func.trim(QueryLog.query))
    rows = session.execute(
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
