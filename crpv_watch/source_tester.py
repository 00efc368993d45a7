"""The editors' "Tester": fetch a source's hubs now and show what a crawl would find, before anything is saved.

Fetches the homepage, every feed and every listing page (first page only) through the crawler's own
``Fetcher`` (same politeness, robots.txt, size limits and SSRF guard), and reports per hub: whether it answered,
how many candidate documents it lists, the first titles, and the robots.txt verdict. Nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .crawl import discover, parse_feed, parse_html
from .crawl.fetch import Fetcher

FIRST_TITLES = 5


@dataclass
class HubResult:
    kind: str  # homepage | feed | listing
    url: str
    ok: bool = False
    status: int | None = None
    error: str = ""
    title: str = ""
    count: int = 0
    titles: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)  # feeds announced by the homepage
    next_page: str | None = None
    robots: dict[str, Any] = field(default_factory=dict)


@dataclass
class TesterReport:
    hubs: list[HubResult]

    @property
    def total(self) -> int:
        return sum(h.count for h in self.hubs)

    @property
    def failures(self) -> int:
        return sum(1 for h in self.hubs if not h.ok)


def cause(error: str, status: int | None = None) -> str:
    """The French cause of a failed request, named by what broke: DNS, connection, TLS, time, HTTP, SSRF guard."""
    text = error or ""
    low = text.lower()
    if "refused address" in low:
        return f"adresse refusée par la protection du réseau privé ({text})"
    if any(s in low for s in ("dns resolution failed", "name or service not known", "nodename nor servname",
                              "getaddrinfo", "no address associated", "temporary failure in name resolution")):
        return f"nom de domaine introuvable (DNS) — {text}"
    if low.startswith("tls error") or "certificate" in low or "ssl" in low:
        return f"connexion chiffrée impossible (certificat TLS) — {text}"
    if low.startswith("timeout"):
        return f"pas de réponse dans le délai — {text}"
    if low.startswith("connection error"):
        return f"connexion impossible (serveur injoignable ou port fermé) — {text}"
    if status and status >= 400:
        return f"le site répond HTTP {status}" + (f" — {text}" if text and text != f"HTTP {status}" else "")
    return text or (f"HTTP {status}" if status else "erreur inconnue")


def _robots_problem(robots: dict[str, Any]) -> str:
    """Why robots.txt stops the fetch: unreachable (say what broke) or a real refusal."""
    reason = robots.get("reason") or ""
    if reason.startswith("robots.txt unreachable (") or robots.get("status") in (0, None) and reason:
        inner = reason.split("(", 1)[1].rsplit(")", 1)[0] if "(" in reason else reason
        return "site injoignable : " + cause(inner, robots.get("status")) + " (robots.txt n'a pas pu être lu)"
    if reason.startswith(("invalid URL", "unsupported URL")):
        return "adresse invalide : " + reason.split(":", 1)[1].strip()
    return "interdit par robots.txt"


def robots_reason_fr(reason: str) -> str:
    """robots.txt's verdict (crawl/robots.py keeps English for the logs) in French for the Tester."""
    if reason.startswith("robots.txt read"):
        return "robots.txt lu" + (" (coupé à la taille maximale)" if "cut" in reason else "")
    if reason.startswith("no robots.txt"):
        return "pas de robots.txt" + reason[len("no robots.txt"):].split(":", 1)[0] + " : tout est permis"
    if reason.startswith("robots.txt unavailable"):
        return "robots.txt indisponible : tout est permis"
    if reason.startswith("robots.txt unreachable"):
        return "robots.txt injoignable : rien n'est collecté sur ce site pour l'instant"
    return reason


def _fetch(fetcher: Fetcher, source, hub: HubResult, kind: str):
    hub.robots = fetcher.robots_verdict(hub.url, source)
    hub.robots["reason_fr"] = robots_reason_fr(hub.robots.get("reason") or "")
    if not hub.robots.get("allowed", False):
        hub.error = _robots_problem(hub.robots)
        return None
    res = fetcher.fetch(hub.url, source=source, kind=kind)
    hub.status = res.status or None
    if not res.ok:
        hub.error = cause(res.error, res.status)
        return None
    hub.ok = True
    return res


def run_tester(settings, source, resolver=None) -> TesterReport:
    fetcher = Fetcher(settings, resolver=resolver)
    hubs: list[HubResult] = []
    try:
        home = HubResult("homepage", source.homepage)
        hubs.append(home)
        res = _fetch(fetcher, source, home, "html")
        if res is not None:
            page = parse_html.parse_html(res.final_url, res.body, res.encoding)
            home.title, home.feeds = page.title, list(page.feed_links)
        # With a homepage alone, the feeds it announces are tried: a source can be tested before it is described.
        feeds = list(source.feeds) or home.feeds[:3]
        for url in feeds:
            hub = HubResult("feed" if source.feeds else "announced_feed", url)
            hubs.append(hub)
            res = _fetch(fetcher, source, hub, "feed")
            if res is None:
                continue
            feed = parse_feed.parse_feed(res.final_url, res.body)
            if feed.bozo and not feed.entries:
                hub.ok, hub.error = False, f"flux illisible : {feed.bozo}"
                continue
            hub.title, hub.count = feed.title, len(feed.entries)
            hub.titles = [e.title or e.url for e in feed.entries[:FIRST_TITLES]]
        for url in source.start_urls:
            hub = HubResult("listing", url)
            hubs.append(hub)
            res = _fetch(fetcher, source, hub, "html")
            if res is None:
                continue
            page = parse_html.parse_html(res.final_url, res.body, res.encoding)
            links = discover.document_links(page, source)
            texts = {link.url: link.text for link in page.links}
            hub.title, hub.count, hub.next_page = page.title, len(links), discover.next_page(page)
            hub.titles = [texts.get(u) or u for u in links[:FIRST_TITLES]]
    finally:
        fetcher.close()
    return TesterReport(hubs)
