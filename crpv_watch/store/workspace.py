"""Queries of the editors' workspace: source health, overview counts, document lists, the review queue, merges.

Kept apart from ``repo.py`` (the crawl's queries) so the two can change independently; only ``store/`` talks SQL.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from .confidence import UNCERTAIN_TYPE, squash, type_confidence_of
from .examples import UNSETTLED_TYPE
from .models import CrawlError, CrawlRun, CrawlRunSource, Document, DocumentTheme, TagOverride, utcnow
from .repo import enqueue_index

STATUSES = ("active", "hidden", "removed", "purged")
# A tagger theme below this score passed the tagger's threshold (1.75) by little: worth a human look.
UNCERTAIN_SCORE = 2.5
HISTORY_RUNS = 10  # runs looked at to count consecutive failures


@dataclass
class SourceHealth:
    source_id: str
    last_run_id: int | None = None
    last_started: dt.datetime | None = None
    last_finished: dt.datetime | None = None
    last_status: str | None = None  # completed | failed | running | None (never crawled)
    last_counts: dict[str, int] = field(default_factory=dict)
    last_failed: bool = False
    failures_in_a_row: int = 0
    documents: int = 0
    new_this_week: int = 0
    errors: list[CrawlError] = field(default_factory=list)


def run_failed(row: CrawlRunSource) -> bool:
    """A run failed for a source when it broke, or when it met errors and nothing else (site down, feed gone)."""
    worked = row.new + row.updated + row.unchanged + row.duplicates + row.skipped + row.removed
    return row.status == "failed" or (row.error_count > 0 and worked == 0)


def source_health(session: Session, source_ids: list[str], now: dt.datetime | None = None,
                  error_limit: int = 20) -> dict[str, SourceHealth]:
    now = now or utcnow()
    out = {sid: SourceHealth(sid) for sid in source_ids}
    if not source_ids:
        return out
    rows = session.execute(
        select(CrawlRunSource, CrawlRun.started_at)
        .join(CrawlRun, CrawlRun.id == CrawlRunSource.run_id)
        .where(CrawlRunSource.source_id.in_(source_ids))
        .order_by(CrawlRunSource.run_id.desc())).all()
    history: dict[str, list] = {}
    for row, started in rows:
        if len(history.setdefault(row.source_id, [])) < HISTORY_RUNS:
            history[row.source_id].append((row, started))
    for sid, runs in history.items():
        h = out[sid]
        last, started = runs[0]
        h.last_run_id, h.last_started, h.last_finished, h.last_status = last.run_id, started, last.finished_at, \
            last.status
        h.last_counts = {k: getattr(last, k) for k in ("fetched", "new", "updated", "unchanged", "duplicates",
                                                       "skipped", "removed", "error_count")}
        h.last_failed = run_failed(last)
        for row, _ in runs:
            if not run_failed(row):
                break
            h.failures_in_a_row += 1
        h.errors = list(session.scalars(select(CrawlError).where(CrawlError.run_id == last.run_id,
                                                                 CrawlError.source_id == sid)
                                        .order_by(CrawlError.id).limit(error_limit)))
    # « Documents of a source », one definition everywhere (this page, the dashboard, the search's centre
    # facet, the editors' document list): the searchable documents whose home is that source. A copy
    # republished by another centre counts at its home only (the document page says « Aussi publié par »).
    for sid, n in session.execute(
            select(Document.source_id, func.count()).where(Document.source_id.in_(source_ids),
                                                           Document.status == "active")
            .group_by(Document.source_id)):
        out[sid].documents = n
    week_ago = now - dt.timedelta(days=7)
    for sid, n in session.execute(
            select(Document.source_id, func.count()).where(Document.source_id.in_(source_ids),
                                                           Document.first_seen_at >= week_ago,
                                                           Document.status == "active")
            .group_by(Document.source_id)):
        out[sid].new_this_week = n
    return out


def error_count(session: Session, run_id: int) -> int:
    return session.scalar(select(func.count()).select_from(CrawlError).where(CrawlError.run_id == run_id)) or 0


def runs_page(session: Session, limit: int = 20, offset: int = 0) -> list[CrawlRun]:
    return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit).offset(offset)
                                .options(selectinload(CrawlRun.sources))))


def get_run(session: Session, run_id: int) -> CrawlRun | None:
    return session.get(CrawlRun, run_id, options=[selectinload(CrawlRun.sources), selectinload(CrawlRun.errors)])


def running_runs(session: Session) -> list[CrawlRun]:
    return list(session.scalars(select(CrawlRun).where(CrawlRun.status == "running").order_by(CrawlRun.id)))


# -- overview --------------------------------------------------------------------------------------------------
def overview(session: Session, months: int = 12, now: dt.datetime | None = None) -> dict:
    active = Document.status == "active"
    by_centre = dict(session.execute(select(Document.source_id, func.count()).where(active)
                                     .group_by(Document.source_id).order_by(func.count().desc())).all())
    by_theme = dict(session.execute(select(DocumentTheme.theme_id, func.count())
                                    .join(Document, Document.id == DocumentTheme.document_id).where(active)
                                    .group_by(DocumentTheme.theme_id).order_by(func.count().desc())).all())
    by_status = dict(session.execute(select(Document.status, func.count()).group_by(Document.status)).all())
    # Month of publication when known, else of discovery; grouped here to stay portable across databases.
    now = now or utcnow()
    start = (now.replace(day=1) - dt.timedelta(days=31 * (months - 1))).replace(day=1).date()
    months_count: Counter[str] = Counter()
    for published, seen in session.execute(select(Document.published, Document.first_seen_at).where(active)):
        day = published or seen.date()
        if day >= start:
            months_count[day.strftime("%Y-%m")] += 1
    featured = session.scalar(select(func.count()).select_from(Document).where(active, Document.featured)) or 0
    return {"by_centre": by_centre, "by_theme": by_theme, "by_status": by_status,
            "by_month": sorted(months_count.items()), "featured": featured}


def activity(session: Session, months: int = 12, now: dt.datetime | None = None) -> dict:
    """Per source: documents found each month (YYYYMM → count, by first discovery) and crawl errors over the
    same months, for the editors' dashboard charts."""
    now = now or utcnow()
    start = (now.replace(day=1) - dt.timedelta(days=31 * (months - 1))).replace(day=1)
    found: dict[str, Counter[int]] = {}
    for source_id, seen in session.execute(select(Document.source_id, Document.first_seen_at)
                                           .where(Document.first_seen_at >= start)):
        found.setdefault(source_id, Counter())[seen.year * 100 + seen.month] += 1
    errors = dict(session.execute(select(CrawlError.source_id, func.count())
                                  .join(CrawlRun, CrawlRun.id == CrawlError.run_id)
                                  .where(CrawlRun.started_at >= start)
                                  .group_by(CrawlError.source_id).order_by(func.count().desc())).all())
    return {"found": found, "errors": errors, "since": start.date()}


