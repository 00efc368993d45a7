"""A source's own sections (``sections:`` in sources.yaml): URL path prefixes, breadcrumb labels and feed
categories that the source maps to a document type and themes.

A section is evidence for the tagger, not a verdict: its type adds ``DoctypeClassifier.weights["section"]`` to
that type's score and its themes act as default themes (they count only when the text supports them).

In sources.yaml::

    sections:
      - url_prefix: /ressources/fiches-experience/
        type: fiche_experience
      - breadcrumb: Agenda
        type: agenda_evenement
      - category: Offres d'emploi
        type: offre_emploi
        themes: [emploi_insertion]

In the source form, one section per line: ``url /ressources/fiches-experience/ = fiche_experience``,
``fil Agenda = agenda_evenement``, ``catégorie Offres d'emploi = offre_emploi, emploi_insertion``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .doctypes import SectionHint
from .matching import fold

MATCH_KEYS = ("url_prefix", "breadcrumb", "category")
SECTION_KEYS = MATCH_KEYS + ("type", "themes")
FORM_WORDS = {"url": "url_prefix", "fil": "breadcrumb", "catégorie": "category", "categorie": "category"}
FORM_LABEL = {"url_prefix": "url", "breadcrumb": "fil", "category": "catégorie"}
LABELS = {"url_prefix": "rubrique (adresse)", "breadcrumb": "fil d'Ariane", "category": "catégorie du flux"}


def _norm(label: str) -> str:
    return " ".join(fold(label).split())


def section_matches(section: dict, url: str, breadcrumb: list[str] = (), categories: list[str] = ()) -> bool:
    if "url_prefix" in section:
        prefix = section["url_prefix"]
        if prefix.startswith(("http://", "https://")):
            return url.startswith(prefix)
        return (urlsplit(url).path or "/").startswith(prefix)
    if "breadcrumb" in section:
        return _norm(section["breadcrumb"]) in {_norm(b) for b in breadcrumb}
    if "category" in section:
        return _norm(section["category"]) in {_norm(c) for c in categories}
    return False


def section_hints(sections: list[dict], url: str, breadcrumb: list[str] = (),
                  categories: list[str] = ()) -> tuple[SectionHint, ...]:
    """What the source's sections say of one document (every matching section)."""
    out = []
    for section in sections or ():
        if section_matches(section, url, breadcrumb, categories):
            key = next(k for k in MATCH_KEYS if k in section)
            out.append(SectionHint(f"{LABELS[key]} « {section[key]} »", section.get("type"),
                                   tuple(section.get("themes") or ())))
    return tuple(out)


def parse_form_lines(text: str, doctypes: set[str], themes: set[str]) -> tuple[list[dict], list[str]]:
    """The form's lines as sections, and French messages for the lines that are wrong."""
    sections, errors = [], []
    for n, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        head, sep, tail = line.partition("=")
        word, _, value = head.strip().partition(" ")
        key = FORM_WORDS.get(word.lower())
        if not sep or key is None or not value.strip():
            errors.append(f"ligne {n} : écrivez « url /rubrique/ = type », « fil Libellé = type » ou "
                          f"« catégorie Libellé = type, thème »")
            continue
        section: dict = {key: value.strip()}
        ids = [i.strip() for i in tail.split(",") if i.strip()]
        unknown = [i for i in ids if i not in doctypes and i not in themes]
        types = [i for i in ids if i in doctypes]
        if unknown:
            errors.append(f"ligne {n} : identifiant inconnu {', '.join(unknown)}")
        if len(types) > 1:
            errors.append(f"ligne {n} : un seul type par rubrique")
        if not ids:
            errors.append(f"ligne {n} : indiquez un type ou des thèmes après « = »")
        if types:
            section["type"] = types[0]
        if any(i in themes for i in ids):
            section["themes"] = [i for i in ids if i in themes]
        sections.append(section)
    return sections, errors


def format_form_lines(sections: list[dict]) -> str:
    lines = []
    for section in sections or ():
        key = next((k for k in MATCH_KEYS if k in section), None)
        if key is None:
            continue
        ids = ([section["type"]] if section.get("type") else []) + list(section.get("themes") or [])
        lines.append(f"{FORM_LABEL[key]} {section[key]} = {', '.join(ids)}")
    return "\n".join(lines)
