"""Editors' corrections of themes and type, and re-tagging the store after a thesaurus change.

An override is a ``TagOverride`` row (add_theme | remove_theme | set_type) kept apart from the tagger's output:
``store.ingest.retag`` replays them after every re-tagging, so they win over the tagger and survive recrawls,
re-extraction, ``tags recompute`` and index rebuilds (the index is fed from the document rows they changed).
Every correction also writes an ``AuditLog`` row: who, when, before and after.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ..items import ExtractedDocument, Tags
from ..store import repo
from ..store.ingest import retag
from ..store.models import AuditLog, Document, TagOverride
from .thesaurus import Vocabulary


class OverrideError(ValueError):
    """A correction that cannot be recorded (unknown document, theme or type; contradictory request)."""


def snapshot(doc: Document) -> dict:
    return {"themes": sorted(t.theme_id for t in doc.themes), "doctype": doc.doctype}


@dataclass
class OverrideResult:
    document_id: str
    before: dict
    after: dict

    @property
    def changed(self) -> bool:
        return self.before != self.after


def set_tags(session: Session, doc_id: str, vocabulary: Vocabulary, *, add: Iterable[str] = (),
             remove: Iterable[str] = (), doctype: str | None = None, user_email: str = "") -> OverrideResult:
    """Record an editor's correction of one document, apply it, and queue the index update."""
    add, remove = list(dict.fromkeys(add)), list(dict.fromkeys(remove))
    doc = repo.get_document(session, doc_id)
    if doc is None:
        raise OverrideError(f"document inconnu : {doc_id}")
    unknown = [t for t in add + remove if t not in vocabulary.themes]
    if unknown:
        raise OverrideError(f"thème inconnu : {', '.join(unknown)}")
    if doctype is not None and doctype not in vocabulary.doctypes:
        raise OverrideError(f"type inconnu : {doctype}")
    both = set(add) & set(remove)
    if both:
        raise OverrideError(f"thème à la fois ajouté et retiré : {', '.join(sorted(both))}")
    rows = [TagOverride(document_id=doc.id, action="remove_theme", value=t, user_email=user_email) for t in remove]
    # Adding a theme the tagger already gave is an editor's confirmation: recorded, so it outlives the tagger.
    rows += [TagOverride(document_id=doc.id, action="add_theme", value=t, user_email=user_email) for t in add]
    if doctype is not None:
        rows.append(TagOverride(document_id=doc.id, action="set_type", value=doctype, user_email=user_email))
    if not rows:
        raise OverrideError("rien à changer : indiquez un thème à ajouter ou retirer, ou un type")
    before = snapshot(doc)
    session.add_all(rows)
    repo.apply_overrides(doc, rows)
    after = snapshot(doc)
    session.add(AuditLog(user_email=user_email, action="document.tags", target=doc.id, before=before,
                         after={**after, "overrides": [{"action": r.action, "value": r.value} for r in rows]}))
    repo.enqueue_index(session, [doc.id])
    return OverrideResult(doc.id, before, after)


# -- recompute ----------------------------------------------------------------------------------------------

@dataclass
class Change:
    document_id: str
    title: str
    before: dict
    after: dict

    @property
    def added(self) -> list[str]:
        return sorted(set(self.after["themes"]) - set(self.before["themes"]))

    @property
    def removed(self) -> list[str]:
        return sorted(set(self.before["themes"]) - set(self.after["themes"]))


@dataclass
class RecomputeReport:
    examined: int = 0
    changes: list[Change] = field(default_factory=list)
    explanations_only: int = 0  # same labels, new explanations or scores (stored, not indexed)
    theme_added: Counter = field(default_factory=Counter)
    theme_removed: Counter = field(default_factory=Counter)
    type_changes: Counter = field(default_factory=Counter)  # (old, new) → documents
    territory_changed: int = 0


def _labels(doc: Document) -> dict:
    return {**snapshot(doc), "departments": sorted(doc.departments or []), "qpvs": sorted(doc.qpvs or [])}


def _stored(doc: Document) -> tuple:
    return (sorted((t.theme_id, round(t.score, 4), repr(t.explanation)) for t in doc.themes), doc.doctype,
            repr(doc.doctype_explanation), repr((doc.meta or {}).get("territory_explanation")))


def extracted_from(doc: Document) -> ExtractedDocument:
    """The tagger's input rebuilt from the stored document: no fetch, no extraction."""
    url = doc.places[0].url if doc.places else doc.canonical_url
    return ExtractedDocument(url=url, canonical_url=doc.canonical_url, title=doc.title or "", text=doc.text or "",
                             content_type=doc.content_type, summary=doc.summary or "", published=doc.published,
                             author=doc.author or "", language=doc.language, pages=doc.pages)


def recompute(session: Session, tag: Callable[[ExtractedDocument, tuple[str, ...]], Tags],
              default_themes: Callable[[str], tuple[str, ...]], *, dry_run: bool = False,
              batch: int = 200) -> RecomputeReport:
    """Re-tag every stored document (overrides replayed), queue the changed ones for indexing.

    With ``dry_run`` the session is rolled back at the end of each batch: the report says what would change.
    """
    report = RecomputeReport()
    last = ""
    while True:
        docs = repo.documents_after(session, last, batch)
        if not docs:
            break
        last = docs[-1].id
        changed_ids = []
        for doc in docs:
            report.examined += 1
            before, stored = _labels(doc), _stored(doc)
            retag(session, doc, tag(extracted_from(doc), default_themes(doc.source_id)))
            after = _labels(doc)
            if before != after:
                change = Change(doc.id, doc.title, before, after)
                report.changes.append(change)
                report.theme_added.update(change.added)
                report.theme_removed.update(change.removed)
                if before["doctype"] != after["doctype"]:
                    report.type_changes[(before["doctype"], after["doctype"])] += 1
                if (before["departments"], before["qpvs"]) != (after["departments"], after["qpvs"]):
                    report.territory_changed += 1
                changed_ids.append(doc.id)
            elif stored != _stored(doc):
                report.explanations_only += 1
        if dry_run:
            session.rollback()
        else:
            repo.enqueue_index(session, changed_ids)
            session.commit()
    return report
