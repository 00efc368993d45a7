"""CPU cost of the two denial-of-service inputs of issue 13, finding 8, before and after.

- an 882-byte « billion laughs » feed: feedparser given it directly (what the crawler did) vs ``parse_feed``
  (refused by defusedxml at the entity declaration);
- an editor's pattern ``(a+)+$`` on URLs ending in n « a » and one « ! »: Python's ``re`` (backtracking,
  exponential in n) vs RE2 through ``crawl.patterns`` (linear).

Prints CPU seconds (``time.process_time``) and the machine's load; ratios matter more than absolute figures on a
shared machine.
"""

from __future__ import annotations

import io
import os
import platform
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import feedparser  # noqa: E402
from test_findings_network import BILLION_LAUGHS  # noqa: E402

from crpv_watch.crawl import patterns  # noqa: E402
from crpv_watch.crawl.parse_feed import parse_feed  # noqa: E402

XML = {"content-location": "http://x/", "content-type": "application/xml"}  # as the crawler called it


def cpu(fn) -> float:
    started = time.process_time()
    fn()
    return time.process_time() - started


def main() -> None:
    print(f"{platform.node()} {platform.python_version()} load {os.getloadavg()[0]:.1f} "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print(f"billion laughs ({len(BILLION_LAUGHS)} bytes): feedparser directly "
          f"{cpu(lambda: feedparser.parse(io.BytesIO(BILLION_LAUGHS), response_headers=XML)):.3f} s, "
          f"parse_feed {cpu(lambda: parse_feed('http://x/', BILLION_LAUGHS)):.4f} s")
    for n in (16, 20, 22, 24):
        url = "http://x/" + "a" * n + "!"
        backtracking = cpu(lambda url=url: re.search(r"(a+)+$", url))
        linear = cpu(lambda url=url: patterns.search(r"(a+)+$", url))
        print(f"(a+)+$ on {n} « a »: re {backtracking:.3f} s, RE2 {linear:.5f} s")


if __name__ == "__main__":
    main()
