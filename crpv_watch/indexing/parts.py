"""The store's searchable documents as consecutive id ranges that worker processes read themselves, for a
rebuild on every core (search/segments.py writes one index segment per range).

A range carries what ``to_index_document`` needs besides the row (the database URL, the centres' regions, the
themes' pillars) as plain data, so it pickles into a ``spawn``ed worker; the worker opens its own connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..items import IndexDocument
from ..store import repo


@dataclass
class StoreRange:
    """The searchable documents with ``after`` < id <= ``upto`` (``upto`` None: to the end), in id order."""

    database_url: str
    after: str
    upto: str | None
    regions: dict[str, list[str]] = field(default_factory=dict)
    pillars: dict[str, str | None] = field(default_factory=dict)

    def __iter__(self) -> Iterator[IndexDocument]:
        from ..store.db import Database

        db = Database(self.database_url)
        try:
            with db.session() as session:
                for doc in repo.searchable_documents(session, after=self.after, upto=self.upto):
                    yield repo.to_index_document(doc, self.regions, self.pillars.get)
        finally:
            db.engine.dispose()


def store_ranges(session, parts: int, database_url: str, regions: dict[str, list[str]],
                 pillars: dict[str, str | None]) -> list[StoreRange]:
    """``parts`` consecutive ranges of (nearly) equal size covering every searchable document."""
    bounds = repo.searchable_bounds(session, parts)
    starts, ends = [""] + bounds, bounds + [None]
    return [StoreRange(database_url, after, upto, regions, pillars) for after, upto in zip(starts, ends, strict=True)]
