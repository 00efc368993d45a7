"""How sure the tagger is of a document's type, read from the type's explanation (0–1).

Kept as a column (``documents.type_confidence``) so that the review queue can select the least certain documents in
SQL: the learned model names a type for nearly every text the rules leave open, and a guess at probability 0.2 must
still reach an editor.
"""

from __future__ import annotations

from typing import Any

from .examples import UNSETTLED_TYPE

# Below this the type is a guess worth an editor's look: the rules decide from a score of 1.2 (0.55 squashed), the
# model from a probability of about 0.15.
UNCERTAIN_TYPE = 0.35


def squash(score: float) -> float:
    """An evidence score (0 to ∞) as a 0–1 confidence."""
    return score / (1.0 + score) if score > 0 else 0.0


def type_confidence_of(doctype: str, explanation: list[Any] | None) -> float:
    """0 for « à qualifier »; the learned model's probability; else the rules' evidence score squashed to 0–1."""
    if doctype == UNSETTLED_TYPE:
        return 0.0
    entries = [e for e in explanation or [] if isinstance(e, dict)]
    for entry in entries:
        if entry.get("field") == "model":
            return float(entry.get("score") or 0.0)
    for entry in entries:
        if entry.get("field") == "score":
            return squash(float(entry.get("score") or 0.0))
    return 0.5  # tagged before evidence was scored
