"""Dublin Core subjects and types of catalogue records aligned to the thesaurus and the document types.

A catalogue (PMB, Koha…) indexes its records with a documentalist's vocabulary: ``dc:subject`` terms map to
themes through ``data/oai_alignment.yaml`` (and an editor's own file on top of it) or by equalling a theme's label
or keyword; ``dc:type`` maps to a document type. Both are applied beside the tagger's own reading of the text
(``align``), each with its explanation, so a reader sees « dc:subject “Conseils citoyens” » as the reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..items import Tags, ThemeDecision

DEFAULT_ALIGNMENT = Path(__file__).resolve().parent.parent / "data" / "oai_alignment.yaml"
SUBJECT_SCORE = 2.0  # a catalogued subject counts like a strong title signal of the tagger


def fold(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: how subjects are compared."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


@dataclass
class Alignment:
    subjects: dict[str, list[str]] = field(default_factory=dict)  # folded subject → theme ids
    types: dict[str, str] = field(default_factory=dict)  # folded dc:type → doctype id

    @classmethod
    def load(cls, vocabulary, extra: str | Path | None = None) -> Alignment:
        """The packaged alignment, an editor's file on top, and every theme's label and keywords."""
        subjects: dict[str, list[str]] = {}
        for theme_id, theme in vocabulary.themes.items():
            for term in (theme.label, *theme.keywords):
                subjects.setdefault(fold(term), [theme_id])
        types: dict[str, str] = {fold(d.label): d_id for d_id, d in vocabulary.doctypes.items()}
        for path in (DEFAULT_ALIGNMENT, extra):
            if not path:
                continue
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
            for subject, themes in (data.get("subjects") or {}).items():
                subjects[fold(str(subject))] = [t for t in (themes or []) if t in vocabulary.themes]
            for dc_type, doctype in (data.get("types") or {}).items():
                if doctype in vocabulary.doctypes:
                    types[fold(str(dc_type))] = doctype
        return cls(subjects, types)

    def themes_of(self, subjects: list[str]) -> tuple[dict[str, list[str]], list[str]]:
        """(theme id → the subjects that gave it, subjects matching no theme)."""
        themes: dict[str, list[str]] = {}
        unmatched = []
        for subject in subjects:
            ids = self.subjects.get(fold(subject))
            if ids is None:
                unmatched.append(subject)
            for theme_id in ids or []:
                themes.setdefault(theme_id, []).append(subject)
        return themes, unmatched

    def doctype_of(self, dc_types: list[str]) -> tuple[str, str] | None:
        for dc_type in dc_types:
            folded = fold(dc_type)
            if folded in self.types:
                return self.types[folded], dc_type
        return None

    def align(self, tags: Tags, subjects: list[str], dc_types: list[str]) -> list[str]:
        """Add the subjects' themes and the catalogue's type to ``tags``; returns the unmatched subjects."""
        themes, unmatched = self.themes_of(subjects)
        by_id = {t.theme_id: t for t in tags.themes}
        for theme_id, given_by in themes.items():
            evidence = [{"signal": s, "field": "dc:subject", "count": 1} for s in given_by]
            if theme_id in by_id:
                by_id[theme_id].explanation.extend(evidence)
                by_id[theme_id].score += SUBJECT_SCORE
            else:
                tags.themes.append(ThemeDecision(theme_id, SUBJECT_SCORE, evidence))
        tags.themes.sort(key=lambda t: -t.score)
        found = self.doctype_of(dc_types)
        if found:
            doctype, dc_type = found
            evidence = {"signal": dc_type, "field": "dc:type", "count": 1}
            if doctype != tags.doctype:
                # The documentalist's catalogue is more reliable than the text's genre words; the text's
                # verdict stays in the explanation for the editor.
                evidence["overrides"] = tags.doctype
                tags.doctype = doctype
                tags.doctype_explanation = [evidence]
            else:
                tags.doctype_explanation.append(evidence)
        return unmatched
