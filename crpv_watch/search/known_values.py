"""Refusing facet values nobody could have meant (``?theme=santé``, ``--theme participation``), with the closest
valid values as suggestions: a silent « 0 résultat » reads as « nothing on this subject », which is false."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .types import SearchRequest

YEAR = re.compile(r"(19|20)\d\d")
# « … n'est pas un thème connu », « … n'est pas une région connue »: the article and the agreement of each facet.
NOT_KNOWN_FR = {"theme": "un thème connu", "pillar": "un pilier connu", "centre": "un centre connu",
                "region": "une région connue", "department": "un département connu",
                "qpv": "un quartier prioritaire connu", "type": "un type de document connu",
                "year": "une année valable", "language": "une langue connue"}


@dataclass
class UnknownValue:
    facet: str
    value: str
    suggestions: list[str] = field(default_factory=list)  # valid values, closest first

    def message(self, label: Callable[[str, str], str] | None = None) -> str:
        text = f"« {self.value} » n'est pas {NOT_KNOWN_FR.get(self.facet, 'une valeur connue')}"
        if self.suggestions:
            shown = [f"{s} ({label(self.facet, s)})" if label and label(self.facet, s) != s else s
                     for s in self.suggestions]
            text += " ; vouliez-vous dire : " + ", ".join(shown) + " ?"
        return text + "."

    def to_json(self) -> dict:
        return {"facet": self.facet, "value": self.value, "suggestions": list(self.suggestions)}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def closest(value: str, valid: dict[str, str], limit: int = 3) -> list[str]:
    """The valid values whose id or French label is closest to ``value`` (accents and case ignored)."""
    keys: dict[str, str] = {}
    for ident, label in valid.items():
        keys.setdefault(_fold(ident), ident)
        keys.setdefault(_fold(label), ident)
    wanted = _fold(value)
    found: list[str] = []
    # A word of the value inside a label (« santé » → « Santé et accès aux soins ») is as good a hint as spelling.
    for key, ident in keys.items():
        if wanted and len(wanted) >= 3 and wanted in key and ident not in found:
            found.append(ident)
    for key in difflib.get_close_matches(wanted, list(keys), n=limit * 2, cutoff=0.6):
        if keys[key] not in found:
            found.append(keys[key])
    return found[:limit]


def unknown_values(req: SearchRequest, valid_values: Callable[[str], dict[str, str] | None],
                   facets: Iterable[str] | None = None) -> list[UnknownValue]:
    """The filter values of ``req`` that are not valid. ``valid_values(facet)`` gives id → label, or None for a
    facet whose values are not checked."""
    problems: list[UnknownValue] = []
    for facet, values in req.filters().items():
        if facets is not None and facet not in facets:
            continue
        if facet == "year":
            problems += [UnknownValue(facet, v) for v in values if not YEAR.fullmatch(v)]
            continue
        valid = valid_values(facet)
        if valid is None:
            continue
        problems += [UnknownValue(facet, v, closest(v, valid)) for v in values if v not in valid]
    return problems
