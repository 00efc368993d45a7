"""The database schema: everything needed to rebuild the search index lives here.

Change it only together with a migration in ``store/migrations/versions`` (``alembic revision --autogenerate``).
Types must hold their values on SQLite and PostgreSQL alike: free text from the web (URLs, validators, authors)
is ``Text``, never a ``String(n)`` that PostgreSQL would enforce; 64-bit hashes are ``BigInteger``; instants are
``UTCDateTime`` (``timestamp with time zone`` on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates
from sqlalchemy.sql.expression import false

from .types import UTCDateTime


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Document(Base):
    """One document, however many places it was found at (see ``Place``)."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # stable: hash of the first canonical URL
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    source_id: Mapped[str] = mapped_column(String(100), index=True)  # the first place it was found
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    content_type: Mapped[str] = mapped_column(Text, default="text/html")
    language: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[dt.date | None] = mapped_column(Date, index=True)
    pages: Mapped[int | None] = mapped_column(Integer)
    ocr: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    simhash: Mapped[int | None] = mapped_column(BigInteger)  # 63-bit, for near duplicates
    doctype: Mapped[str] = mapped_column(String(60), default="a_qualifier")  # until the tagger or an editor settles it
    doctype_explanation: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # 0–1, from the explanation (store/confidence.py): a column so that the review queue selects guesses in SQL.
    type_confidence: Mapped[float | None] = mapped_column(Float, index=True)
    # active: searchable; removed: gone from the web (404/410 twice); hidden: hidden by an editor;
    # purged: its source asked to leave.
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)  # "À la une"
    from_first_crawl: Mapped[bool] = mapped_column(Boolean, default=False)  # back catalogue, kept out of digests
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Territories named in the text (tagging): department codes and QPV codes.
    departments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    qpvs: Mapped[list[Any]] = mapped_column(JSON, default=list)

    places: Mapped[list[Place]] = relationship(back_populates="document", cascade="all, delete-orphan",
                                               order_by="Place.id")
    # theme_id breaks ties, so that equal scores come out in one order whatever the database.
    themes: Mapped[list[DocumentTheme]] = relationship(back_populates="document", cascade="all, delete-orphan",
                                                       order_by="(DocumentTheme.score.desc(), DocumentTheme.theme_id)")

    @property
    def searchable(self) -> bool:
        return self.status == "active"

    @validates("status")
    def _status_changed(self, _key: str, status: str) -> str:
        # A change of status is a change of the record: OAI-PMH harvesters ask for what changed since a
        # datestamp, and a hidden or removed document must reach them as deleted.
        if self.status is not None and status != self.status:
            self.updated_at = utcnow()
        return status


class Place(Base):
    """A URL at which a document was found, with the HTTP validators that make the next fetch conditional."""

    __tablename__ = "places"
    __table_args__ = (UniqueConstraint("url", name="uq_places_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[str] = mapped_column(String(100), index=True)
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))  # of the raw body, to skip re-extraction
    feed_updated: Mapped[str | None] = mapped_column(Text)  # the feed entry's updated stamp
    http_status: Mapped[int | None] = mapped_column(Integer)
    gone_count: Mapped[int] = mapped_column(Integer, default=0)  # successive 404/410 answers
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[Document] = relationship(back_populates="places")


class DocumentTheme(Base):
    __tablename__ = "document_themes"

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    theme_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    origin: Mapped[str] = mapped_column(String(20), default="tagger")  # tagger | editor | source
    explanation: Mapped[list[Any]] = mapped_column(JSON, default=list)

    document: Mapped[Document] = relationship(back_populates="themes")


class TagOverride(Base):
    """An editor's decision on a document; wins over the tagger and survives recrawls and rebuilds."""

    __tablename__ = "tag_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # add_theme | remove_theme | set_type
    value: Mapped[str] = mapped_column(String(80))
    user_email: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TagExample(Base):
    """A labelled example from an editor: the document as the tagger saw it and the labels the editor settled
    (after a correction, or a confirmation « vérifié » in the review queue). ``crpv-watch tags train`` learns from
    these rows; they outlive the document (no foreign key), so a purge does not erase what editors taught."""

    __tablename__ = "tag_examples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(String(64), unique=True)  # one example per document: the latest
    source_id: Mapped[str] = mapped_column(String(100), default="", index=True)
    url: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")  # the start of the text (the tagger reads no further)
    content_type: Mapped[str] = mapped_column(String(100), default="text/html")
    themes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    doctype: Mapped[str] = mapped_column(String(40), default="")  # "" while still « à qualifier »
    origin: Mapped[str] = mapped_column(String(20), default="")  # cli | form | review
    user_email: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|completed|interrupted|failed
    pid: Mapped[int | None] = mapped_column(Integer)
    source_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    sources: Mapped[list[CrawlRunSource]] = relationship(back_populates="run", cascade="all, delete-orphan")
    errors: Mapped[list[CrawlError]] = relationship(back_populates="run", cascade="all, delete-orphan")


class CrawlRunSource(Base):
    """Per-source counts of one run (the ``sources`` entries of ``crawl --json``)."""

    __tablename__ = "crawl_run_sources"

    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    run: Mapped[CrawlRun] = relationship(back_populates="sources")


class CrawlError(Base):
    __tablename__ = "crawl_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[str] = mapped_column(String(100), index=True)
    url: Mapped[str] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(20))  # fetch | parse | extract | tag | store | index
    error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    run: Mapped[CrawlRun] = relationship(back_populates="errors")


