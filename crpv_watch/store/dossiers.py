"""Queries of the editors' « dossiers documentaires »: create, edit, add, annotate, reorder, publish."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from .models import Document, Dossier, DossierItem, utcnow


def slugify(title: str) -> str:
    text = unicodedata.normalize("NFKD", title or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80] or "dossier"


def all_dossiers(session: Session) -> list[Dossier]:
    return list(session.scalars(select(Dossier).order_by(Dossier.updated_at.desc())
                                .options(selectinload(Dossier.items))))


def published_dossiers(session: Session) -> list[Dossier]:
    return list(session.scalars(select(Dossier).where(Dossier.published).order_by(Dossier.updated_at.desc())))


def get(session: Session, dossier_id: int) -> Dossier | None:
    return session.scalars(select(Dossier).where(Dossier.id == dossier_id).options(
        selectinload(Dossier.items).selectinload(DossierItem.document))).first()


def by_slug(session: Session, slug: str) -> Dossier | None:
    return session.scalars(select(Dossier).where(Dossier.slug == slug).options(
        selectinload(Dossier.items).selectinload(DossierItem.document).selectinload(Document.places))).first()


def create(session: Session, title: str, intro: str, author: str) -> Dossier:
    """A new draft dossier; its address is its title as a slug, numbered when taken (and never changed)."""
    base = slugify(title)
    slug, n = base, 1
    while session.scalar(select(func.count()).select_from(Dossier).where(Dossier.slug == slug)):
        n += 1
        slug = f"{base}-{n}"
    dossier = Dossier(slug=slug, title=title, intro=intro, created_by=author)
    session.add(dossier)
    session.flush()
    return dossier


def touch(dossier: Dossier) -> None:
    dossier.updated_at = utcnow()


def add_document(session: Session, dossier: Dossier, document_id: str, note: str) -> str | None:
    """Appends the document: « added »; when it is there already its note is updated: « present »; None when the
    document is unknown."""
    if session.get(Document, document_id) is None:
        return None
    for item in dossier.items:
        if item.document_id == document_id:
            item.note = note or item.note
            touch(dossier)
            return "present"
    last = max((i.position for i in dossier.items), default=0)
    dossier.items.append(DossierItem(document_id=document_id, note=note, position=last + 1))
    touch(dossier)
    return "added"


def titles_by_document(session: Session, document_ids: list[str]) -> dict[str, list[str]]:
    """document id → titles of the dossiers holding it, for the editors' view of a results page."""
    if not document_ids:
        return {}
    rows = session.execute(select(DossierItem.document_id, Dossier.title).join(Dossier)
                           .where(DossierItem.document_id.in_(document_ids)).order_by(Dossier.title))
    out: dict[str, list[str]] = {}
    for document_id, title in rows:
        out.setdefault(document_id, []).append(title)
    return out


def move(dossier: Dossier, item_id: int, step: int) -> None:
    """Swap an item with its neighbour (``step`` -1: up, +1: down); positions are renumbered 1..n."""
    items = sorted(dossier.items, key=lambda i: i.position)
    index = next((n for n, i in enumerate(items) if i.id == item_id), None)
    if index is None or not 0 <= index + step < len(items):
        return
    items[index], items[index + step] = items[index + step], items[index]
    for position, item in enumerate(items, start=1):
        item.position = position
    touch(dossier)


def remove(dossier: Dossier, item_id: int) -> None:
    dossier.items[:] = [i for i in dossier.items if i.id != item_id]
    touch(dossier)


def set_note(dossier: Dossier, item_id: int, note: str) -> None:
    for item in dossier.items:
        if item.id == item_id:
            item.note = note
    touch(dossier)


def published_by_slug(session: Session, slug: str) -> Dossier | None:
    """The published dossier at this address (without its items): what a reader may follow."""
    return session.scalar(select(Dossier).where(Dossier.slug == slug, Dossier.published))


def additions(session: Session, dossier_ids: set[int], since: dt.datetime, until: dt.datetime) -> list[DossierItem]:
    """What was added in (since, until] to these dossiers, for the letters of their followers: only published
    dossiers and documents still searchable; each item with its dossier and its document (places, themes)."""
    if not dossier_ids:
        return []
    document = selectinload(DossierItem.document)
    return list(session.scalars(
        select(DossierItem).join(Dossier).join(Document, DossierItem.document_id == Document.id)
        .where(DossierItem.dossier_id.in_(dossier_ids), Dossier.published, Document.status == "active",
               DossierItem.added_at > since, DossierItem.added_at <= until)
        .order_by(DossierItem.added_at, DossierItem.id)
        .options(selectinload(DossierItem.dossier), document.selectinload(Document.places),
                 document.selectinload(Document.themes))))
