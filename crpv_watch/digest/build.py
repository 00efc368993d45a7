"""What goes into each subscriber's digest.

An alert is a search: it is matched by the search engine itself (``SearchEngine.matching_ids``: the same query
parser, facets and dates as the site), restricted to the period's new documents read once from the store. The
selection of one alert is cached, so thousands of subscribers sharing an alert cost one match.

An alert that follows a dossier (``Alert.dossier_id``) is no search: it carries what editors added to that dossier
during the period, whatever the documents' age, each with the editor's note.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ..search.query import AND_WORDS, NOT_WORDS, OR_WORDS
from ..search.types import SearchRequest
from ..store import digests as digest_store
from ..store import dossiers as dossier_store
from ..store.models import Alert, Document, Subscriber
from ..text.analysis import analyze_terms, french_analyzer
from .subscriptions import alert_request

_QUERY_TOKENS = re.compile(r'"([^"]*)"|(\S+)')
OPERATORS = OR_WORDS | AND_WORDS | NOT_WORDS | {"|", "&"}


class Matcher(Protocol):
    def matching_ids(self, req: SearchRequest, among) -> set[str]: ...
_query_analyzer = french_analyzer(stem=True)


@dataclass
class Candidate:
    id: str
    title: str
    summary: str
    url: str  # the original, where it was published
    centre: str
    regions: frozenset[str]
    themes: tuple[str, ...]
    doctype: str
    published: dt.date | None
    first_seen_at: dt.datetime
    featured: bool
    title_terms: frozenset[str] = frozenset()


@dataclass
class Item:
    doc: Candidate
    score: float
    note: str = ""  # the editor's note, for a document added to a followed dossier


@dataclass(frozen=True)
class DossierRef:
    id: int
    slug: str
    title: str


@dataclass
class Addition:
    """A document added to a dossier, as the letters of the dossier's followers show it."""

    dossier: DossierRef
    doc: Candidate
    note: str
    added_at: dt.datetime


@dataclass
class Group:
    alert_id: int | None
    params: dict
    items: list[Item] = field(default_factory=list)
    more: int = 0  # matching documents beyond the per-alert limit, left to the search link
    dossier: DossierRef | None = None  # set for a followed dossier: the group is its additions


@dataclass
class DigestContent:
    subscriber_id: int
    window_start: dt.datetime
    window_end: dt.datetime
    featured: list[Item]
    groups: list[Group]

    @property
    def count(self) -> int:
        return len(self.featured) + sum(len(g.items) + g.more for g in self.groups)

    @property
    def document_ids(self) -> list[str]:
        return [i.doc.id for i in self.featured] + [i.doc.id for g in self.groups for i in g.items]


def query_terms(text: str) -> list[str]:
    return [t.text for t in _query_analyzer(text, mode="query")]


def positive_words(q: str) -> set[str]:
    """The analysed words an alert asks for (not the operators, not the excluded words): they rank a group."""
    words: set[str] = set()
    skip = False
    for phrase, word in _QUERY_TOKENS.findall(q or ""):
        if word in OPERATORS:
            skip = word in NOT_WORDS
            continue
        if not skip and not word.startswith("-"):
            words.update(query_terms(phrase or word.strip("()")))
        skip = False
    return words


class CandidateSet:
    """The period's new documents, and the search engine that tells which of them an alert selects."""

    def __init__(self, docs: list[Candidate], engine: Matcher | None = None):
        self.docs = docs
        self.engine = engine
        self._by_id = {d.id: d for d in docs}
        self._selected: dict[tuple, frozenset[str]] = {}
        self.additions: dict[int, list[Addition]] = {}

    def add(self, additions: list[Addition]) -> None:
        """The period's additions to followed dossiers (``load_additions``)."""
        for addition in additions:
            self.additions.setdefault(addition.dossier.id, []).append(addition)

    def added(self, dossier_id: int, since: dt.datetime, until: dt.datetime) -> list[Addition]:
        return [a for a in self.additions.get(dossier_id, ()) if since < a.added_at <= until]

    def _selection(self, req: SearchRequest) -> frozenset[str]:
        key = tuple(req.to_params())
        found = self._selected.get(key)
        if found is None:
            found = frozenset(self.engine.matching_ids(req, self._by_id)) if self.engine and self.docs else frozenset()
            self._selected[key] = found
        return found

    def match(self, req: SearchRequest, since: dt.datetime, until: dt.datetime) -> list[Item]:
        words = positive_words(req.q)
        out = []
        for doc_id in self._selection(req):
            d = self._by_id[doc_id]
            if not (since < d.first_seen_at <= until):
                continue
            score = 3 * len(words & d.title_terms) + len(set(req.theme) & set(d.themes))
            out.append(Item(d, float(score)))
        return out