# -- document lists --------------------------------------------------------------------------------------------
def _filtered(stmt: Select, status: str | None, featured: bool | None, q: str | None,
              source_id: str | None) -> Select:
    if status:
        stmt = stmt.where(Document.status == status)
    if featured is not None:
        stmt = stmt.where(Document.featured.is_(featured))
    if source_id:
        stmt = stmt.where(Document.source_id == source_id)
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(Document.title.ilike(like, escape="\\"), Document.id == q,
                              Document.canonical_url.ilike(like, escape="\\")))
    return stmt


def list_documents(session: Session, *, status: str | None = None, featured: bool | None = None,
                   q: str | None = None, source_id: str | None = None, limit: int = 25,
                   offset: int = 0) -> tuple[int, list[Document]]:
    total = session.scalar(_filtered(select(func.count()).select_from(Document), status, featured, q,
                                     source_id)) or 0
    docs = session.scalars(_filtered(select(Document), status, featured, q, source_id)
                           .order_by(Document.first_seen_at.desc(), Document.id).limit(limit).offset(offset)
                           .options(selectinload(Document.themes))).all()
    return total, list(docs)


def featured_documents(session: Session) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.status == "active", Document.featured)
                                .order_by(Document.first_seen_at.desc()).options(selectinload(Document.themes))))


