"""Phrase and acronym matching over the index's French analysis.

Keywords are matched as consecutive runs of analysed terms (``analyze_terms``: elisions, stop words, accents,
stems), so "les conseils citoyens" matches the keyword "conseil citoyen" the way a search for it would.
Acronyms are matched case-sensitively on the raw text as whole tokens, because PRE, GUP, ASV… are common words
once lower-cased ("pré").
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator
from functools import lru_cache

from ..text.analysis import ELISION, FRENCH_STOP_WORDS, TOKEN_PATTERN, accent_map, analyze_terms

# The index analyzer emits a hyphenated word whole *and* in parts. Tagging splits hyphens first so that a
# phrase is found once, not twice (whole, then parts) — the parts are a subset of what the index holds.
_HYPHENS = str.maketrans({"-": " ", "\u2010": " ", "\u2011": " "})

# Capitalised tokens, with inner hyphens or slashes (ZFU-TE, H/F) and a trailing plus (REP+).
_CAPITAL_TOKEN = re.compile(r"(?<![\w&])[A-Z][\w&]*(?:[-/][\w&]+)*\+?")


# Function words whose loss inside a phrase does not change its meaning ("accès à l'emploi").
_GLUE = frozenset("de des du la le les à au aux et en un une pour par sur dans avec ou entre".split())


def fold(text: str) -> str:
    """Lower case without accents, as the analyzer folds them."""
    return text.lower().translate(accent_map).replace("\u2019", "'")


def is_literal(phrase: str) -> bool:
    """True when analysis would drop a word that carries meaning, so the phrase must be matched as written.

    "retour sur", "projet de", "en bref" lose their edge word and would match every "retour", "projet"…;
    "Quartiers d'été" loses "été" (a stop word as a form of être) and would match every "quartier".
    """
    words = [ELISION.sub("", w.lower()) for w in TOKEN_PATTERN.findall(phrase.translate(_HYPHENS))]
    dropped = [i for i, w in enumerate(words) if not w or w in FRENCH_STOP_WORDS]
    if not dropped:
        return False
    return any(i in (0, len(words) - 1) or words[i] not in _GLUE for i in dropped)


@lru_cache(maxsize=200_000)
def _word_terms(word: str) -> tuple[str, ...]:
    return tuple(analyze_terms(word))


def doc_terms(text: str) -> list[str]:
    """``analyze_terms(text)`` (hyphens split), computed word by word with a cache.

    Every filter of the analyzer works on one token at a time, so analysing each distinct word once gives the
    same terms in the same order, several times faster on real documents (tests/test_tagger.py checks it).
    """
    out: list[str] = []
    extend = out.extend
    for word in TOKEN_PATTERN.findall(text.translate(_HYPHENS)) if text else ():
        extend(_word_terms(word))
    return out


def phrase_variants(phrase: str) -> set[tuple[str, ...]]:
    """Analysed forms of a phrase: hyphen as a space ("vivre ensemble") and hyphen dropped ("vivreensemble")."""
    out = {tuple(analyze_terms(phrase.translate(_HYPHENS)))}
    if "-" in phrase:
        out.add(tuple(analyze_terms(phrase.replace("-", ""))))
    return {v for v in out if v}


def is_acronym_like(signal: str) -> bool:
    """True for signals written in capitals (CDI, AMI, H/F): those are matched case-sensitively."""
    letters = [c for c in signal if c.isalpha()]
    return bool(letters) and " " not in signal.strip() and all(c.isupper() for c in letters) and len(letters) >= 2


class PhraseIndex:
    """Phrases keyed by their first analysed term: one dict lookup per document term."""

    def __init__(self) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], Hashable]]] = {}
        self._literal: list[tuple[re.Pattern, Hashable]] = []

    def add(self, phrase: str, key: Hashable, literal: bool = False) -> bool:
        """Index ``phrase``; ``literal`` forces matching as written (folded), as ``is_literal`` phrases are."""
        if literal or is_literal(phrase):
            words = [re.escape(w) for w in re.split(r"[\s\-]+", fold(phrase).strip()) if w]
            pattern = re.compile(r"(?<!\w)" + r"[\s\-]+".join(words) + r"(?!\w)")
            self._literal.append((pattern, key))
            return True
        variants = phrase_variants(phrase)
        for terms in variants:
            bucket = self._by_first.setdefault(terms[0], [])
            if (terms, key) not in bucket:
                bucket.append((terms, key))
                # Longest first, so a caller keeping the first match at a position keeps the longest phrase.
                bucket.sort(key=lambda item: -len(item[0]))
        return bool(variants)

    def find(self, terms: list[str]) -> Iterator[tuple[int, int, Hashable]]:
        """(start, end, key) of every occurrence, by start then longest first."""
        by_first = self._by_first
        for i, term in enumerate(terms):
            bucket = by_first.get(term)
            if not bucket:
                continue
            for phrase, key in bucket:
                n = len(phrase)
                if n == 1 or tuple(terms[i:i + n]) == phrase:
                    yield i, i + n, key

    def find_literal(self, folded_text: str) -> Iterator[Hashable]:
        """One key per occurrence of a phrase matched as written (``folded_text`` = ``fold(text)``)."""
        for pattern, key in self._literal:
            for _ in pattern.finditer(folded_text):
                yield key


class AcronymIndex:
    def __init__(self) -> None:
        self._keys: dict[str, list[Hashable]] = {}

    def add(self, acronym: str, key: Hashable) -> None:
        bucket = self._keys.setdefault(acronym.strip(), [])
        if key not in bucket:
            bucket.append(key)

    def find(self, text: str) -> Iterator[Hashable]:
        keys = self._keys
        if not keys or not text:
            return
        for m in _CAPITAL_TOKEN.finditer(text):
            token = m.group()
            if token in keys:
                yield from keys[token]
                continue
            # "QPV-2024", "ANRU/NPNRU", "REP+" unknown but "REP" known: look at the parts.
            for part in re.split(r"[-/]", token.rstrip("+")):
                if part in keys:
                    yield from keys[part]
