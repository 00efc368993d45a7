"""What goes into each subscriber's digest, without running one index search per alert.

The new documents of the period are few (hundreds) and the alerts many (thousands): the candidates are read
from the store once, analysed once with the index's French analyzer (so a keyword matches here exactly when a
search would find it), and put in small inverted maps; each alert is then a handful of set operations.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from ..search.types import SearchRequest
from ..store.models import Alert, Document, Subscriber
from ..text.analysis import analyze_terms, french_analyzer
from .subscriptions import alert_request

_QUERY_TOKENS = re.compile(r'"([^"]*)"|(\S+)')
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
    terms: tuple[str, ...] = ()  # title, summary and text, in order (phrases)
    title_terms: frozenset[str] = frozenset()


@dataclass
class Item:
    doc: Candidate
    score: float


@dataclass
class Group:
    alert_id: int | None
    params: dict
    items: list[Item] = field(default_factory=list)
    more: int = 0  # matching documents beyond the per-alert limit, left to the search link


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


def parse_keywords(q: str) -> list[tuple[list[tuple[str, ...]], list[tuple[str, ...]]]]:
    """The keyword syntax of the search box, kept small: words and "phrases" all required, ``OR`` between
    alternatives, ``NOT`` before an excluded word. Each alternative is (required, excluded) lists of term
    sequences; a one-term sequence is a word."""
    alternatives: list[tuple[list, list]] = [([], [])]
    negate = False
    for phrase, word in _QUERY_TOKENS.findall(q or ""):
        if word in ("OR", "|"):
            alternatives.append(([], []))
            continue
        if word in ("AND", "&"):
            continue
        if word == "NOT" or (word.startswith("-") and len(word) > 1 and not phrase):
            negate = True
            if word == "NOT":
                continue
            word = word[1:]
        seq = tuple(query_terms(phrase or word.strip("()")))
        if seq:
            (alternatives[-1][1] if negate else alternatives[-1][0]).append(seq)
        negate = False
    return [alt for alt in alternatives if alt[0] or alt[1]]


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    first = needle[0]
    for i, term in enumerate(haystack):
        if term == first and haystack[i:i + n] == needle:
            return True
    return False


class CandidateSet:
    """The period's new documents with inverted maps for facets and terms."""

    def __init__(self, docs: list[Candidate]):
        self.docs = docs
        self.all = frozenset(range(len(docs)))
        self.facets: dict[str, dict[str, set[int]]] = {f: defaultdict(set) for f in
                                                        ("theme", "centre", "region", "type", "year")}
        self.terms: dict[str, set[int]] = defaultdict(set)
        for i, d in enumerate(docs):
            for t in d.themes:
                self.facets["theme"][t].add(i)
            self.facets["centre"][d.centre].add(i)
            for r in d.regions:
                self.facets["region"][r].add(i)
            self.facets["type"][d.doctype].add(i)
            if d.published:
                self.facets["year"][str(d.published.year)].add(i)
            for term in set(d.terms):
                self.terms[term].add(i)
        self._parsed: dict[str, list] = {}

    def _keyword_docs(self, q: str) -> frozenset[int]:
        alternatives = self._parsed.get(q)
        if alternatives is None:
            alternatives = self._parsed[q] = parse_keywords(q)
        if not alternatives:
            return self.all
        found: set[int] = set()
        for required, excluded in alternatives:
            hits = set(self.all)
            for seq in required:
                for term in seq:
                    hits &= self.terms.get(term, set())
                if len(seq) > 1:
                    hits = {i for i in hits if _contains(self.docs[i].terms, seq)}
            for seq in excluded:
                hits -= {i for i in hits if all(t in self.terms and i in self.terms[t] for t in seq)
                         and (len(seq) == 1 or _contains(self.docs[i].terms, seq))}
            found |= hits
        return frozenset(found)

    def match(self, req: SearchRequest, since: dt.datetime, until: dt.datetime) -> list[Item]:
        hits = self._keyword_docs(req.q) if req.q else self.all
        for facet, values in req.filters().items():
            union: set[int] = set()
            for value in values:
                union |= self.facets[facet].get(value, set())
            hits = hits & union
            if not hits:
                return []
        words = {t for alt in self._parsed.get(req.q, []) for seq in alt[0] for t in seq} if req.q else set()
        out = []
        for i in hits:
            d = self.docs[i]
            if not (since < d.first_seen_at <= until):
                continue
            if (req.date_from or req.date_to) and not _within(d.published, req.date_from, req.date_to):
                continue
            score = 3 * len(words & d.title_terms) + len(set(req.theme) & set(d.themes))
            out.append(Item(d, float(score)))
        return out


def _within(day: dt.date | None, start: dt.date | None, end: dt.date | None) -> bool:
    return day is not None and (start is None or day >= start) and (end is None or day <= end)


def load_candidates(session: Session, since: dt.datetime, until: dt.datetime, max_age_days: int,
                    regions_of: dict[str, list[str]], today: dt.date) -> CandidateSet:
    """Documents first seen in (since, until], not from a source's first crawl, searchable, and published less
    than ``max_age_days`` ago (undated ones count as published when found)."""
    oldest = today - dt.timedelta(days=max_age_days)
    rows = session.scalars(
        select(Document)
        .where(Document.first_seen_at > since, Document.first_seen_at <= until,
               Document.from_first_crawl.is_(False), Document.status == "active",
               or_(Document.published.is_(None), Document.published >= oldest))
        .order_by(Document.first_seen_at)
        .options(selectinload(Document.places), selectinload(Document.themes))
    ).all()
    docs = []
    for d in rows:
        title_terms = analyze_terms(d.title or "")
        body = analyze_terms(f"{d.summary or ''}\n{d.text or ''}")
        docs.append(Candidate(
            id=d.id, title=d.title or "", summary=d.summary or "",
            url=d.places[0].url if d.places else d.canonical_url, centre=d.source_id,
            regions=frozenset(regions_of.get(d.source_id, ())), themes=tuple(t.theme_id for t in d.themes),
            doctype=d.doctype, published=d.published, first_seen_at=d.first_seen_at, featured=bool(d.featured),
            terms=tuple(title_terms) + ("",) + tuple(body), title_terms=frozenset(title_terms)))
    return CandidateSet(docs)


def window_start(sub: Subscriber) -> dt.datetime:
    return sub.last_digest_at or sub.confirmed_at or sub.created_at


def build(sub: Subscriber, cands: CandidateSet, until: dt.datetime, per_alert: int = 20) -> DigestContent:
    """A subscriber's digest: each new document once, under the first of their alerts it matches; editors'
    picks ("À la une") on top; in each group the newest first, then the best matching."""
    start = window_start(sub)
    seen: set[str] = set()
    featured: list[Item] = []
    groups: list[Group] = []
    alerts: list[Alert] = [a for a in sub.alerts if a.active]
    for alert in alerts:
        since = max(start, alert.created_at)
        group = Group(alert.id, alert.params)
        for item in cands.match(alert_request(alert.params), since, until):
            if item.doc.id in seen:
                continue
            seen.add(item.doc.id)
            (featured if item.doc.featured else group.items).append(item)
        group.items.sort(key=_order)
        # A mail of hundreds of entries is read by nobody: the best ones, and the search for the rest.
        group.more, group.items = max(0, len(group.items) - per_alert), group.items[:per_alert]
        groups.append(group)
    featured.sort(key=_order)
    return DigestContent(sub.id, start, until, featured[:per_alert], [g for g in groups if g.items])


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
