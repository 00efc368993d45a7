"""Snippets: a window of the document text, HTML-escaped, with <mark> around the words the query matched.

Words are compared as analysed terms (the index's own analyzer), so "conseils" is marked for a query on
"conseil" and "activité" for "activite". Whoosh's highlighter is not used: the body is not stored, the text
comes from the database, and escaping every piece of text ourselves keeps hostile markup inert.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from ..text.analysis import TOKEN_PATTERN, french_analyzer

SNIPPET_CHARS = 250
# Context kept before the first marked word of the chosen window.
LEAD_CHARS = 60
# Long PDFs: stop reading once this much text is scanned without finding every term.
MAX_SCAN_CHARS = 300_000
ELLIPSIS = "…"

_analyzer = french_analyzer(stem=True, field_nouns=True)


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    term: str


@lru_cache(maxsize=100_000)
def _word_terms(word: str) -> tuple[tuple[str, int, int], ...]:
    """The analysed terms of one word with their offsets in it (words repeat: the cache does most work)."""
    return tuple((t.text, t.startchar, t.endchar) for t in _analyzer(word, chars=True, positions=False))


# Accented forms of the letters of folded terms: a term "activit" must find "Activités" in the raw text.
_ACCENTS = {"a": "aàâä", "e": "eéèêë", "i": "iîï", "o": "oôö", "u": "uùûü", "c": "cç", "y": "yÿ", "n": "nñ"}


@lru_cache(maxsize=1_000)
def _candidates(terms: frozenset[str]) -> re.Pattern:
    """A pattern for words that may analyse to one of ``terms``: their first letters, accents allowed.

    A stem is not always a prefix of its words (sociaux → social), so only its first len-2 letters (at least 4)
    are required; every candidate is then checked with the analyzer. Scanning a 100,000-character PDF text word
    by word in Python cost ~7 ms a hit; the C regex engine skips to the few candidates.
    """
    alternatives = []
    for term in sorted(terms):
        head = term[: max(4, len(term) - 2)] if len(term) > 4 else term
        alternatives.append("".join(f"[{_ACCENTS[ch]}]" if ch in _ACCENTS else re.escape(ch) for ch in head))
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + ")", re.IGNORECASE)


def find_matches(text: str, terms: frozenset[str]) -> list[Match]:
    """The spans of ``text`` whose analysed term is one of ``terms``, in order, without overlaps.

    Candidate words are found with one regex (``_candidates``), then each distinct word is analysed once with
    the analyzer's own token pattern: running the whole Whoosh chain over every token of ten long documents cost
    ~100 ms a page.
    """
    if not terms or not text:
        return []
    found: list[Match] = []
    seen_terms: set[str] = set()
    last_end = -1
    for candidate in _candidates(terms).finditer(text):
        if candidate.start() < last_end:
            continue
        word = TOKEN_PATTERN.match(text, candidate.start())
        if word is None:
            continue
        base = word.start()
        for term, start, end in _word_terms(word.group()):
            if term in terms and base + start >= last_end:  # a hyphenated whole already marked covers its parts
                found.append(Match(base + start, base + end, term))
                last_end = base + end
                seen_terms.add(term)
        last_end = max(last_end, candidate.end())
        # Every term found and a good window is likely near: enough to choose a fragment.
        if len(seen_terms) == len(terms) and len(found) >= 4 * len(terms):
            break
    return found


def _best_window(matches: list[Match], width: int) -> tuple[int, int]:
    """Indexes [i, j) of the matches in the window of ``width`` chars with the most distinct terms, then most
    matches, earliest first."""
    best = (0, 1)
    best_key = (0, 0)
    j = 0
    for i, first in enumerate(matches):
        j = max(j, i + 1)
        while j < len(matches) and matches[j].end - first.start <= width:
            j += 1
        window = matches[i:j]
        key = (len({m.term for m in window}), len(window))
        if key > best_key:
            best, best_key = (i, j), key
    return best


def _cut_start(text: str, pos: int) -> int:
    """A word boundary at or before ``pos`` (no half words at the start of a snippet)."""
    if pos <= 0:
        return 0
    space = text.rfind(" ", max(0, pos - 20), pos)
    return space + 1 if space >= 0 else pos


def _cut_end(text: str, pos: int) -> int:
    if pos >= len(text):
        return len(text)
    space = text.rfind(" ", pos - 30, pos)
    return space if space > 0 else pos


def _clean(text: str) -> str:
    return " ".join(text.split())


def render(text: str, start: int, end: int, matches: list[Match]) -> str:
    """Escaped ``text[start:end]`` with the matches inside marked, and ellipses where text was cut."""
    out = [ELLIPSIS if start > 0 else ""]
    pos = start
    for m in matches:
        if m.start < start or m.end > end:
            continue
        out.append(html.escape(text[pos:m.start]))
        out.append("<mark>" + html.escape(text[m.start:m.end]) + "</mark>")
        pos = m.end
    out.append(html.escape(text[pos:end]))
    if end < len(text):
        out.append(ELLIPSIS)
    return "".join(out)


def lead(text: str, width: int = SNIPPET_CHARS) -> str:
    """The start of ``text``, escaped, cut at a word boundary."""
    text = _clean(text[: width * 4])
    end = _cut_end(text, width) if len(text) > width else len(text)
    return render(text, 0, end, [])


def snippet(text: str, terms: frozenset[str], width: int = SNIPPET_CHARS) -> str | None:
    """The best fragment of ``text`` for ``terms``, or None when no term occurs in it."""
    text = _clean(text[:MAX_SCAN_CHARS])
    matches = find_matches(text, terms)
    if not matches:
        return None
    i, j = _best_window(matches, width)
    window = matches[i:j]
    start = _cut_start(text, max(0, window[0].start - LEAD_CHARS))
    # Keep the whole window visible even when the lead pushed its end beyond the width.
    end = max(start + width, window[-1].end)
    end = _cut_end(text, end) if end < len(text) else len(text)
    end = max(end, window[-1].end)
    return render(text, start, end, matches)


def make_snippet(texts: list[str], terms: frozenset[str], width: int = SNIPPET_CHARS) -> str:
    """From the first text that holds a query term; else the start of the first non-empty text."""
    if terms:
        for text in texts:
            if text:
                found = snippet(text, terms, width)
                if found:
                    return found
    for text in texts:
        if text and text.strip():
            return lead(text, width)
    return ""
