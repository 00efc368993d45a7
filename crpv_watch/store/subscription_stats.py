"""What the editors' dashboard shows of the subscriptions: readers per theme, the last letters sent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Alert, Digest


def subscribers_by_theme(session: Session) -> dict[str, int]:
    """Active alerts per theme they filter on (a subscriber with two alerts on one theme counts once)."""
    seen: dict[str, set[int]] = {}
    for subscriber_id, params in session.execute(select(Alert.subscriber_id, Alert.params)
                                                 .where(Alert.active.is_(True))):
        themes = (params or {}).get("theme") or []
        for theme in [themes] if isinstance(themes, str) else themes:
            seen.setdefault(theme, set()).add(subscriber_id)
    return {theme: len(ids) for theme, ids in seen.items()}


def last_sent_digests(session: Session, limit: int = 10) -> list[Digest]:
    return list(session.scalars(select(Digest).where(Digest.status == "sent").order_by(Digest.id.desc())
                                .limit(limit)))
