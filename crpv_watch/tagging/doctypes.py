"""Document type from doctypes.yaml signals.

Evidence levels, strongest first: title, URL, the text naming its own genre at its start ("ce rapport", "cette
note", "ce film": `body_self_signals`, matched as written, one is enough), other signals at the start of the body
(two distinct ones needed). The strongest level with any match decides;
within it the type whose signals cover more of the title (or URL) wins — so "rapport d'activité" beats the bare
"rapport" of etude_rapport and "La lettre n°140" beats the "n°" of revue_cahier — and the precedence list of
doctypes.yaml breaks ties (first wins). A few cheap rules from the `disambiguation` notes follow.
"""

from __future__ import annotations

import re
from collections import defaultdict

from ..items import ExtractedDocument
from .matching import AcronymIndex, PhraseIndex, doc_terms, fold, is_acronym_like
from .thesaurus import FALLBACK_DOCTYPE, Vocabulary

LEVELS = ("title", "url", "self", "body")
# Field shown in explanations: the self-naming phrases are found in the body.
LEVEL_FIELD = {"title": "title", "url": "url", "self": "body", "body": "body"}
# Body signals that must not be the only body evidence of a type (doctypes.yaml disambiguation notes).
NOT_ALONE = {"offre_emploi": {"date limite de candidature"}}
# Reports by these authors are studies, even when called "rapport annuel".
STUDY_AUTHORS = ("ONPV", "Cour des comptes", "Sénat", "Assemblée nationale", "IGAS", "France Stratégie", "Insee",
                 "Observatoire national")
_URL_SPLIT = re.compile(r"[^a-z0-9]+")


def url_tokens(url: str) -> list[str]:
    url = re.sub(r"^[a-z][a-z0-9+.-]*://", "", (url or "").lower())
    return [t for t in _URL_SPLIT.split(url) if t]


