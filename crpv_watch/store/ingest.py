"""The store stage: one extracted, tagged document into the database, merged with what is already known.

Decides whether a fetched URL is a new document, an update, an unchanged one or a duplicate of another (same
canonical URL, same normalised text, or nearly the same text), and queues the index update in the same
transaction so that a crash never leaves the database and the index disagreeing for good.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import bindparam, case, func, insert, select
from sqlalchemy.orm import Session

from ..items import ExtractedDocument, FetchResult, Tags
from ..text.dedup import canonicalize, hash_normalized, near_duplicate, normalize_text, simhash_normalized
from .confidence import type_confidence_of
from .models import Document, DocumentTheme, Place, TagOverride, utcnow
from .repo import (
    apply_overrides,
    document_id_for,
    enqueue_index,
    enqueue_index_now,
    overrides_for,
    place_by_url,
    place_id_by_url,
)

GONE_STATUSES = {404, 410}


def body_hash(body: bytes) -> str:
    """Hash of the raw response body: an identical body needs no re-extraction."""
    return hashlib.sha256(body).hexdigest()
GONE_RUNS_BEFORE_REMOVAL = 2


@dataclass
class IngestResult:
    outcome: str  # new | updated | unchanged | duplicate
    document_id: str


@dataclass
class SourceRef:
    """What the store stage needs to know of a source: its id and its rank in the sources file."""

    id: str
    rank: int = 0


def record_unchanged(session: Session, url: str, fetch: FetchResult | None = None,
                     feed_updated: str | None = None) -> str | None:
    """A known URL answered 304 (or was not refetched): refresh its bookkeeping, reactivate it if it was removed.
    ``feed_updated`` (the feed's or sitemap's stamp) is kept so that the next run skips it without a request."""
    place = place_by_url(session, url)
    if place is None:
        return None
    place.last_seen_at = utcnow()
    place.gone_count = 0
    if feed_updated:
        place.feed_updated = feed_updated
    if fetch is not None:
        place.http_status = fetch.status
        place.etag = fetch.etag or place.etag
        place.last_modified = fetch.last_modified or place.last_modified
    doc = place.document
    if doc.status == "removed":
        doc.status = "active"
        enqueue_index(session, [doc.id])
    return doc.id


def record_deleted(session: Session, url: str) -> bool:
    """A repository said the record at ``url`` is deleted (OAI-PMH): no second opinion needed, it leaves search
    at once. Returns whether a searchable document was removed."""
    place = place_by_url(session, url)
    if place is None or place.document.status != "active":
        return False
    place.gone_count = GONE_RUNS_BEFORE_REMOVAL
    place.http_status = 410
    doc = place.document
    if any(p.gone_count < GONE_RUNS_BEFORE_REMOVAL for p in doc.places):
        return False  # still published at another place
    doc.status = "removed"
    enqueue_index(session, [doc.id])
    return True


def record_gone(session: Session, url: str, status: int) -> str:
    """A known URL answered 404/410. Returns 'removed' when it is now removed from search, else 'error'."""
    place = place_by_url(session, url)
    if place is None:
        return "error"
    place.gone_count += 1
    place.http_status = status
    if place.gone_count < GONE_RUNS_BEFORE_REMOVAL:
        return "error"
    doc = place.document
    if doc.status == "active" and all(p.gone_count >= GONE_RUNS_BEFORE_REMOVAL for p in doc.places):
        doc.status = "removed"
        doc.updated_at = utcnow()
        enqueue_index(session, [doc.id])
        return "removed"
    return "error" if doc.status == "active" else "removed"


def ingest(
    session: Session,
    *,
    source: SourceRef,
    url: str,
    fetch: FetchResult,
    extracted: ExtractedDocument,
    tags: Tags,
    first_crawl: bool,
    feed_updated: str | None = None,
    ranks: dict[str, int] | None = None,
) -> IngestResult:
    text = extracted.text
    normalized = normalize_text(text)  # once: the text hash and the simhash both start from it
    thash = hash_normalized(normalized)
    place_id = place_id_by_url(session, url)
    if place_id is not None:
        place = session.get(Place, place_id)
        _refresh_place(place, fetch, feed_updated)
        doc = place.document
        if doc.content_hash == thash and doc.status != "removed":
            return IngestResult("unchanged", doc.id)
        shash = simhash_normalized(normalized) if text else None  # not needed for an unchanged text
        was_removed = doc.status == "removed"
        _fill(doc, extracted, thash, shash)
        retag(session, doc, tags)
        if was_removed:
            doc.status = "active"
        enqueue_index_now(session, [doc.id])
        return IngestResult("updated", doc.id)

    shash = simhash_normalized(normalized) if text else None
    canonical = canonicalize(extracted.canonical_url or url)
    doc_id = _find_same(session, canonical, thash, shash, len(text))
    if doc_id is not None:
        doc = session.get(Document, doc_id)
        new_place = Place(source_id=source.id, url=url, first_seen_at=utcnow())
        _refresh_place(new_place, fetch, feed_updated)
        doc.places.append(new_place)
        _maybe_promote(doc, source, url, ranks or {})
        enqueue_index_now(session, [doc.id])
        return IngestResult("duplicate", doc.id)

    doc_id = document_id_for(canonical)
    if _has_overrides(session, doc_id):  # only if the foreign key was not enforced: replayed the ORM way
        doc = Document(id=doc_id, canonical_url=canonical, source_id=source.id, from_first_crawl=first_crawl,
                       first_seen_at=utcnow(), status="active", meta={})
        _fill(doc, extracted, thash, shash)
        new_place = Place(source_id=source.id, url=url, first_seen_at=utcnow())
        _refresh_place(new_place, fetch, feed_updated)
        doc.places.append(new_place)
        session.add(doc)
        retag(session, doc, tags)
    else:
        _insert_new(session, doc_id, canonical, source, url, fetch, extracted, tags, first_crawl, feed_updated,
                    thash, shash)
    enqueue_index_now(session, [doc_id])
    return IngestResult("new", doc_id)


# A new document is the common case of a crawl: it is written with Core inserts (one statement per table, in
# the session's transaction, so still one commit together with its index-queue entry) instead of the ORM's
# unit of work, which cost ~3 ms of CPU per document. The values are exactly those the ORM path (_fill, retag,
# _refresh_place) writes; updates and duplicates still take that path.
_INSERT_DOCUMENT = insert(Document)
_INSERT_PLACE = insert(Place)
_INSERT_THEMES = insert(DocumentTheme)
_HAS_OVERRIDES = select(TagOverride.id).where(TagOverride.document_id == bindparam("id")).limit(1)
_SAME_DOCUMENT = (select(Document.id)
                  .where((Document.canonical_url == bindparam("canonical"))
                         | (Document.content_hash == bindparam("hash")))
                  .order_by(case((Document.canonical_url == bindparam("canonical"), 0), else_=1))
                  .limit(1))
_SIMHASHES = select(Document.id, Document.simhash).where(Document.simhash.is_not(None))
_TEXT_LENGTH = select(func.length(Document.text)).where(Document.id == bindparam("id"))


def _has_overrides(session: Session, doc_id: str) -> bool:
    """Editors' overrides of a document not stored yet: impossible while the foreign key holds (they are
    deleted with their document), checked all the same since they must win over the tagger."""
    return session.connection().execute(_HAS_OVERRIDES, {"id": doc_id}).first() is not None


def _insert_new(session: Session, doc_id: str, canonical: str, source: SourceRef, url: str, fetch: FetchResult,
                ex: ExtractedDocument, tags: Tags, first_crawl: bool, feed_updated: str | None, thash: str,
                shash: int | None) -> None:
    now = utcnow()
    meta: dict = {}
    if ex.attachments:
        meta["attachments"] = list(ex.attachments)  # replayed by the crawl when the page is unchanged
    if ex.meta.get("breadcrumb"):
        meta["breadcrumb"] = list(ex.meta["breadcrumb"])  # a source's sections apply again on `tags recompute`
    meta["territory_explanation"] = tags.territory_explanation
    if "oai" in ex.meta:  # a catalogue record's identifier, subjects, unmatched keywords and links
        meta["oai"] = ex.meta["oai"]
    conn = session.connection()
    conn.execute(_INSERT_DOCUMENT, {
        "id": doc_id, "canonical_url": canonical, "source_id": source.id, "from_first_crawl": first_crawl,
        "first_seen_at": now, "updated_at": now, "status": "active", "featured": False,
        "title": ex.title or ex.url, "text": ex.text, "summary": ex.summary, "content_type": ex.content_type,
        "language": ex.language, "author": ex.author or "", "published": ex.published or None, "pages": ex.pages,
        "ocr": ex.ocr, "content_hash": thash, "simhash": shash, "meta": meta,
        "doctype": tags.doctype, "doctype_explanation": tags.doctype_explanation,
        "type_confidence": type_confidence_of(tags.doctype, tags.doctype_explanation),
        "departments": list(tags.departments), "qpvs": list(tags.qpvs),
    })
    conn.execute(_INSERT_PLACE, {
        "document_id": doc_id, "source_id": source.id, "url": url, "first_seen_at": now, "last_seen_at": now,
        "gone_count": 0, "http_status": fetch.status, "etag": fetch.etag, "last_modified": fetch.last_modified,
        "content_hash": body_hash(fetch.body) if fetch.body else None, "feed_updated": feed_updated or None,
    })
    themes = [{"document_id": doc_id, "theme_id": t.theme_id, "score": round(t.score, 4), "origin": "tagger",
               "explanation": t.explanation} for t in tags.themes]
    if themes:
        conn.execute(_INSERT_THEMES, themes)


def _find_same(session: Session, canonical: str, thash: str, shash: int | None, length: int) -> str | None:
    """The id of a stored document this one copies: same canonical URL (preferred), same normalised text, or
    nearly the same text. Core queries: no ORM object is built for the usual answer, "none"."""
    conn = session.connection()
    doc_id = conn.execute(_SAME_DOCUMENT, {"canonical": canonical, "hash": thash}).scalar()
    if doc_id is None and shash is not None and length >= 200:
        # Near duplicates: the same article republished with a changed intro or footer. Only the 64-bit
        # simhashes are read (loading every text made each new document cost O(size of the store)); the
        # length check, on the rare simhash matches, is computed by the database.
        low, high = int(length * 0.8), int(length * 1.25)
        for row_id, other_hash in conn.execute(_SIMHASHES).all():
            if near_duplicate(shash, other_hash):
                other = conn.execute(_TEXT_LENGTH, {"id": row_id}).scalar() or 0
                if low <= other <= high:
                    return row_id
    return doc_id


def _maybe_promote(doc: Document, source: SourceRef, url: str, ranks: dict[str, int]) -> None:
    """Sources are crawled in parallel, so within one run "first found" would be a race: the place whose
    source comes first in the sources file wins, which keeps the document's centre stable from run to run."""
    same_run = (utcnow() - doc.first_seen_at) < dt.timedelta(hours=6) and len(doc.places) <= 2
    if same_run and ranks.get(source.id, 1 << 30) < ranks.get(doc.source_id, 1 << 30):
        doc.source_id = source.id
        doc.canonical_url = canonicalize(url)
        doc.places.sort(key=lambda p: (p.url != url, p.id or 0))


