"""Queries of the digest run: the period's new documents, and the send log (``Digest``) that makes each letter go
out exactly once per subscriber and period."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from .models import Digest, Document

UNFINISHED = ("sending", "failed")
# Raised when another run recorded the same (subscriber, period) first: the unique key is the exactly-once guard.
AlreadyRecorded = IntegrityError


def new_documents(session: Session, since: dt.datetime, until: dt.datetime, oldest: dt.date) -> list[Document]:
    """Documents first seen in (since, until], not from a source's first crawl, searchable, and published on or
    after ``oldest`` (undated ones count as published when found); places and themes loaded."""
    return list(session.scalars(
        select(Document)
        .where(Document.first_seen_at > since, Document.first_seen_at <= until,
               Document.from_first_crawl.is_(False), Document.status == "active",
               or_(Document.published.is_(None), Document.published >= oldest))
        .order_by(Document.first_seen_at)
        .options(selectinload(Document.places), selectinload(Document.themes))))


def unfinished(session: Session) -> list[Digest]:
    """Digests left ``sending`` (the process died) or ``failed`` (a transient failure), oldest first."""
    return list(session.scalars(select(Digest).where(Digest.status.in_(UNFINISHED)).order_by(Digest.id)))


def has_unfinished(session: Session, subscriber_id: int) -> bool:
    return session.scalar(select(Digest.id).where(Digest.subscriber_id == subscriber_id,
                                                  Digest.status.in_(UNFINISHED)).limit(1)) is not None


def periods_done(session: Session, periods: set[str]) -> set[tuple[int, str]]:
    """(subscriber id, period) of every digest already recorded for these periods."""
    rows = session.execute(select(Digest.subscriber_id, Digest.period).where(Digest.period.in_(periods)))
    return {(subscriber_id, period) for subscriber_id, period in rows}
