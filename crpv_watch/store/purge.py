"""Opt-out: a source asks to leave. Its documents leave search and digests; what another source also
published stays, under that source.

- A document found only at the purged source becomes ``purged`` (kept for the record, never searchable, so out
  of digests too), or is deleted with ``delete=True``.
- A document also found at another source loses the purged source's places and lives on under the remaining
  one (its centre and canonical URL move there), whatever ``delete`` says.
- ``SourceState.purged`` makes later crawls skip the source until an admin clears it.
Every touched document is queued for the index in the same transaction (the index writer drains it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..text.dedup import canonicalize
from .models import Document, Place, SourceState, utcnow
from .repo import enqueue_index


@dataclass
class PurgeResult:
    purged: int = 0  # documents now status "purged"
    deleted: int = 0  # documents deleted
    moved: int = 0  # documents kept, under another source
    places: int = 0  # places of the source removed (moved documents) or kept (purged ones)

    def to_json(self) -> dict:
        return {"purged": self.purged, "deleted": self.deleted, "moved": self.moved, "places": self.places}


def source_known(session: Session, source_id: str) -> bool:
    return (session.scalar(select(Place.id).where(Place.source_id == source_id).limit(1)) is not None
            or session.get(SourceState, source_id) is not None)


def purge_source(session: Session, source_id: str, delete: bool = False) -> PurgeResult:
    result = PurgeResult()
    ids = set(session.scalars(select(Place.document_id).where(Place.source_id == source_id)))
    ids |= set(session.scalars(select(Document.id).where(Document.source_id == source_id)))
    docs = session.scalars(select(Document).where(Document.id.in_(ids))
                           .options(selectinload(Document.places))).all() if ids else []
    for doc in docs:
        mine = [p for p in doc.places if p.source_id == source_id]
        others = [p for p in doc.places if p.source_id != source_id]
        result.places += len(mine)
        if others:
            for place in mine:
                doc.places.remove(place)  # delete-orphan: the row goes
            if doc.source_id == source_id:
                doc.source_id = others[0].source_id
                doc.canonical_url = canonicalize(others[0].url)
            doc.updated_at = utcnow()
            result.moved += 1
        elif delete:
            session.delete(doc)
            result.deleted += 1
        else:
            doc.status = "purged"
            doc.updated_at = utcnow()
            result.purged += 1
    session.flush()
    enqueue_index(session, sorted(ids))  # deleted or no longer searchable: the drain removes them from the index
    state = session.get(SourceState, source_id) or SourceState(source_id=source_id, hub_validators={})
    state.purged = True
    session.add(state)
    return result