def _refresh_place(place: Place, fetch: FetchResult, feed_updated: str | None) -> None:
    place.last_seen_at = utcnow()
    place.gone_count = 0
    place.http_status = fetch.status
    place.etag = fetch.etag
    place.last_modified = fetch.last_modified
    place.content_hash = body_hash(fetch.body) if fetch.body else place.content_hash
    if feed_updated:
        place.feed_updated = feed_updated


def _fill(doc: Document, ex: ExtractedDocument, thash: str, shash: int | None) -> None:
    doc.title = ex.title or doc.title or ex.url
    doc.text = ex.text
    doc.summary = ex.summary
    doc.content_type = ex.content_type
    doc.language = ex.language
    doc.author = ex.author or ""
    doc.published = ex.published or doc.published
    doc.pages = ex.pages
    doc.ocr = ex.ocr
    doc.content_hash = thash
    doc.simhash = shash
    doc.updated_at = utcnow()
    meta = dict(doc.meta or {})  # a new dict: in-place changes to a JSON column are not tracked
    if ex.attachments or "attachments" in meta:
        meta["attachments"] = list(ex.attachments)  # replayed by the crawl when the page is unchanged
    if "oai" in ex.meta:
        meta["oai"] = ex.meta["oai"]
    doc.meta = meta


def retag(session: Session, doc: Document, tags: Tags) -> None:
    """Replace the tagger's decisions on ``doc``, then replay the editors' overrides over them (they win)."""
    doc.themes = [DocumentTheme(theme_id=t.theme_id, score=round(t.score, 4), origin="tagger",
                                explanation=t.explanation) for t in tags.themes]
    doc.doctype = tags.doctype
    doc.doctype_explanation = tags.doctype_explanation
    doc.type_confidence = type_confidence_of(tags.doctype, tags.doctype_explanation)
    doc.departments = list(tags.departments)
    doc.qpvs = list(tags.qpvs)
    # A new dict, so that SQLAlchemy sees the JSON column change.
    doc.meta = {**(doc.meta or {}), "territory_explanation": tags.territory_explanation}
    apply_overrides(doc, overrides_for(session, doc.id))

