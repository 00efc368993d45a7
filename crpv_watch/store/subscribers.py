"""Queries of the digest subscribers: find one (by its signed link's id and address, or by address), list them,
count them, and read their digest log. The rules (consent, activation, GDPR) stay in ``digest/subscriptions.py``."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from .models import Digest, Subscriber

MAILABLE = ("active",)


def get(session: Session, subscriber_id: int, email: str) -> Subscriber | None:
    """The subscriber of a token, only when the address still matches (a deleted id may be reused)."""
    sub = session.get(Subscriber, subscriber_id, options=[selectinload(Subscriber.alerts)])
    return sub if sub is not None and sub.email == email else None


def by_email(session: Session, email: str) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.email == email)
                          .options(selectinload(Subscriber.alerts)))


def list_all(session: Session) -> list[Subscriber]:
    return list(session.scalars(select(Subscriber).order_by(Subscriber.id).options(selectinload(Subscriber.alerts))))


def mailable(session: Session) -> list[Subscriber]:
    return list(session.scalars(select(Subscriber).where(Subscriber.status.in_(MAILABLE))
                                .order_by(Subscriber.id).options(selectinload(Subscriber.alerts))))


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Subscriber.status, func.count()).group_by(Subscriber.status))
    return {status: n for status, n in rows}


def digests_of(session: Session, subscriber_id: int) -> list[Digest]:
    """The subscriber's digest log, oldest first."""
    return list(session.scalars(select(Digest).where(Digest.subscriber_id == subscriber_id).order_by(Digest.id)))


def first_by_status(session: Session, status_order: dict[str, int], limit: int) -> list[Subscriber]:
    """Up to ``limit`` subscribers, ``status_order`` first (lowest rank first), then by address; alerts loaded."""
    rank = case(status_order, value=Subscriber.status, else_=len(status_order))
    return list(session.scalars(select(Subscriber).order_by(rank, Subscriber.email).limit(limit)
                                .options(selectinload(Subscriber.alerts))))


def recent_digests(session: Session, limit: int) -> list[Digest]:
    """The send log, newest first, each digest with its subscriber."""
    return list(session.scalars(select(Digest).order_by(Digest.id.desc()).limit(limit)
                                .options(selectinload(Digest.subscriber))))
