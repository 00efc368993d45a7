"""What search takes from the thesaurus: acronyms with their expansions, and the pillar of each theme.

An acronym and its expansion find each other (ASV ↔ atelier santé ville). The pairs are derived from the theme
file itself: an acronym of a theme is paired with that theme's keywords whose content words' initials spell it
("nouveau programme national de renouvellement urbain" → NPNRU; stop words such as "de" are skipped). A short
table adds the expansions the file does not hold as keywords (QPV, ANRU…). The thesaurus stays the one place
editors change; nothing here needs editing when a theme gains an acronym and its spelled-out keyword.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..text.analysis import FRENCH_STOP_WORDS, french_analyzer

log = logging.getLogger(__name__)

# Well-known expansions that the theme file does not list as keywords (checked against ANCT usage).
EXTRA_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "QPV": ("quartier prioritaire de la politique de la ville", "quartiers prioritaires"),
    "ANRU": ("agence nationale pour la rénovation urbaine",),
    "ANCT": ("agence nationale de la cohésion des territoires",),
    "CGET": ("commissariat général à l'égalité des territoires",),
    "PRE": ("programme de réussite éducative",),
    "REP": ("réseau d'éducation prioritaire",),
    "GUP": ("gestion urbaine de proximité",),
    "GUSP": ("gestion urbaine et sociale de proximité",),
    "TFPB": ("taxe foncière sur les propriétés bâties",),
    "CLSPD": ("conseil local de sécurité et de prévention de la délinquance",),
    "ZFU": ("zone franche urbaine",),
    "ESS": ("économie sociale et solidaire",),
    "CAF": ("caisse d'allocations familiales",),
    "ARS": ("agence régionale de santé",),
    "MJC": ("maison des jeunes et de la culture",),
    "EPCI": ("établissement public de coopération intercommunale",),
    "DSU": ("développement social urbain",),
    "CLS": ("contrat local de santé",),
    "CUCS": ("contrat urbain de cohésion sociale",),
    "ZUS": ("zone urbaine sensible",),
    "PNRU": ("programme national de rénovation urbaine",),
    "VVV": ("ville vie vacances",),
    "CRPV": ("centre de ressources politique de la ville", "centres de ressources politique de la ville"),
}

# Acronyms that are also French words or very common syllables: typed in lower case they mean the word
# ("pass", "rep"), so only their upper-case form is expanded.
LOWERCASE_IS_A_WORD = frozenset(
    "pre rep pass sig cia ans pic pec cer lcd iris vif cle dre mode clas ess asl pad cir fle spe jop arts "
    "caf ars acv pru qp".split()
)

_analyzer = french_analyzer(stem=True, field_nouns=True)
_WORDS = re.compile(r"[\w]+", re.UNICODE)


def fold(text: str) -> str:
    """Lower case without accents, every run of other characters one underscore: ids and labels compared."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("œ", "oe"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def terms(text: str) -> tuple[str, ...]:
    """The analysed (stemmed) terms of a phrase, in query mode: what a typed sequence is compared with."""
    return tuple(t.text for t in _analyzer(text, mode="query"))


def initials(phrase: str) -> str:
    words = [w for w in _WORDS.findall(phrase.replace("'", " ").replace("’", " ")) if w.casefold() not in
             FRENCH_STOP_WORDS]
    return "".join(w[0] for w in words).upper()


@dataclass
class Synonyms:
    """Acronym ↔ expansions, and theme → pillar (the group of a theme facet value)."""

    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # "NPNRU" → ("nouveau programme…",)
    pillar_of: dict[str, str] = field(default_factory=dict)
    # Analysed terms of a theme's label or unambiguous keyword → the theme ids it names.
    theme_terms: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Expansion terms → acronym, for finding a typed expansion inside a query's words.
        self.by_terms: dict[tuple[str, ...], list[str]] = {}
        for acronym, phrases in self.expansions.items():
            for phrase in phrases:
                key = terms(phrase)
                if len(key) >= 2 and acronym not in self.by_terms.get(key, []):
                    self.by_terms.setdefault(key, []).append(acronym)
        self.longest = max((len(k) for k in self.by_terms), default=0)

    def themes_named(self, text: str) -> set[str]:
        """The themes whose label or keyword the query spells out (contiguous terms): "inclusion numérique"."""
        if not self.theme_terms:
            return set()
        seq = terms(text)
        found: set[str] = set()
        for i in range(len(seq)):
            for j in range(i + 1, min(len(seq), i + 6) + 1):
                found.update(self.theme_terms.get(seq[i:j], ()))
        return found

    def acronym(self, word: str) -> str | None:
        """The acronym a typed word names: upper case always, lower case unless it is also a common word."""
        key = word.upper()
        if key not in self.expansions:
            return None
        if word != key and word.casefold() in LOWERCASE_IS_A_WORD:
            return None
        return key

    @classmethod
    def from_vocabulary(cls, vocabulary) -> Synonyms:
        expansions: dict[str, list[str]] = {}
        entries = list(getattr(vocabulary, "pillars", {}).values()) + list(vocabulary.themes.values())
        for entry in entries:
            for acronym in entry.acronyms:
                letters = re.sub(r"[^A-Za-z]", "", acronym).upper()
                for keyword in entry.keywords:
                    if len(letters) >= 2 and initials(keyword) == letters and keyword.upper() != acronym:
                        expansions.setdefault(acronym, []).append(keyword)
        for acronym, phrases in EXTRA_EXPANSIONS.items():
            expansions.setdefault(acronym, []).extend(phrases)
        unique = {a: tuple(dict.fromkeys(p)) for a, p in expansions.items()}
        pillar_of = {t.id: t.pillar for t in vocabulary.themes.values() if t.pillar}
        named: dict[tuple[str, ...], set[str]] = {}
        for theme in vocabulary.themes.values():
            skip = set(theme.ambiguous) | set(getattr(theme, "weak", ()))
            for phrase in (theme.label, *theme.keywords):
                key = terms(phrase)
                if key and phrase not in skip:
                    named.setdefault(key, set()).add(theme.id)
        theme_terms = {k: tuple(sorted(v)) for k, v in named.items()}
        return cls(expansions=unique, pillar_of=pillar_of, theme_terms=theme_terms)

    @classmethod
    def from_themes_file(cls, path: str | Path | None = None) -> Synonyms:
        """From the theme file (the packaged one by default); empty, with a warning, when it cannot be read."""
        from ..tagging.thesaurus import DEFAULT_THEMES, load_themes

        try:
            pillars, themes = load_themes(path or DEFAULT_THEMES)
        except Exception as exc:  # search works without synonyms rather than not at all
            log.warning("no search synonyms: %s", exc)
            return cls()

        class _Vocab:
            pass

        vocab = _Vocab()
        vocab.pillars, vocab.themes = pillars, themes
        return cls.from_vocabulary(vocab)
