"""Keyword-rule tagger: themes (with pillars) and document type, each with its explanation.

Scores are sums of field-weighted signal counts. A signal seen n times counts 1 + ln(n): repetition helps but
several distinct signals help more. Body evidence is divided by a log of the body length, so a long report does
not collect every theme from passing mentions. The numbers live here as class attributes so the evaluation set
(a later task) can tune them without touching the logic.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from ..items import ExtractedDocument, Tags, ThemeDecision
from .doctypes import DoctypeClassifier, SectionHint, TypeScore
from .matching import AcronymIndex, PhraseIndex, doc_terms, fold
from .territory import TerritoryFinder
from .thesaurus import Vocabulary

FIELDS = ("title", "summary", "body")
# Job-ad boilerplate: "offre d'emploi" says what the document is, not that it is about employment.
NEUTRAL_PHRASES = ("offre d'emploi", "offres d'emploi", "offre de stage", "fiche de poste", "poste à pourvoir")


@dataclass(frozen=True)
class Signal:
    owner: str  # theme or pillar id
    label: str  # the keyword or acronym as written in themes.yaml
    ambiguous: bool = False
    weak: bool = False
    acronym: bool = False


class Tagger:
    field_weights = {"title": 3.0, "summary": 2.0, "body": 1.0}
    body_length_unit = 500  # analysed terms; the body divisor is 1 + log2(1 + terms / unit)
    weak_factor = 0.5
    # Minimum score of an assigned theme: one body signal of a short text (0.9). 1.75 (two signals) cut the real
    # secondary themes of the short texts centres publish, which got no theme at all; passing mentions in a long
    # text stay out through the body divisor and the relative threshold (docs/QUALITY.md, tuned on real dev).
    threshold = 0.9
    pillar_threshold = 4.0  # a pillar from its own, broad keywords ("habitat", "emploi") needs more
    relative_threshold = 0.35  # … and at least this share of the best theme's score
    max_themes = 4
    # The contrat de ville and its geography are the frame of nearly every text of the network: named in passing
    # by a text about sport or discriminations, they are its context, not its subject. Such a theme is kept
    # beside a better one only when it nearly equals it (real dev: the texts filed under it lead with it, or
    # within 0.75 of the leader; the texts that only mention it stay below 0.7).
    context_themes = {"gouvernance_contrat_de_ville": 0.7}
    # A theme named by this many different words is a subject of the text even beside a dominant one whose title
    # names it ("Lancement du programme Entrepreneuriat Quartiers 2030" also speaks of emploi, France Travail,
    # demandeurs d'emploi, cités de l'emploi): the relative threshold alone cut it.
    distinct_signals = 3
    default_theme_prior = 1.0  # added to a source's default theme, only when the text already supports it…
    prior_min_support = 0.45  # … by at least this much (a passing mention in a long report does not)
    # A theme seen only through acronyms counts this share: capitalised words are acronyms of the field in one
    # text and of a laboratory or a car model in another; with a keyword beside them they count in full.
    acronym_only_factor = 0.6
    ambiguous_alone_count = 3  # occurrences from which an ambiguous word counts without another signal
    # Beyond this, more text adds time but hardly changes which themes dominate (≈ 100 pages).
    max_body_chars = 300_000

    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        self._phrases = PhraseIndex()
        self._acronyms = AcronymIndex()
        self._neutral = PhraseIndex()
        for phrase in NEUTRAL_PHRASES:
            self._neutral.add(phrase, None)
        owners = [(p.id, p) for p in vocabulary.pillars.values()] + [(t.id, t) for t in vocabulary.themes.values()]
        for owner, entry in owners:
            ambiguous, weak = set(entry.ambiguous), set(entry.weak)
            for kw in entry.keywords:
                self._phrases.add(kw, Signal(owner, kw, kw in ambiguous, kw in weak))
            for ac in entry.acronyms:
                self._acronyms.add(ac, Signal(owner, ac, ac in ambiguous, ac in weak, acronym=True))
        self.doctypes = DoctypeClassifier(vocabulary)
        self.territory = TerritoryFinder(vocabulary)

    # -- themes ---------------------------------------------------------------------------------------------

    def _count(self, doc: ExtractedDocument) -> tuple[dict[str, dict[tuple[Signal, str], int]], int]:
        """Signal counts per owner and field, and the body length in analysed terms."""
        counts: dict[str, dict[tuple[Signal, str], int]] = defaultdict(lambda: defaultdict(int))
        body_terms = 0
        for field, text in (("title", doc.title), ("summary", doc.summary), ("body", doc.text)):
            text = (text or "")[: self.max_body_chars]
            if not text.strip():
                continue
            terms = doc_terms(text)
            if field == "body":
                body_terms = len(terms)
            masked = {i for start, end, _ in self._neutral.find(terms) for i in range(start, end)}
            covered: dict[str, int] = {}  # owner → end of its last match: nested phrases count once
            for start, end, signal in self._phrases.find(terms):
                if start < covered.get(signal.owner, 0) or start in masked:
                    continue
                covered[signal.owner] = end
                counts[signal.owner][(signal, field)] += 1
            for signal in self._phrases.find_literal(fold(text)):
                counts[signal.owner][(signal, field)] += 1
            for signal in self._acronyms.find(text):
                counts[signal.owner][(signal, field)] += 1
        return counts, body_terms

    def _score(self, hits: dict[tuple[Signal, str], int], body_terms: int) -> tuple[float, list[dict]]:
        # An ambiguous word (école, CAF, climat, the audience « jeunes »…) only counts when the owner has another,
        # unambiguous signal, or when the body comes back to it again and again; weak ones need another signal
        # always: naming the QPV or the ANCT does not make a governance text.
        if not any(not s.ambiguous and not s.weak for s, _ in hits) and not self._repeated(hits):
            return 0.0, []
        body_divisor = 1.0 + math.log2(1.0 + body_terms / self.body_length_unit)
        score = 0.0
        explanation = []
        for (signal, field), n in hits.items():
            value = self.field_weights[field] * (1.0 + math.log(n))
            if signal.weak:
                value *= self.weak_factor
            if field == "body":
                value /= body_divisor
            score += value
            explanation.append({"signal": signal.label, "field": field, "count": n})
        if all(s.acronym and field == "body" for s, field in hits):
            score *= self.acronym_only_factor
        explanation.sort(key=lambda e: (FIELDS.index(e["field"]), -e["count"], e["signal"]))
        return score, explanation

    def _repeated(self, hits: dict[tuple[Signal, str], int]) -> bool:
        """An ambiguous word the body comes back to again and again is its subject, not a passing mention: "les
        jeunes" three times in a page of young people's words makes it a text about jeunesse (real dev: 6 of the 7
        texts saying it three times or more are filed under jeunesse)."""
        totals: dict[Signal, int] = defaultdict(int)
        for (signal, field), n in hits.items():
            if signal.ambiguous and not signal.weak and field == "body":
                totals[signal] += n
        return any(n >= self.ambiguous_alone_count for n in totals.values())

    def score_themes(self, doc: ExtractedDocument, default_themes=()) -> tuple[list[ThemeDecision], dict]:
        """All themes with a positive score (best first), and the pillar scores from pillar keywords."""
        counts, body_terms = self._count(doc)
        decisions = []
        pillar_scores = {}
        for owner, hits in counts.items():
            score, explanation = self._score(hits, body_terms)
            if score <= 0:
                continue
            if owner in self.vocabulary.pillars:
                pillar_scores[owner] = score
                continue
            if owner in default_themes and score >= self.prior_min_support:
                score += self.default_theme_prior
                explanation.append({"signal": "thème par défaut de la source", "field": "source", "count": 1})
            decisions.append(ThemeDecision(owner, round(score, 3), explanation))
        decisions.sort(key=lambda d: (-d.score, d.theme_id))
        return decisions, pillar_scores

    def select(self, decisions: list[ThemeDecision]) -> list[ThemeDecision]:
        if not decisions:
            return []
        best = decisions[0].score
        floor = max(self.threshold, self.relative_threshold * best)

        def kept(i: int, d: ThemeDecision) -> bool:
            if d.score < self.threshold:
                return False
            if d.score < floor and _distinct_signals(d) < self.distinct_signals:
                return False
            return i == 0 or d.score >= self.context_themes.get(d.theme_id, 0.0) * best

        return [d for i, d in enumerate(decisions) if kept(i, d)][: self.max_themes]

    def pillars_for(self, themes: list[ThemeDecision], pillar_scores: dict[str, float]) -> list[str]:
        pillars = []
        for decision in themes:
            parent = self.vocabulary.pillar_of(decision.theme_id)
            if parent and parent not in pillars:
                pillars.append(parent)
        for pillar, score in sorted(pillar_scores.items(), key=lambda kv: -kv[1]):
            if score >= self.pillar_threshold and pillar not in pillars:
                pillars.append(pillar)
        return pillars

    # -- all tags -------------------------------------------------------------------------------------------

    def analyse(self, doc: ExtractedDocument, default_themes=(), sections: tuple[SectionHint, ...] = ()) -> Analysis:
        """Every rule score of one document: what ``tag`` decides from, and the learned model's inputs."""
        defaults = set(default_themes or ()) | {t for hint in sections for t in hint.themes}
        decisions, pillar_scores = self.score_themes(doc, defaults)
        type_scores, cues = self.doctypes.assess(doc, sections)
        return Analysis(decisions, pillar_scores, type_scores, cues)

    def territory_of(self, doc: ExtractedDocument):
        return self.territory.find([("title", doc.title or ""), ("summary", doc.summary or ""),
                                    ("body", (doc.text or "")[: self.max_body_chars])], doc.language)

    def tag(self, doc: ExtractedDocument, default_themes=(), sections: tuple[SectionHint, ...] = ()) -> Tags:
        analysis = self.analyse(doc, default_themes, sections)
        return self.tags_from(doc, analysis, self.select(analysis.decisions),
                              *self.doctypes.decide(analysis.type_scores))

    def tags_from(self, doc: ExtractedDocument, analysis: Analysis, themes: list[ThemeDecision], doctype: str,
                  doctype_explanation: list[dict]) -> Tags:
        territory = self.territory_of(doc)
        return Tags(themes=themes, pillars=self.pillars_for(themes, analysis.pillar_scores), doctype=doctype,
                    doctype_explanation=doctype_explanation, departments=territory.departments,
                    qpvs=territory.qpvs, territory_explanation=territory.explanation)

    def describe(self) -> str:
        return "règles seules"


def _distinct_signals(decision: ThemeDecision) -> int:
    return len({e["signal"] for e in decision.explanation if e["field"] != "source"})


@dataclass
class Analysis:
    decisions: list[ThemeDecision]  # every theme with a positive rule score, best first
    pillar_scores: dict[str, float]
    type_scores: dict[str, TypeScore]
    cues: dict[str, int]  # genre cue → count
