"""Editors' labelled examples (``tag_examples``): written on every correction or confirmation of a document's
tags, read by ``crpv-watch tags train``."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from .models import Document, TagExample

TEXT_CHARS = 20_000  # the tagger's learned part reads the start of a text; the rules' themes a little more
UNSETTLED_TYPE = "a_qualifier"


def record_example(session: Session, doc: Document, origin: str, user_email: str = "") -> TagExample:
    """Keep (or refresh) the document's current labels as an editor's example."""
    example = session.scalar(select(TagExample).where(TagExample.document_id == doc.id))
    if example is None:
        example = TagExample(document_id=doc.id)
        session.add(example)
    example.source_id = doc.source_id or ""
    example.url = doc.places[0].url if doc.places else (doc.canonical_url or "")
    example.title = doc.title or ""
    example.text = "\n".join(t for t in (doc.summary, doc.text) if t)[:TEXT_CHARS]
    example.content_type = doc.content_type or "text/html"
    example.themes = sorted(t.theme_id for t in doc.themes)
    example.doctype = "" if doc.doctype == UNSETTLED_TYPE else (doc.doctype or "")
    example.origin = origin
    example.user_email = user_email
    return example


def all_examples(session: Session) -> list[TagExample]:
    return list(session.scalars(select(TagExample).order_by(TagExample.document_id)))


def count_examples(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(TagExample)) or 0


def record_example_of(doc: Document, origin: str, user_email: str = "") -> TagExample:
    """``record_example`` in the session the document belongs to (the one-click views hold only the document)."""
    return record_example(object_session(doc), doc, origin, user_email)
