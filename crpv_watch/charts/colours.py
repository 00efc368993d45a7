"""A colour-blind-safe sequential scale (ColorBrewer YlGnBu, 5 classes) and class breaks that read well."""

from __future__ import annotations

import math
from dataclasses import dataclass

EMPTY = "#f0f0f0"  # no document: light grey, told apart from the first class by its label and hatching-free
PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")


@dataclass(frozen=True)
class Band:
    low: int
    high: int | None  # None: and more
    colour: str

    @property
    def label(self) -> str:
        if self.high is None:
            return f"{self.low} ou plus"
        if self.low == self.high:
            return f"{self.low}"
        return f"{self.low} à {self.high}"

    def holds(self, n: int) -> bool:
        return n >= self.low and (self.high is None or n <= self.high)


def bands(counts: list[int]) -> list[Band]:
    """Up to five classes over the positive counts, cut at their quintiles (each class about as full as the
    others, so one big department does not wash every other one out), plus the class of zero."""
    positive = sorted(n for n in counts if n > 0)
    result = [Band(0, 0, EMPTY)]
    if not positive:
        return result
    cuts: list[int] = []
    for k in range(1, len(PALETTE)):
        cut = positive[min(len(positive) - 1, math.ceil(len(positive) * k / len(PALETTE)) - 1)]
        if cut < positive[-1] and (not cuts or cut > cuts[-1]):
            cuts.append(cut)
    lows = [1] + [c + 1 for c in cuts]
    highs = cuts + [positive[-1]]
    # The darkest colours for the largest counts, whatever the number of classes.
    colours = PALETTE[len(PALETTE) - len(lows):] if len(lows) > 1 else PALETTE[-1:]
    for low, high, colour in zip(lows, highs, colours, strict=True):
        result.append(Band(low, high, colour))
    return result


def colour_of(n: int, scale: list[Band]) -> str:
    return next((b.colour for b in scale if b.holds(n)), scale[-1].colour)


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill``."""
    r, g, b = (int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "#000000" if luminance > 0.179 else "#ffffff"
