"""Fixed-window rate limits kept in the database (``RateCounter``): every gunicorn worker, and the web process of
another machine behind the same PostgreSQL, sees the same counts.

Atomic by construction: :func:`take` counts the attempt *before* the work it guards (a password check, a mail)
in one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement, and the caller only does the work when the
returned count is within the limit. N simultaneous attempts get N distinct counts, so at most ``limit`` of them
ever proceed (a check-then-count pair would let every attempt that checks before the others count through).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .models import RateCounter, utcnow


def window_start(now: dt.datetime, window_seconds: int) -> dt.datetime:
    epoch = dt.datetime(2000, 1, 1)
    elapsed = int((now - epoch).total_seconds())
    return epoch + dt.timedelta(seconds=elapsed - elapsed % window_seconds)


def _upsert(session: Session):
    # One atomic statement, so two workers hitting the same key at once cannot lose an increment.
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # pragma: no cover - the application supports SQLite and PostgreSQL only
        raise RuntimeError(f"rate limiting: unsupported database {dialect}")
    return insert


def count(session: Session, key: str, window_seconds: int, now: dt.datetime | None = None) -> int:
    """Hits recorded for ``key`` in the current window."""
    start = window_start(now or utcnow(), window_seconds)
    value = session.scalar(select(RateCounter.count).where(RateCounter.key == key, RateCounter.window_start == start))
    return value or 0


def exceeded(session: Session, key: str, limit: int, window_seconds: int, now: dt.datetime | None = None) -> bool:
    """True when ``key`` already used its ``limit`` hits in the current window (does not count a hit)."""
    return count(session, key, window_seconds, now) >= limit


def take(session: Session, key: str, limit: int, window_seconds: int, now: dt.datetime | None = None) -> bool:
    """Count one attempt for ``key``, atomically; True when it is within ``limit`` (the caller may proceed).

    Commit the session before doing the guarded work: on SQLite the statement holds the database's write lock
    until then (and on PostgreSQL the counter's row lock)."""
    now = now or utcnow()
    start = window_start(now, window_seconds)
    insert = _upsert(session)
    stmt = insert(RateCounter).values(key=key, window_start=start, count=1)
    stmt = stmt.on_conflict_do_update(index_elements=["key", "window_start"],
                                      set_={"count": RateCounter.count + 1}).returning(RateCounter.count)
    value = session.execute(stmt).scalar_one()
    # Older windows of this key are dead weight: drop them as we go rather than in a separate job.
    session.execute(delete(RateCounter).where(RateCounter.key == key, RateCounter.window_start < start))
    return value <= limit


def give_back(session: Session, key: str, window_seconds: int, now: dt.datetime | None = None) -> None:
    """Undo one :func:`take` in the current window (an attempt that turned out fine, e.g. a right password)."""
    start = window_start(now or utcnow(), window_seconds)
    session.execute(update(RateCounter).where(RateCounter.key == key, RateCounter.window_start == start,
                                              RateCounter.count > 0).values(count=RateCounter.count - 1))


def reset(session: Session, key: str) -> None:
    session.execute(delete(RateCounter).where(RateCounter.key == key))