class DoctypeClassifier:
    body_chars = 1000
    pdf_body_chars = 3000  # a PDF starts with a cover page and a table of contents
    min_body_signals = 2  # body signals are weak ("contact", "objectifs"…): one is not evidence
    pdf_fallback = "etude_rapport"  # a PDF is a document, not a news item, when nothing else is known

    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        self.order = {d.id: d.rank for d in vocabulary.doctypes.values()}
        kinds = ("title", "title_weak", "self", "body")
        self._phrases = {kind: PhraseIndex() for kind in kinds}
        self._acronyms = {kind: AcronymIndex() for kind in kinds}
        self._url: dict[str, list[tuple[tuple[str, ...], str, str]]] = defaultdict(list)
        for d in vocabulary.doctypes.values():
            for kind, signals in (("title", d.title_signals), ("title_weak", d.title_signals_weak),
                                  ("self", d.body_self_signals), ("body", d.body_signals)):
                for signal in signals:
                    if is_acronym_like(signal):
                        self._acronyms[kind].add(signal, (d.id, signal))
                    else:
                        # "ce rapport" as written: analysed, it would be every "rapport".
                        self._phrases[kind].add(signal, (d.id, signal), literal=kind == "self")
            for signal in d.url_signals:
                tokens = tuple(url_tokens(signal))
                if tokens:
                    self._url[tokens[0]].append((tokens, d.id, signal))
        for bucket in self._url.values():
            bucket.sort(key=lambda item: -len(item[0]))

    def _text_hits(self, kind: str, text: str) -> tuple[dict[str, dict[str, int]], dict[str, set[int]]]:
        """Signal counts per doctype, and the analysed positions each doctype covers."""
        hits: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        covered: dict[str, set[int]] = defaultdict(set)
        if not text.strip():
            return hits, covered
        terms = doc_terms(text)
        masked: dict[str, list[tuple[int, int]]] = defaultdict(list)
        if kind == "body":
            # "chargé de mission" in a body is not the "missions" heading of a job offer: a body match inside a
            # weak title phrase of the same type is dropped (the longer "programme détaillé" is kept).
            for start, end, (doctype, _) in self._phrases["title_weak"].find(terms):
                masked[doctype].append((start, end))
        last_end: dict[str, int] = {}  # "guide pratique" is one signal, not also "guide"
        for start, end, (doctype, signal) in self._phrases[kind].find(terms):
            if start < last_end.get(doctype, 0) or any(s <= start and end <= e for s, e in masked.get(doctype, ())):
                continue
            last_end[doctype] = end
            hits[doctype][signal] += 1
            covered[doctype].update(range(start, end))
        # Acronyms and literal phrases have no term position: each occurrence covers one pseudo-position.
        others = list(self._acronyms[kind].find(text)) + list(self._phrases[kind].find_literal(fold(text)))
        for n, (doctype, signal) in enumerate(others):
            hits[doctype][signal] += 1
            covered[doctype].add(-1 - n)
        return hits, covered

    def _url_hits(self, url: str) -> tuple[dict[str, dict[str, int]], dict[str, set[int]]]:
        hits: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        covered: dict[str, set[int]] = defaultdict(set)
        tokens = url_tokens(url)
        last_end: dict[str, int] = {}
        for i, token in enumerate(tokens):
            for signal_tokens, doctype, signal in self._url.get(token, ()):
                n = len(signal_tokens)
                if i >= last_end.get(doctype, 0) and tuple(tokens[i:i + n]) == signal_tokens:
                    last_end[doctype] = i + n
                    hits[doctype][signal] += 1
                    covered[doctype].update(range(i, i + n))
        return hits, covered

    def evidence(self, doc: ExtractedDocument) -> dict[str, tuple[dict, dict]]:
        is_pdf = doc.content_type == "application/pdf"
        body = "\n".join(t for t in (doc.summary, doc.text) if t)[: self.pdf_body_chars if is_pdf else self.body_chars]
        body_hits, body_cov = self._text_hits("body", body)
        self_hits, self_cov = self._text_hits("self", body)
        title_hits, title_cov = self._text_hits("title", doc.title or "")
        # Weak title words ("chargé de mission", "poste") only count with body support of the same type.
        weak_hits, weak_cov = self._text_hits("title_weak", doc.title or "")
        for doctype, signals in weak_hits.items():
            support = set(body_hits.get(doctype, {})) - NOT_ALONE.get(doctype, set())
            if support:
                for signal, n in signals.items():
                    title_hits[doctype][signal] += n
                title_cov[doctype] |= weak_cov[doctype]
        for doctype in list(body_hits):
            if len(set(body_hits[doctype]) - NOT_ALONE.get(doctype, set())) < self.min_body_signals:
                del body_hits[doctype]
        url_hits, url_cov = self._url_hits(doc.url)
        if is_pdf:
            url_hits.pop(FALLBACK_DOCTYPE, None)
        return {"title": (title_hits, title_cov), "url": (url_hits, url_cov), "self": (self_hits, self_cov),
                "body": (body_hits, body_cov)}

    def classify(self, doc: ExtractedDocument) -> tuple[str, list[dict]]:
        evidence = self.evidence(doc)
        winner, rule = None, None
        for level in LEVELS:
            hits, covered = evidence[level]
            candidates = [d for d in hits if hits[d]]
            if candidates:
                winner = min(candidates, key=lambda d: (-len(covered[d]), self.order.get(d, 99), d))
                winner, rule = self._disambiguate(winner, candidates, doc, evidence)
                break
        if winner is None:
            if doc.content_type == "application/pdf" and self.pdf_fallback in self.vocabulary.doctypes:
                return self.pdf_fallback, [{"signal": "PDF sans autre signal", "field": "content_type", "count": 1}]
            return FALLBACK_DOCTYPE, [{"signal": "aucun signal de type", "field": "fallback", "count": 0}]
        explanation = [{"signal": signal, "field": LEVEL_FIELD[level], "count": n}
                       for level in LEVELS for signal, n in evidence[level][0].get(winner, {}).items()]
        if rule:
            explanation.append({"signal": rule, "field": "rule", "count": 1})
        return winner, explanation

    def _disambiguate(self, winner: str, candidates: list[str], doc: ExtractedDocument,
                      evidence: dict) -> tuple[str, str | None]:
        raw_body, _ = self._text_hits("body", "\n".join(t for t in (doc.summary, doc.text) if t)[: self.body_chars])
        # A meeting is announced (future, registration) or reported (past tense, "retour sur").
        past = bool(raw_body.get("actes_compte_rendu"))
        future = bool(raw_body.get("agenda_evenement"))
        if winner == "agenda_evenement" and past and not future:
            return "actes_compte_rendu", "passé composé sans inscription → actes"
        if winner == "actes_compte_rendu" and "agenda_evenement" in candidates and future and not past:
            return "agenda_evenement", "inscription sans passé composé → agenda"
        # "Comment … ?" only asks a question: a genre noun of the title ("Note : … comment ça marche ?") wins.
        if winner == "guide_methodologique" and set(evidence["title"][0].get(winner, {})) == {"comment"} \
                and len(candidates) > 1:
            covered = evidence["title"][1]
            other = min((d for d in candidates if d != winner),
                        key=lambda d: (-len(covered[d]), self.order.get(d, 99), d))
            return other, "« comment … » n'est qu'une question : le genre nommé dans le titre l'emporte"
        # A "comment … ?" title is a webinar synthesis when the body reports an event.
        if winner == "guide_methodologique" and set(evidence["title"][0].get(winner, {})) == {"comment"} \
                and raw_body.get("actes_compte_rendu"):
            return "actes_compte_rendu", "« comment … » + récit d'événement → actes"
        if winner == "rapport_activite" and any(a in (doc.title or "") for a in STUDY_AUTHORS):
            return "etude_rapport", "rapport d'un observatoire ou d'une institution → étude"
        return winner, None
