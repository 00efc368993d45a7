"""`crpv-watch demo publish` from another process: it raises a count in a small file of the data directory, and
the running demo network publishes that many fresh documents (see ``DemoNetwork.follow_publications``). A file
rather than an HTTP switch on the fictional sites: they stay plain websites, and a count written while the demo
is stopped is honoured at its next start."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

FILE_NAME = "demo-publications.json"


def requested(path: Path) -> int:
    try:
        return max(0, int(json.loads(path.read_text(encoding="utf-8")).get("count", 0)))
    except (OSError, ValueError, AttributeError):
        return 0


def request_more(path: Path, count: int) -> int:
    """Ask for ``count`` more fresh documents; the new total. Written atomically (the demo may be reading)."""
    total = requested(path) + count
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".demo-publications-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"count": total}, out)
    os.replace(tmp, path)
    return total


class Follower:
    """Reads the file when its modification time changes; cheap enough to ask on every request."""

    def __init__(self, path: Path):
        self.path = path
        self._stamp: float | None = None

    def wanted(self) -> int | None:
        """The requested total when the file changed since last asked, else None."""
        try:
            stamp = self.path.stat().st_mtime_ns
        except OSError:
            return None
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        return requested(self.path)


def titles_of(first: int, last: int) -> list[str]:
    """The titles of the fresh documents number ``first`` to ``last - 1`` (as ``compose.fresh_doc`` names them)."""
    from .catalogue import FRESH

    return [FRESH[n % len(FRESH)][3] + (f" ({n // len(FRESH) + 1})" if n >= len(FRESH) else "")
            for n in range(first, last)]


def publish(data_dir: Path, count: int) -> list[str]:
    """Ask the demo for ``count`` more documents (published at its next request); their titles."""
    before = requested(data_dir / FILE_NAME)
    return titles_of(before, request_more(data_dir / FILE_NAME, count))
