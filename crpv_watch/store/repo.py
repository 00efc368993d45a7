"""Queries over documents and crawl runs: the rest of the application asks here instead of writing SQL."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.orm import Session, selectinload

from ..items import IndexDocument
from .models import CrawlRun, Document, DocumentTheme, IndexNode, IndexQueue, Place, TagOverride, utcnow


def document_id_for(canonical_url: str) -> str:
    """Stable id of a document: the hash of the canonical URL it was first found at."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:12]


def get_document(session: Session, doc_id: str) -> Document | None:
    return session.get(Document, doc_id, options=[selectinload(Document.places), selectinload(Document.themes)])


def texts(session: Session, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(select(Document.id, Document.text).where(Document.id.in_(ids)))
    return {row.id: row.text for row in rows}


def formats(session: Session, ids: list[str]) -> dict[str, tuple[str | None, int | None]]:
    """id → (content type, page count) of these documents: the results' « PDF, 24 pages » markers."""
    if not ids:
        return {}
    rows = session.execute(select(Document.id, Document.content_type, Document.pages).where(Document.id.in_(ids)))
    return {doc_id: (content_type, pages) for doc_id, content_type, pages in rows}


def count_searchable(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Document).where(Document.status == "active")) or 0


def searchable_bounds(session: Session, parts: int) -> list[str]:
    """The last id of each of the first ``parts - 1`` of ``parts`` runs of searchable documents of (nearly) equal
    size, in id order: cutting there gives each worker of a parallel rebuild its own consecutive run."""
    total = count_searchable(session)
    bounds = []
    for k in range(1, parts):
        cut = k * total // parts
        if cut:
            bounds.append(session.scalar(select(Document.id).where(Document.status == "active")
                                         .order_by(Document.id).offset(cut - 1).limit(1)))
    return bounds


def to_index_document(doc: Document, regions_of: dict[str, list[str]],
                      pillar_of: Callable[[str], str | None] = lambda _t: None) -> IndexDocument:
    """What the index needs of a stored document: the one place the index is fed from, so a rebuild is exact."""
    assigned = [t.theme_id for t in doc.themes]
    places = doc.places
    found_at = [{"url": p.url, "centre": p.source_id} for p in places]
    pillars = sorted({p for p in map(pillar_of, assigned) if p})
    return IndexDocument(
        id=doc.id,
        url=doc.canonical_url if any(p.url == doc.canonical_url for p in places) or not places else places[0].url,
        title=doc.title,
        text=doc.text,
        summary=doc.summary,
        centre=doc.source_id,
        region=list(regions_of.get(doc.source_id, [])),
        themes=assigned,
        pillars=list(pillars),
        doctype=doc.doctype,
        published=doc.published,
        first_seen=doc.first_seen_at,
        language=doc.language,
        found_at=found_at,
        content_type=doc.content_type,
        departments=list(doc.departments or []),
        qpvs=list(doc.qpvs or []),
    )


def searchable_documents(session: Session, batch: int = 500, after: str = "",
                         upto: str | None = None) -> Iterator[Document]:
    """Every searchable document in id order (those with ``after`` < id <= ``upto`` when given), in batches, with
    its places and themes loaded."""
    last = after
    while True:
        wanted = [Document.status == "active", Document.id > last]
        if upto is not None:
            wanted.append(Document.id <= upto)
        rows = session.scalars(
            select(Document)
            .where(*wanted)
            .order_by(Document.id)
            .limit(batch)
            .options(selectinload(Document.places), selectinload(Document.themes))
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def index_targets(session: Session) -> list[str]:
    """The indexes a change must reach: the main one ("") and every registered index node's own."""
    return sorted({""} | set(session.scalars(_INDEX_NODES)))


def enqueue_index(session: Session, doc_ids: Iterable[str]) -> None:
    targets = index_targets(session)
    session.add_all(IndexQueue(document_id=i, node=node) for i in doc_ids for node in targets)


def take_index_queue(session: Session, limit: int = 1000, node: str = "") -> tuple[list[int], list[str]]:
    """The oldest entries queued for ``node``'s index: their row ids (to delete once indexed) and the document
    ids, deduplicated."""
    rows = session.execute(select(IndexQueue.id, IndexQueue.document_id).where(IndexQueue.node == node)
                           .order_by(IndexQueue.id).limit(limit)).all()
    return [r.id for r in rows], list(dict.fromkeys(r.document_id for r in rows))


def clear_index_queue(session: Session, row_ids: list[int]) -> None:
    # By id, never "up to the highest id taken": on PostgreSQL a lower id can commit after a higher one, and
    # would be deleted unindexed.
    session.execute(delete(IndexQueue).where(IndexQueue.id.in_(row_ids)))


def overrides_for(session: Session, doc_id: str) -> list[TagOverride]:
    return list(session.scalars(select(TagOverride).where(TagOverride.document_id == doc_id)
                                .order_by(TagOverride.id)))


def apply_overrides(doc: Document, overrides: list[TagOverride]) -> None:
    """Editors win over the tagger: replay their decisions, in order, over the tagger's themes and type."""
    for ov in overrides:
        if ov.action == "set_type":
            doc.doctype = ov.value
        elif ov.action == "remove_theme":
            doc.themes = [t for t in doc.themes if t.theme_id != ov.value]
        elif ov.action == "add_theme" and all(t.theme_id != ov.value for t in doc.themes):
            doc.themes.append(DocumentTheme(theme_id=ov.value, score=1.0, origin="editor",
                                            explanation=[{"signal": f"ajouté par {ov.user_email or 'un éditeur'}",
                                                          "field": "editor", "count": 1}]))


def mark_interrupted_runs(session: Session) -> int:
    """Runs left 'running' by a process that died (kill -9, power loss) are marked interrupted."""
    runs = session.scalars(select(CrawlRun).where(CrawlRun.status == "running")).all()
    for run in runs:
        run.status = "interrupted"
        run.finished_at = run.finished_at or utcnow()
    return len(runs)


def latest_runs(session: Session, limit: int = 20) -> list[CrawlRun]:
    return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
                                .options(selectinload(CrawlRun.sources), selectinload(CrawlRun.errors))))