def review_queue(session: Session, limit: int = 25, offset: int = 0) -> tuple[int, list[Document]]:
    """Searchable documents whose tagging is uncertain (type « à qualifier », no theme, or only weak tagger
    themes), not yet seen by an editor (no override, not marked reviewed), least confident first — an editor's
    minutes teach the tagger most there — then oldest first."""
    best = (select(DocumentTheme.document_id, func.max(DocumentTheme.score).label("best"))
            .group_by(DocumentTheme.document_id).subquery())
    touched = select(TagOverride.document_id)
    cond = [Document.status == "active", Document.id.not_in(touched),
            or_(best.c.best.is_(None), best.c.best < UNCERTAIN_SCORE, Document.doctype == UNSETTLED_TYPE,
                Document.type_confidence < UNCERTAIN_TYPE)]
    base = select(Document).outerjoin(best, best.c.document_id == Document.id).where(*cond)
    candidates = session.scalars(base.order_by(Document.first_seen_at, Document.id)
                                 .options(selectinload(Document.themes))).all()
    # ``reviewed`` lives in the JSON meta column: filtered here, where JSON functions need not be portable.
    pending = [d for d in candidates if not (d.meta or {}).get("reviewed")]
    pending.sort(key=tagging_confidence)  # stable: equal confidence keeps the oldest first
    return len(pending), pending[offset:offset + limit]


def type_confidence(doc: Document) -> float:
    """0 for « à qualifier »; the learned model's probability; else the rules' evidence score squashed to 0–1."""
    if doc.type_confidence is not None:
        return doc.type_confidence
    return type_confidence_of(doc.doctype, doc.doctype_explanation)


def tagging_confidence(doc: Document) -> float:
    """The weaker of the type's and the best theme's confidence (0–1)."""
    theme = squash(max((t.score for t in doc.themes), default=0.0))
    return min(type_confidence(doc), theme)


def uncertain_reason(doc: Document) -> str:
    reasons = []
    if doc.doctype == UNSETTLED_TYPE:
        reasons.append("type à qualifier")
    elif type_confidence(doc) < UNCERTAIN_TYPE:
        reasons.append(f"type incertain ({type_confidence(doc) * 100:.0f} %)")
    if not doc.themes:
        reasons.append("aucun thème")
    elif max(t.score for t in doc.themes) < UNCERTAIN_SCORE:
        reasons.append(f"score faible ({max(t.score for t in doc.themes):.2f})")
    return " ; ".join(reasons) or f"confiance {tagging_confidence(doc):.0%}"


# -- actions ---------------------------------------------------------------------------------------------------
def snapshot(doc: Document) -> dict:
    return {"status": doc.status, "featured": bool(doc.featured), "places": [p.url for p in doc.places],
            "merged_into": (doc.meta or {}).get("merged_into")}


def merge(session: Session, keep: Document, duplicate: Document) -> None:
    """``duplicate`` is the same document as ``keep``: its places move to ``keep``; it is hidden and remembers
    where it went (``meta['merged_into']``), so a recrawl of its URLs now updates ``keep``."""
    for place in list(duplicate.places):
        duplicate.places.remove(place)
        keep.places.append(place)
    keep.featured = keep.featured or duplicate.featured
    duplicate.featured = False
    duplicate.status = "hidden"
    duplicate.meta = {**(duplicate.meta or {}), "merged_into": keep.id}
    keep.meta = {**(keep.meta or {}), "merged_from": sorted({*(keep.meta or {}).get("merged_from", []),
                                                              duplicate.id})}
    keep.updated_at = duplicate.updated_at = utcnow()
    enqueue_index(session, [keep.id, duplicate.id])
