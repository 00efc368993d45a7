"""Genre cues of a text's own wording: tense and time of a meeting, practical details of an announcement, the
formulas of a job offer, a call for projects, a periodical, a catalogue record, an official text.

Each cue is a named pattern over the folded start of the body (lower case, no accents), or over the title, and
gives weighed evidence to one or more document types (negative weights speak against a type: a meeting that took
place is not an announcement). The cues are data (``data/genre_cues.yaml``, read by ``genre_cues.py``); the same
cues are features of the learned model (``model.py``), which sets its own weights. Dates in the text weigh against
the publication date when the crawler knows it.
"""

from __future__ import annotations

import datetime as dt
import re

from .genre_cues import Cue, load_cues
from .matching import fold

__all__ = ["CUES", "CUE_CAP", "Cue", "TITLE_NEWS_LABEL", "cue_counts", "dates_in", "genre_evidence", "time_cue"]

# The table is data (data/genre_cues.yaml): read and checked once, at import, like the thesaurus.
_TABLE = load_cues()
CUES: tuple[Cue, ...] = _TABLE.cues
CUE_CAP = _TABLE.cap  # a cue repeated many times is still one kind of evidence: counts beyond this are ignored
TITLE_CUES = tuple(_TABLE.title.values())
TITLE_NEWS_LABEL = _TABLE.title["news"].name
TIME_CUES = _TABLE.time

MONTHS = {m: i for i, m in enumerate("janvier fevrier mars avril mai juin juillet aout septembre octobre novembre "
                                     "decembre".split(), 1)}
_DATE = re.compile(r"\b(\d{1,2})(?:er)? (" + "|".join(MONTHS) + r") (\d{4})\b")


def cue_counts(folded: str) -> dict[str, int]:
    """Cue name → occurrences (capped) in an already folded text."""
    out = {}
    for cue in CUES:
        n = cue.count(folded, CUE_CAP)
        if n:
            out[cue.name] = n
    return out


def dates_in(folded: str) -> list[dt.date]:
    out = []
    for day, month, year in _DATE.findall(folded):
        try:
            out.append(dt.date(int(year), MONTHS[month], int(day)))
        except ValueError:
            continue
    return out


def time_cue(folded: str, published: dt.date | None) -> str | None:
    """"future" when the text's first dated day comes after the publication date, "past" when before by more than
    a week (a text published the day after its meeting is a report); None without both dates."""
    if published is None:
        return None
    dates = dates_in(folded)
    if not dates:
        return None
    first = dates[0]
    if first > published:
        return "future"
    if (published - first).days > 7:
        return "past"
    return None


def genre_evidence(text: str, published: dt.date | None = None,
                   title: str = "") -> tuple[dict[str, float], dict[str, list[str]], dict[str, int]]:
    """(doctype → summed weight, doctype → cue names that spoke for it, cue → count) for a body start."""
    folded = fold(text)
    counts = cue_counts(folded)
    scores: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}
    folded_title = fold(title)

    def weigh(cue: Cue, factor: float = 1.0) -> None:
        for doctype, weight in cue.weights:
            scores[doctype] = scores.get(doctype, 0.0) + weight * factor
            if weight > 0:
                reasons.setdefault(doctype, []).append(cue.name)

    for cue in TITLE_CUES:
        if cue.count(folded_title, 1):
            counts[cue.name] = 1
            weigh(cue)
    for cue in CUES:
        n = counts.get(cue.name)
        if n:
            weigh(cue, 1.0 + 0.25 * (n - 1))
    when = time_cue(folded, published)
    if when:
        counts[TIME_CUES[when].name] = 1
        weigh(TIME_CUES[when])
    return scores, reasons, counts