class SourceState(Base):
    """What the crawler remembers of a source between runs (first crawl done, feed validators…)."""

    __tablename__ = "source_states"

    source_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    first_crawl_done: Mapped[bool] = mapped_column(Boolean, default=False)
    purged: Mapped[bool] = mapped_column(Boolean, default=False)
    hub_validators: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # url -> {etag, last_modified}
    last_run_id: Mapped[int | None] = mapped_column(Integer)


class IndexQueue(Base):
    """Documents whose index entry must be (re)written; the single index writer drains it.

    Lets the web and the CLI change documents without writing the index themselves, and lets a rebuild replay
    what was written while it ran.
    """

    __tablename__ = "index_queue"
    __table_args__ = (Index("ix_index_queue_node_id", "node", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(String(16), index=True)
    queued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Whose index the entry is for: "" is the install's main index (the worker's); each other ``IndexNode``
    # (a web node keeping its own index) gets its own copy of every entry and drains only its own.
    node: Mapped[str] = mapped_column(String(100), default="", server_default="")


class IndexNode(Base):
    """A process keeping its own search index, fed from its entries of ``index_queue`` (see store.coordination)."""

    __tablename__ = "index_nodes"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RuntimeState(Base):
    """Small records the processes publish for each other: heartbeats, the progress of an index rebuild."""

    __tablename__ = "runtime_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkRequest(Base):
    """A job the web asked the worker for (a crawl, an index rebuild); deleted by the worker that claims it."""

    __tablename__ = "work_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # crawl | rebuild
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    user_email: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="editor")  # editor | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Carried by the signed session cookie; moved on at sign-out, so every copy of an older cookie stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class RateCounter(Base):
    """Rate-limit counters kept in the database, so that every web worker sees the same ones."""

    __tablename__ = "rate_counters"
    __table_args__ = (Index("ix_rate_counters_key_window", "key", "window_start", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(Text)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)


class QueryLog(Base):
    __tablename__ = "query_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query: Mapped[str] = mapped_column(String(500), index=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditLog(Base):
    """Every editor action: who, when, what, before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_email: Mapped[str] = mapped_column(String(320), default="")
    action: Mapped[str] = mapped_column(String(60))  # e.g. document.hide, source.update, user.create
    target: Mapped[str] = mapped_column(Text, default="")  # document id, source id, user e-mail…
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# -- Subscriptions and digests (crpv_watch/digest) -----------------------------------------------------------


class Subscriber(Base):
    """An e-mail address that receives one digest per period for all its alerts. No account, no password:
    signed links in each mail prove ownership."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # pending: never confirmed; active; paused: kept but not mailed; unsubscribed; bouncing: too many
    # permanent delivery failures, no longer mailed.
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending", index=True)
    frequency: Mapped[str] = mapped_column(String(10), default="weekly", server_default="weekly")  # weekly|daily
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # GDPR: when and where consent was given (e.g. "site:/abonnement", "site:recherche", "cli").
    consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    consent_source: Mapped[str] = mapped_column(String(200), default="", server_default="")
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_digest_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # window end of the last digest sent
    bounce_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # consecutive 5xx
    last_bounce: Mapped[str] = mapped_column(Text, default="", server_default="")

    alerts: Mapped[list[Alert]] = relationship(back_populates="subscriber", cascade="all, delete-orphan",
                                               order_by="Alert.id")


class Alert(Base):
    """Saved search parameters (the ``SearchRequest`` ones), so any search page can become an alert; or, with
    ``dossier_id`` set (and no parameters), « recevoir les ajouts à ce dossier »: the documents editors add to a
    dossier documentaire, with their notes."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300), default="", server_default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # confirmed
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(200), default="", server_default="")  # consent source
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)

    subscriber: Mapped[Subscriber] = relationship(back_populates="alerts")
    # Loaded with the alert: the pages and mails name the dossier after the session that read the alert is closed.
    dossier: Mapped[Dossier | None] = relationship(lazy="selectin")


class Digest(Base):
    """One digest of one subscriber for one period: the exactly-once record of the sender.

    ``message`` keeps the exact bytes handed to SMTP while the digest is not yet ``sent``, so a rerun resends the
    very same message (same Message-ID, same content) and never a second, different one.
    """

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("subscriber_id", "period", name="uq_digests_subscriber_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(20))  # 2026-W48 (weekly, Europe/Paris) or 2026-11-27 (daily)
    # sending | sent | failed (transient, retried) | bounced (permanent) | empty (nothing new, nothing sent)
    status: Mapped[str] = mapped_column(String(20), default="sending", server_default="sending", index=True)
    message_id: Mapped[str] = mapped_column(Text, default="", server_default="")
    message: Mapped[bytes | None] = mapped_column(LargeBinary)
    document_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    window_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    subscriber: Mapped[Subscriber] = relationship()


class Dossier(Base):
    """A « dossier documentaire » composed by editors: a title, an introduction and an ordered selection of
    documents with a note each, published at /dossiers/<slug>. Lives in the database, so an index rebuild keeps it."""

    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)  # the stable public address
    title: Mapped[str] = mapped_column(String(300))
    intro: Mapped[str] = mapped_column(Text, default="", server_default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_by: Mapped[str] = mapped_column(String(320), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[DossierItem]] = relationship(back_populates="dossier", cascade="all, delete-orphan",
                                                    order_by="DossierItem.position")


class DossierItem(Base):
    __tablename__ = "dossier_items"
    __table_args__ = (UniqueConstraint("dossier_id", "document_id", name="uq_dossier_items_document"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    dossier: Mapped[Dossier] = relationship(back_populates="items")
    document: Mapped[Document] = relationship()
