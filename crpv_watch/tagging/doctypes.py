"""Document type as weighed evidence from doctypes.yaml signals, the text's genre cues and the source's sections.

Every piece of evidence adds to the score of the types it speaks for (``DoctypeClassifier.weights``): a genre noun
of the title (the type whose signals cover more of the title gets more: "rapport d'activité" over the bare
"rapport"), the text naming its own genre ("ce rapport", "cette note": `body_self_signals`, matched as written),
body signals at the start of the text, genre cues of tense and time (``genre.py``: a meeting that took place
against one announced, dates against the publication date, "poste à pourvoir", "date limite de dépôt"…), URL
path segments (whole segments only, weak), and a section of the source mapped to a type (`sections:`). The best
score wins when it reaches ``min_score``; otherwise the type is « à qualifier » and the document goes to the
editors' review queue. The precedence list of doctypes.yaml breaks exact ties.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from ..items import ExtractedDocument
from .genre import TITLE_NEWS_LABEL, genre_evidence
from .matching import AcronymIndex, PhraseIndex, doc_terms, fold, is_acronym_like
from .thesaurus import FALLBACK_DOCTYPE, UNQUALIFIED_DOCTYPE, Vocabulary

# Field shown in explanations: the self-naming phrases are found in the body.
LEVEL_FIELD = {"title": "title", "title_weak": "title", "url": "url", "self": "body", "body": "body"}
# Body signals that must not be the only body evidence of a type (doctypes.yaml disambiguation notes).
NOT_ALONE = {"offre_emploi": {"date limite de candidature"}}
# Reports by these authors are studies, even when called "rapport annuel".
STUDY_AUTHORS = ("ONPV", "Cour des comptes", "Sénat", "Assemblée nationale", "IGAS", "France Stratégie", "Insee",
                 "Observatoire national")


def url_segments(url: str) -> tuple[str, list[str]]:
    """(host, path segments), lower case: "https://x.fr/Appels-a-projets/2024" → ("x.fr", ["appels-a-projets",
    "2024"]). Query values count as segments (``?type=agenda``)."""
    parts = urlsplit((url or "").strip())
    segments = [unquote(s).lower() for s in parts.path.split("/") if s]
    segments += [unquote(v).lower() for _, v in parse_qsl(parts.query) if v]
    return (parts.hostname or "").lower(), segments


@dataclass(frozen=True)
class SectionHint:
    """What a source says of one of its sections (sources.yaml `sections:`): evidence, not a verdict."""
    label: str
    doctype: str | None = None
    themes: tuple[str, ...] = ()


class DoctypeClassifier:
    body_chars = 1000
    pdf_body_chars = 3000  # a PDF starts with a cover page and a table of contents
    # Evidence weights: a genre noun of the title is the strongest single piece, yet a title word alone (2.0)
    # yields to two body cues of another genre ("Rencontre …" that "s'est tenue" and "a réuni" is a report).
    weights = {"title": 2.0, "title_weak": 0.8, "self": 1.8, "body": 0.5, "url": 0.7, "section": 2.0}
    coverage_bonus = 0.25  # per extra analysed term a type's title signals cover
    body_cap = 2.0  # many weak body words are still weak evidence
    news_title_discount = 0.5  # share of a title genre noun's weight lost when the title is a news item's
    min_score = 1.2  # below: « à qualifier » — no single weak signal (URL, one body word, one cue) decides

    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        self.order = {d.id: d.rank for d in vocabulary.doctypes.values()}
        kinds = ("title", "title_weak", "self", "body")
        self._phrases = {kind: PhraseIndex() for kind in kinds}
        self._acronyms = {kind: AcronymIndex() for kind in kinds}
        self._url: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self._url_hosts: list[tuple[str, str]] = []
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
                key = signal.strip("/").lower()
                if "." in key:  # a host (scoop.it, legifrance): matched on the host name
                    self._url_hosts.append((d.id, key))
                self._url[key].append((d.id, signal))

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
        """Signals equal to a whole path segment ("/ami/", never "amis" or "dynamique") or to the host's end."""
        hits: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        covered: dict[str, set[int]] = defaultdict(set)
        host, segments = url_segments(url)
        for i, segment in enumerate(segments):
            for doctype, signal in self._url.get(segment, ()):
                hits[doctype][signal] += 1
                covered[doctype].add(i)
        for doctype, signal in self._url_hosts:
            if host == signal or host.endswith("." + signal) or host.startswith(signal + "."):
                hits[doctype][signal] += 1
                covered[doctype].add(-1)
        return hits, covered

    def evidence(self, doc: ExtractedDocument) -> dict[str, tuple[dict, dict]]:
        is_pdf = doc.content_type == "application/pdf"
        body = self.body_start(doc)
        body_hits, body_cov = self._text_hits("body", body)
        self_hits, self_cov = self._text_hits("self", body)
        title_hits, title_cov = self._text_hits("title", doc.title or "")
        weak_hits, weak_cov = self._text_hits("title_weak", doc.title or "")
        for doctype in list(body_hits):
            if not set(body_hits[doctype]) - NOT_ALONE.get(doctype, set()):
                del body_hits[doctype]
        url_hits, url_cov = self._url_hits(doc.url)
        if is_pdf:
            url_hits.pop(FALLBACK_DOCTYPE, None)
        return {"title": (title_hits, title_cov), "title_weak": (weak_hits, weak_cov), "url": (url_hits, url_cov),
                "self": (self_hits, self_cov), "body": (body_hits, body_cov)}

    def body_start(self, doc: ExtractedDocument) -> str:
        limit = self.pdf_body_chars if doc.content_type == "application/pdf" else self.body_chars
        return "\n".join(t for t in (doc.summary, doc.text) if t)[:limit]

    def scores(self, doc: ExtractedDocument, sections: tuple[SectionHint, ...] = ()) -> dict[str, TypeScore]:
        """Every type with its weighed evidence (title, self-naming, body signals, genre cues, URL, section)."""
        return self.assess(doc, sections)[0]

    def assess(self, doc: ExtractedDocument,
               sections: tuple[SectionHint, ...] = ()) -> tuple[dict[str, TypeScore], dict[str, int]]:
        """(``scores``, the genre cues found: cue name → count), the cues being also features of the model."""
        evidence = self.evidence(doc)
        out: dict[str, TypeScore] = defaultdict(TypeScore)
        for level, (hits, covered) in evidence.items():
            for doctype, signals in hits.items():
                if not signals:
                    continue
                if level in ("title", "url"):
                    # The type whose signals cover more of the title wins: "rapport d'activité" over "rapport".
                    value = self.weights[level] * (1.0 + self.coverage_bonus * (min(len(covered[doctype]), 4) - 1))
                elif level == "body":
                    value = min(self.weights["body"] * len(signals), self.body_cap)
                else:
                    value = self.weights[level]
                entry = out[doctype]
                entry.score += value
                for signal, n in signals.items():
                    entry.why.append({"signal": signal, "field": LEVEL_FIELD[level], "count": n})
        cue_scores, reasons, cues = genre_evidence(self.body_start(doc), doc.published, doc.title or "")
        if TITLE_NEWS_LABEL in cues:
            # "L'ANCT publie un guide", "L'Observatoire publie son rapport annuel": the genre noun of the title is
            # the object of the news, so its title evidence counts half.
            for doctype, entry in out.items():
                title_part = sum(1 for e in entry.why if e["field"] == "title")
                # A call is announced by its own page ("L'ARS lance un appel à projets"): not discounted.
                if title_part and doctype not in ("actualite", "appel_a_projets"):
                    entry.score -= self.weights["title"] * self.news_title_discount
                    entry.why.append({"signal": "nom de genre objet d'un titre d'actualité", "field": "rule",
                                      "count": 1})
        for doctype, value in cue_scores.items():
            entry = out[doctype]
            entry.score += value
            for reason in reasons.get(doctype, ()):
                entry.why.append({"signal": reason, "field": "cue", "count": 1})
        for hint in sections:
            if hint.doctype:
                entry = out[hint.doctype]
                entry.score += self.weights["section"]
                entry.why.append({"signal": hint.label, "field": "section", "count": 1})
        if any(a in (doc.title or "") for a in STUDY_AUTHORS) and "rapport_activite" in out:
            # "Rapport annuel" of the ONPV or the Cour des comptes is a study (doctypes.yaml disambiguation).
            out["etude_rapport"].score += out["rapport_activite"].score
            out["etude_rapport"].why.append({"signal": "rapport d'un observatoire ou d'une institution",
                                             "field": "rule", "count": 1})
        return {d: v for d, v in out.items() if d in self.vocabulary.doctypes}, cues

    def classify(self, doc: ExtractedDocument, sections: tuple[SectionHint, ...] = ()) -> tuple[str, list[dict]]:
        return self.decide(self.scores(doc, sections))

    def decide(self, scored: dict[str, TypeScore]) -> tuple[str, list[dict]]:
        """The best-supported type, or « à qualifier » when no type has enough evidence."""
        ranked = sorted(scored.items(), key=lambda kv: (-kv[1].score, self.order.get(kv[0], 99), kv[0]))
        if not ranked or ranked[0][1].score < self.min_score:
            best = ranked[0][1].score if ranked else 0.0
            return UNQUALIFIED_DOCTYPE, [{"signal": "indices de genre insuffisants", "field": "fallback",
                                          "count": 0, "score": round(best, 2)}]
        winner, entry = ranked[0]
        runner_up = ranked[1][1].score if len(ranked) > 1 else 0.0
        explanation = [dict(e) for e in entry.why]
        explanation.append({"signal": "score", "field": "score", "count": 0, "score": round(entry.score, 2),
                            "margin": round(entry.score - runner_up, 2)})
        return winner, explanation


class TypeScore:
    __slots__ = ("score", "why")

    def __init__(self) -> None:
        self.score = 0.0
        self.why: list[dict] = []
