"""robots.txt (RFC 9309) through Protego: the verdict for our user agent, Crawl-delay and Sitemap lines.

How a robots.txt fetch outcome becomes rules (RFC 9309 §2.3.1):
- 2xx: parsed (a body cut at the size limit is parsed as far as it goes, as §2.5 allows);
- 4xx, or too many redirects: "unavailable", everything is allowed;
- 5xx, 429, network errors, refused addresses, a Retry-After we will not wait: "unreachable", everything is
  disallowed for this run — a site that cannot serve robots.txt may well be struggling, and we cannot know its
  wishes. The reason is kept so the editors' "Tester" can show it.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

from ..items import FetchResult


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/robots.txt"  # never send credentials to it


def product_token(user_agent: str) -> str:
    """``crpv-watch`` from ``crpv-watch/0.1 (+https://…)``. Protego matches a group's name anywhere in the string
    it is given, so the full header would also match groups named after words of our contact URL."""
    token = user_agent.strip().split("/", 1)[0].split()
    return token[0] if token else user_agent


@dataclass
class RobotsRules:
    url: str
    status: int = 0
    parser: Protego | None = None  # None: no rules (allow all) or unreachable (disallow all)
    disallow_all: bool = False
    reason: str = ""
    sitemaps: list[str] = field(default_factory=list)

    def allowed(self, url: str, agent: str) -> bool:
        if self.disallow_all:
            return False
        return True if self.parser is None else self.parser.can_fetch(url, agent)

    def crawl_delay(self, agent: str) -> float | None:
        return None if self.parser is None else self.parser.crawl_delay(agent)


def rules_from_result(result: FetchResult) -> RobotsRules:
    rules = RobotsRules(url=result.url, status=result.status)
    status, error = result.status, result.error
    if 200 <= status < 300 and (not error or result.truncated):
        text = result.body.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace")
        rules.parser = Protego.parse(text)
        rules.sitemaps = list(rules.parser.sitemaps)
        rules.reason = "robots.txt read" + (" (cut at the size limit)" if result.truncated else "")
    elif 400 <= status < 500 and status != 429:
        rules.reason = f"no robots.txt (HTTP {status}): everything allowed"
    elif 300 <= status < 400:
        rules.reason = f"robots.txt unavailable ({error or f'HTTP {status}'}): everything allowed"
    else:  # no answer, 5xx, 429, refused address, an answer cut by a timeout
        rules.disallow_all = True
        rules.reason = f"robots.txt unreachable ({error or f'HTTP {status}'}): nothing is fetched from this host this run"
    return rules
