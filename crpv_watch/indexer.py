"""The index stage: the single writer that carries the store's changes into the search index.

Everything reaches the index through the store's queue (``IndexQueue``), filled in the same transaction as the
change itself: a crash between the two leaves entries in the queue, which the next drain replays.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .store import repo
from .store.models import Document

log = logging.getLogger(__name__)


class Indexer:
    def __init__(self, services):
        self.services = services
        self._lock = threading.Lock()

    def _regions(self) -> dict[str, list[str]]:
        return {s.id: list(s.region) for s in self.services.sources}

    def _pillar_of(self) -> Callable[[str], str | None]:
        return self.services.vocabulary.pillar_of

    def drain(self, batch: int = 500) -> int:
        """Index every queued document (or delete it from the index when it is no longer searchable)."""
        done = 0
        engine = self.services.engine
        regions, pillar_of = self._regions(), self._pillar_of()
        with self._lock:
            while True:
                with self.services.db.session() as session:
                    up_to, ids = repo.take_index_queue(session, batch)
                    if not ids:
                        return done
                    docs = session.scalars(select(Document).where(Document.id.in_(ids))
                                           .options(selectinload(Document.places),
                                                    selectinload(Document.themes))).all()
                    live = [repo.to_index_document(d, regions, pillar_of) for d in docs if d.searchable]
                    gone = set(ids) - {d.id for d in docs if d.searchable}
                    if live:
                        engine.index(live)
                    if gone:
                        engine.delete(gone)
                    repo.clear_index_queue(session, up_to)
                    done += len(ids)

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the whole index from the store, aside, then swap it in; replay what was queued meanwhile."""
        regions, pillar_of = self._regions(), self._pillar_of()
        with self._lock:
            with self.services.db.session() as session:

                def documents():
                    for n, doc in enumerate(repo.searchable_documents(session), 1):
                        if progress and n % 100 == 0:
                            progress(n)
                        yield repo.to_index_document(doc, regions, pillar_of)

                count = self.services.engine.rebuild(documents())
        self.drain()
        return count
