"""The ground truth of the demo network (what a correct crawl must find) and its ``sources.yaml`` entries."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .feeds import feed_link
from .routes import LISTINGS, Resource, State, normalize
from .sites import CHROME_WORDS, SITE_BY_KEY, SITES

START_URLS = {"rss": ["/category/ressources/"], "atom": [], "spip": [p for p, _ in LISTINGS.values()],
              "pdf": ["/publications/"], "portail": ["/actualites/"]}
FEEDS = {"rss": ["/feed/"], "atom": ["/atom.xml"]}
HUB_PREFIXES = {"rss": ("/category/ressources/", "/feed/"), "atom": ("/atom.xml",),
                "spip": tuple(p for p, _ in LISTINGS.values()), "pdf": ("/publications/",), "portail": ("/actualites/",)}


def sources(bases: dict[str, str]) -> list[dict[str, Any]]:
    """Entries of ``sources.yaml`` (schema of ``crpv_watch.sources.Source``)."""
    out = []
    # The demo sites are ours, on loopback: each source may reach all of them (they link to one another).
    demo_hosts = sorted({urlsplit(b).hostname for b in bases.values()})
    for site in SITES:
        base = bases[site.key]
        out.append({"id": site.source_id, "name": site.name, "homepage": base + "/", "region": [site.region],
                    "feeds": [base + p for p in FEEDS.get(site.key, [])],
                    "start_urls": [base + p for p in START_URLS[site.key]],
                    "schedule": "daily", "enabled": True, "private_hosts": list(demo_hosts)})
    return out


def _is_hub(site_key: str, path: str) -> bool:
    if path == "/":
        return True
    if path.endswith(".html") or path.endswith(".pdf"):
        return False
    return any(path == p or path.startswith(p + "?") or (p.endswith("/") and path.startswith(p + "page/"))
               for p in HUB_PREFIXES[site_key])


def build_manifest(state: State, routes: dict[str, dict[str, Resource]]) -> dict[str, Any]:
    bases = state.bases
    docs = [d for d in state.docs if d.republished_from is None]
    by_key = {d.key: d for d in state.docs}
    documents = []
    for d in sorted(docs, key=lambda d: (SITE_BY_KEY[d.site].offset, d.published, d.key)):
        via = "feed" if d.site in ("rss", "atom") and d.kind == "html" else "listing"
        if d.kind == "pdf" and d.site in ("rss", "atom"):
            via = "attachment"
        documents.append({
            "url": bases[d.site] + d.path, "source_id": SITE_BY_KEY[d.site].source_id, "title": d.title,
            "published": d.published.isoformat(), "themes": list(d.themes), "type": d.doctype,
            "content_type": d.content_type, "pages": d.pages, "key_phrase": d.key_phrase, "found_via": via})
    duplicates = []
    for d in docs:
        if d.feed_utm:
            duplicates.append({"url": feed_link(d, bases[d.site]), "source_id": SITE_BY_KEY[d.site].source_id,
                               "duplicate_of": bases[d.site] + d.path, "reason": "tracking-params"})
    c07 = by_key["C07"]
    duplicates.append({"url": bases["spip"] + f"/spip.php?article{c07.spip_id}", "source_id": "demo-carrefour-quartiers",
                       "duplicate_of": bases["spip"] + c07.path, "reason": "canonical"})
    for d in state.docs:
        if d.republished_from:
            original = by_key[d.republished_from]
            duplicates.append({"url": bases[d.site] + d.path, "source_id": SITE_BY_KEY[d.site].source_id,
                               "duplicate_of": bases[original.site] + original.path, "reason": "same-text"})
    traps = [{"url": bases[t.site] + t.path, "source_id": SITE_BY_KEY[t.site].source_id,
              "reason": "robots" if "robots" in t.key else "noindex",
              "how": ("robots.txt Disallow" if "robots" in t.key else
                      "X-Robots-Tag header" if t.kind == "pdf" else '<meta name="robots" content="noindex">')}
             for t in state.traps]
    known = {normalize(d.path) for d in state.docs + state.traps} | {_path(x["url"]) for x in duplicates}
    hubs, chrome = [], []
    for site in SITES:
        for path in sorted(routes[site.key]):
            if path in known or path in ("/robots.txt", "/static/site.css"):
                continue
            (hubs if _is_hub(site.key, path) else chrome).append(bases[site.key] + path)
    per_site = {s.source_id: sum(1 for d in documents if d["source_id"] == s.source_id) for s in SITES}
    return {
        "sites": [{"source_id": s.source_id, "name": s.name, "short_name": s.short, "base_url": bases[s.key],
                   "homepage": bases[s.key] + "/", "shape": s.shape, "region": [s.region],
                   "feeds": [bases[s.key] + p for p in FEEDS.get(s.key, [])],
                   "start_urls": [bases[s.key] + p for p in START_URLS[s.key]],
                   "charset": "windows-1252" if s.key == "spip" else "utf-8",
                   "documents": per_site[s.source_id]} for s in SITES],
        "documents": documents,
        "duplicates": duplicates,
        "traps": traps,
        "hubs": hubs,
        "chrome_pages": chrome,
        "chrome_words": list(CHROME_WORDS),
        "counts": {"documents": len(documents), "html": sum(d["content_type"] == "text/html" for d in documents),
                   "pdf": sum(d["content_type"] == "application/pdf" for d in documents),
                   "duplicates": len(duplicates), "traps": len(traps), "per_site": per_site},
    }


def _path(url: str) -> str:
    parts = urlsplit(url)
    return normalize(parts.path + ("?" + parts.query if parts.query else ""))