def load_candidates(session: Session, since: dt.datetime, until: dt.datetime, max_age_days: int,
                    regions_of: dict[str, list[str]], today: dt.date, engine: Matcher | None = None) -> CandidateSet:
    """Documents first seen in (since, until], not from a source's first crawl, searchable, and published less
    than ``max_age_days`` ago (undated ones count as published when found)."""
    rows = digest_store.new_documents(session, since, until, today - dt.timedelta(days=max_age_days))
    return CandidateSet([candidate(d, regions_of) for d in rows], engine)


def candidate(d: Document, regions_of: dict[str, list[str]]) -> Candidate:
    """A stored document (places and themes loaded) as the letters show it."""
    return Candidate(
        id=d.id, title=d.title or "", summary=d.summary or "",
        url=d.places[0].url if d.places else d.canonical_url, centre=d.source_id,
        regions=frozenset(regions_of.get(d.source_id, ())), themes=tuple(t.theme_id for t in d.themes),
        doctype=d.doctype, published=d.published, first_seen_at=d.first_seen_at, featured=bool(d.featured),
        title_terms=frozenset(analyze_terms(d.title or "")))


def load_additions(session: Session, dossier_ids: set[int], since: dt.datetime, until: dt.datetime,
                   regions_of: dict[str, list[str]]) -> list[Addition]:
    """What editors added to the followed dossiers in (since, until]: no age limit and no first-crawl rule here,
    an old document chosen for a dossier is news to its followers."""
    return [Addition(DossierRef(i.dossier.id, i.dossier.slug, i.dossier.title), candidate(i.document, regions_of),
                     i.note or "", i.added_at)
            for i in dossier_store.additions(session, dossier_ids, since, until)]


def window_start(sub: Subscriber) -> dt.datetime:
    return sub.last_digest_at or sub.confirmed_at or sub.created_at


def build(sub: Subscriber, cands: CandidateSet, until: dt.datetime, per_alert: int = 20) -> DigestContent:
    """A subscriber's digest: each new document once, under the first of their alerts it matches; editors'
    picks ("À la une") on top; in each group the newest first, then the best matching. A followed dossier's
    additions come in the order editors added them, and claim their documents first: they carry a note."""
    start = window_start(sub)
    seen: set[str] = set()
    featured: list[Item] = []
    alerts: list[Alert] = [a for a in sub.alerts if a.active]
    groups: dict[int, Group] = {}
    for alert in sorted(alerts, key=lambda a: a.dossier_id is None):
        since = max(start, alert.created_at)
        if alert.dossier_id is not None:
            group = groups[alert.id] = _dossier_group(alert, cands.added(alert.dossier_id, since, until), seen)
        else:
            group = groups[alert.id] = Group(alert.id, alert.params)
            for item in cands.match(alert_request(alert.params), since, until):
                if item.doc.id in seen:
                    continue
                seen.add(item.doc.id)
                (featured if item.doc.featured else group.items).append(item)
            group.items.sort(key=_order)
        # A mail of hundreds of entries is read by nobody: the best ones, and the search for the rest.
        group.more, group.items = max(0, len(group.items) - per_alert), group.items[:per_alert]
    featured.sort(key=_order)
    ordered = [groups[a.id] for a in alerts]  # the subscriber's own order of alerts
    return DigestContent(sub.id, start, until, featured[:per_alert], [g for g in ordered if g.items])


def _dossier_group(alert: Alert, added: list[Addition], seen: set[str]) -> Group:
    group = Group(alert.id, {}, dossier=added[0].dossier if added else None)
    for addition in added:
        if addition.doc.id not in seen:
            seen.add(addition.doc.id)
            group.items.append(Item(addition.doc, 0.0, addition.note))
    return group


def _order(item: Item):
    d = item.doc
    return (-(d.published or d.first_seen_at.date()).toordinal(), -item.score, -d.first_seen_at.timestamp())


def period_for(frequency: str, now: dt.datetime, tz: str) -> str:
    """The ISO week (Europe/Paris) of a weekly digest, the local date of a daily one."""
    local = now.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(tz))
    if frequency == "daily":
        return local.date().isoformat()
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"
