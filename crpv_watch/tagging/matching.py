"""Phrase and acronym matching over the index's French analysis.

Keywords are matched as consecutive runs of analysed terms (``analyze_terms``: elisions, stop words, accents,
stems), so "les conseils citoyens" matches the keyword "conseil citoyen" the way a search for it would.
Acronyms are matched case-sensitively on the raw text as whole tokens, because PRE, GUP, ASV… are common words
once lower-cased ("pré").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterator
from functools import lru_cache
from itertools import chain

from ..text.analysis import ELISION, FRENCH_STOP_WORDS, TOKEN_PATTERN, accent_map, analyze_terms

# The index analyzer emits a hyphenated word whole *and* in parts. Tagging splits hyphens first so that a
# phrase is found once, not twice (whole, then parts) — the parts are a subset of what the index holds.
_HYPHENS = str.maketrans({"-": " ", "\u2010": " ", "\u2011": " "})

# Capitalised tokens, with inner hyphens or slashes (ZFU-TE, H/F) and a trailing plus (REP+).
# The capital comes first and the look-behind after it (two characters: the one before and the capital itself), so
# that the regular expression engine scans for capitals in C instead of trying the look-behind at every position.
_CAPITAL_TOKEN = re.compile(r"[A-Z](?<![\w&][A-Z])[\w&]*(?:[-/][\w&]+)*\+?")
_PARTS = re.compile(r"[-/]")


# Shortest acronym also matched in mixed case ("Caf"): two letters ("Qp") would be common words.
MIXED_CASE_MIN = 3

# Function words whose loss inside a phrase does not change its meaning ("accès à l'emploi").
_GLUE = frozenset("de des du la le les à au aux et en un une pour par sur dans avec ou entre".split())


_COMBINING = re.compile(r"[\u0300-\u036f]+")


@lru_cache(maxsize=64)
def fold(text: str) -> str:
    """Lower case without accents ("Égalité" → "egalite", "œuvre" → "oeuvre", ’ → '). Decomposition and a regular
    expression, both in C: a per-character translation table cost a millisecond per page. Cached: one tagging
    folds the same body start for the document type, the genre cues and the literal phrases."""
    text = _COMBINING.sub("", unicodedata.normalize("NFD", text.lower()))
    return text.replace("\u2019", "'").replace("œ", "oe").replace("æ", "ae")


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
    The last texts' terms are kept too: one tagging analyses the same body start up to five times.
    """
    return list(_text_terms(text))


@lru_cache(maxsize=32)
def _text_terms(text: str) -> tuple[str, ...]:
    text = text.replace("-", " ").replace("\u2010", " ").replace("\u2011", " ") if text else ""
    return tuple(chain.from_iterable(map(_word_terms, TOKEN_PATTERN.findall(text))))


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
        # (a word the text must contain, pattern, key): a substring test skips most patterns without a regex run.
        self._literal: list[tuple[str, re.Pattern, Hashable]] = []

    def add(self, phrase: str, key: Hashable, literal: bool = False) -> bool:
        """Index ``phrase``; ``literal`` forces matching as written (folded), as ``is_literal`` phrases are."""
        if literal or is_literal(phrase):
            words = [re.escape(w) for w in re.split(r"[\s\-]+", fold(phrase).strip()) if w]
            # No look-behind at the start: a pattern that starts with a literal is scanned for it in C; the
            # character before a match is checked by ``find_literal``.
            pattern = re.compile(r"[\s\-]+".join(words) + r"(?!\w)")
            needle = max(re.split(r"[\s\-]+", fold(phrase).strip()), key=len)
            self._literal.append((needle, pattern, key))
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
        # Most terms start no phrase: a comprehension finds the few that do, faster than testing each in the loop.
        for i in [i for i, term in enumerate(terms) if term in by_first]:
            for phrase, key in by_first[terms[i]]:
                n = len(phrase)
                if n == 1 or tuple(terms[i:i + n]) == phrase:
                    yield i, i + n, key

    def find_literal(self, folded_text: str) -> Iterator[Hashable]:
        """One key per occurrence of a phrase matched as written (``folded_text`` = ``fold(text)``)."""
        for needle, pattern, key in self._literal:
            if needle not in folded_text:
                continue
            for m in pattern.finditer(folded_text):
                start = m.start()
                if start and (folded_text[start - 1].isalnum() or folded_text[start - 1] == "_"):
                    continue  # inside a longer word
                yield key


@lru_cache(maxsize=50_000)
def _upper_folded(word: str) -> str:
    return word.translate(accent_map).upper()


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
            # Centres write many acronyms as words: "Clas", "Réaap", "Caf", "Civ" for CLAS, REAAP, CAF, CIV.
            if len(token) >= MIXED_CASE_MIN and token[1:].islower():
                upper = _upper_folded(token)
                if upper in keys:
                    yield from keys[upper]
                    continue
            # "QPV-2024", "ANRU/NPNRU", "REP+" unknown but "REP" known: look at the parts.
            bare = token.rstrip("+")
            if "-" in bare or "/" in bare:
                for part in _PARTS.split(bare):
                    if part in keys:
                        yield from keys[part]
            elif bare != token and bare in keys:
                yield from keys[bare]
