"""Queries of the OAI-PMH repository (web/public/oai.py): records by datestamp, in sets, one page at a time.

A record's datestamp is ``Document.updated_at`` (bumped by every content or status change); documents that left
search (hidden, removed, purged) stay listed so that harvesters learn they are deleted. Pages walk the
(updated_at, id) order from a cursor, so records changing during a harvest are neither skipped nor repeated.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from .models import Document, DocumentTheme

SET_KINDS = ("centre", "theme", "type")


def _filtered(query: Select, since: dt.datetime | None, until: dt.datetime | None,
              set_spec: tuple[str, str | None] | None) -> Select:
    """``set_spec`` is (kind, value); a value of None is the parent set: every record (any theme for themes)."""
    if since is not None:
        query = query.where(Document.updated_at >= since)
    if until is not None:
        query = query.where(Document.updated_at <= until)
    if set_spec is not None:
        kind, value = set_spec
        if kind == "centre" and value is not None:
            query = query.where(Document.source_id == value)
        elif kind == "type" and value is not None:
            query = query.where(Document.doctype == value)
        elif kind == "theme":
            themed = select(DocumentTheme.document_id)
            if value is not None:
                themed = themed.where(DocumentTheme.theme_id == value)
            query = query.where(Document.id.in_(themed))
    return query


def count_records(session: Session, since: dt.datetime | None, until: dt.datetime | None,
                  set_spec: tuple[str, str | None] | None) -> int:
    query = _filtered(select(func.count()).select_from(Document), since, until, set_spec)
    return session.scalar(query) or 0


def records_page(session: Session, since: dt.datetime | None, until: dt.datetime | None,
                 set_spec: tuple[str, str | None] | None, after: tuple[dt.datetime, str] | None,
                 limit: int) -> list[Document]:
    """Up to ``limit`` documents in (updated_at, id) order, after the cursor ``after``; places and themes loaded."""
    query = _filtered(select(Document), since, until, set_spec)
    if after is not None:
        stamp, last_id = after
        query = query.where(or_(Document.updated_at > stamp,
                                and_(Document.updated_at == stamp, Document.id > last_id)))
    query = query.order_by(Document.updated_at, Document.id).limit(limit)
    return list(session.scalars(query.options(selectinload(Document.places), selectinload(Document.themes))))


def record(session: Session, doc_id: str) -> Document | None:
    return session.scalars(select(Document).where(Document.id == doc_id)
                           .options(selectinload(Document.places), selectinload(Document.themes))).first()


def earliest_datestamp(session: Session) -> dt.datetime | None:
    return session.scalar(select(func.min(Document.updated_at)))
