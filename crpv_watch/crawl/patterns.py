"""Editors' include / exclude patterns, run by RE2: matching time is linear in the URL's length whatever the pattern.

Python's ``re`` backtracks: a pattern such as ``(a+)+$`` takes time exponential in the URL's length, and patterns
are typed by editors in the web form and run on every URL a crawl meets. RE2 (google-re2) has no backtracking, so
it also has no back-references or look-around: such a pattern is refused when the source is validated, with a
message saying so, instead of being run with a different meaning.
"""

from __future__ import annotations

import functools

import re2

MAX_PATTERN_LENGTH = 1000


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str):
    """The compiled pattern; raises ``ValueError`` with a readable reason when RE2 refuses it."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(f"plus de {MAX_PATTERN_LENGTH} caractères")
    options = re2.Options()
    options.log_errors = False  # RE2 would print its reason on stderr; we report it ourselves
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else ""
        reason = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        raise ValueError(reason or "unsupported syntax") from None


# RE2's reasons, by kind: the French cause an editor can act on; RE2's own words follow as the technical detail.
_RE2_CAUSES = (
    ("invalid perl operator: (?=", "regard en avant (?=…) ou (?!…) non pris en charge"),
    ("invalid perl operator: (?!", "regard en avant (?=…) ou (?!…) non pris en charge"),
    ("invalid perl operator: (?<", "regard en arrière (?<=…) ou (?<!…) non pris en charge"),
    ("invalid perl operator: (?P", "renvoi à un groupe nommé (?P=…) non pris en charge"),
    ("invalid perl operator", "construction (?…) non prise en charge"),
    ("invalid escape sequence: \\", "séquence d'échappement non prise en charge (les renvois \\1 ne le sont pas)"),
    ("missing )", "parenthèse fermante « ) » manquante"),
    ("unexpected )", "parenthèse fermante « ) » en trop"),
    ("missing ]", "crochet fermant « ] » manquant"),
    ("no argument for repetition operator", "opérateur de répétition (* + ?) sans rien à répéter"),
    ("bad repetition operator", "opérateurs de répétition qui se suivent"),
    ("invalid repetition size", "nombre de répétitions {n,m} invalide"),
    ("invalid character class range", "intervalle invalide dans une classe de caractères"),
    ("trailing \\", "barre oblique inverse « \\ » en fin de motif"),
)


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used, in French (None when it can)."""
    try:
        compile_pattern(pattern)
    except ValueError as exc:
        reason = str(exc)
        if reason.startswith("plus de "):
            return f"expression régulière invalide : motif trop long ({reason})"
        cause = next((c for key, c in _RE2_CAUSES if reason.startswith(key)), "syntaxe non prise en charge")
        return (f"expression régulière invalide « {pattern} » : {cause} ; les motifs sont exécutés par RE2, sans "
                f"renvois \\1 ni regards (?=…) (?!…) (?<=…) (détail technique : {reason})")
    return None


def search(pattern: str, text: str) -> bool:
    return compile_pattern(pattern).search(text) is not None
