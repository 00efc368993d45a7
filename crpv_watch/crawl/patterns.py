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
        raise ValueError(f"longer than {MAX_PATTERN_LENGTH} characters")
    options = re2.Options()
    options.log_errors = False  # RE2 would print its reason on stderr; we report it ourselves
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else ""
        reason = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        raise ValueError(reason or "unsupported syntax") from None


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used (None when it can)."""
    try:
        compile_pattern(pattern)
    except ValueError as exc:
        return f"{exc} (patterns run in RE2: no back-references \\1, no look-around (?=…) (?!…) (?<=…))"
    return None


def search(pattern: str, text: str) -> bool:
    return compile_pattern(pattern).search(text) is not None