def place_by_url(session: Session, url: str) -> Place | None:
    return session.scalar(select(Place).where(Place.url == url))


class KnownPlace(NamedTuple):
    """What the crawl needs of a known URL before fetching it: validators, body hash, attachments to replay."""

    etag: str | None
    last_modified: str | None
    content_hash: str | None
    feed_updated: str | None
    attachments: list[str]


# Core statements built once (the per-candidate path of the crawl): SQLAlchemy then reuses their compiled form.
_KNOWN_PLACE = (select(Place.etag, Place.last_modified, Place.content_hash, Place.feed_updated, Document.meta)
                .join(Document, Document.id == Place.document_id).where(Place.url == bindparam("url")))
_PLACE_ID = select(Place.id).where(Place.url == bindparam("url"))
_INSERT_QUEUE = insert(IndexQueue)
_INDEX_NODES = select(IndexNode.name)


def known_place(session: Session, url: str) -> KnownPlace | None:
    """One query (place joined with its document), no ORM objects: called for every candidate of a crawl."""
    row = session.connection().execute(_KNOWN_PLACE, {"url": url}).first()
    if row is None:
        return None
    return KnownPlace(row.etag, row.last_modified, row.content_hash, row.feed_updated,
                      list((row.meta or {}).get("attachments", [])))


def place_id_by_url(session: Session, url: str) -> int | None:
    return session.connection().execute(_PLACE_ID, {"url": url}).scalar()


def enqueue_index_now(session: Session, doc_ids: Iterable[str]) -> None:
    """``enqueue_index`` as a Core insert in the session's transaction (no unit-of-work flush)."""
    now, targets = utcnow(), index_targets(session)
    rows = [{"document_id": i, "queued_at": now, "node": node} for i in doc_ids for node in targets]
    if rows:
        session.connection().execute(_INSERT_QUEUE, rows)


def today() -> dt.date:
    return dt.date.today()


def documents_by_ids(session: Session, ids: Iterable[str]) -> list[Document]:
    """The documents of ``ids`` that exist, with their places and themes loaded."""
    return list(session.scalars(select(Document).where(Document.id.in_(list(ids)))
                                .options(selectinload(Document.places), selectinload(Document.themes))))


def documents_after(session: Session, last_id: str, batch: int) -> list[Document]:
    """The next ``batch`` stored documents (purged ones aside) by id after ``last_id``: a walk over the store."""
    return list(session.scalars(select(Document).where(Document.id > last_id, Document.status != "purged")
                                .order_by(Document.id).limit(batch)
                                .options(selectinload(Document.places), selectinload(Document.themes))))


def first_seen(session: Session, ids: list[str]) -> dict[str, dt.datetime]:
    if not ids:
        return {}
    return dict(session.execute(select(Document.id, Document.first_seen_at).where(Document.id.in_(ids))).all())


def index_queue_size(session: Session, node: str = "") -> int:
    """Entries waiting for ``node``'s index ("" : the main one)."""
    return session.scalar(select(func.count()).select_from(IndexQueue).where(IndexQueue.node == node)) or 0


def running_crawl_runs(session: Session) -> list[CrawlRun]:
    return list(session.scalars(select(CrawlRun).where(CrawlRun.status == "running")))


def ping(session: Session) -> None:
    """A round trip to the database (the health check)."""
    session.execute(select(1))
