"""A small, scriptable centre website on a FaultyServer, for crawl tests that need a shape the demo lacks
(homepage-only sources, sitemaps, changing feed stamps, faulty routes).

    site = MiniSite(server)
    site.page("/a", article("a"))            # any bytes; headers and content type optional
    site.rss("/feed.xml", [("/a", "2024-05-01T08:00:00Z")])
    services, runner = crawl_setup(tmp_path, Source(...))
"""

from __future__ import annotations

import gzip
import random

from conftest import fast_settings
from faulty_server import FaultyServer

from crpv_watch.crawl.run import CrawlRunner
from crpv_watch.services import Services

WORDS = ("habitants quartier contrat ville diagnostic marchant conseil citoyen emploi jeunes insertion "
         "médiation santé éducation rénovation urbaine logement sport culture numérique tranquillité "
         "publique égalité femmes associations bailleurs mobilité commerce formation réussite parents "
         "écoles collège budget participatif jardin partagé fresque concertation atelier bilan").split()


def text_for(key: str, sentences: int = 12) -> str:
    """A paragraph of French-looking text, different for each key (so no two pages are near duplicates)."""
    rng = random.Random(key)
    return " ".join(" ".join(rng.choice(WORDS) for _ in range(14)).capitalize() + "." for _ in range(sentences))


def article(key: str, extra: str = "", links: str = "") -> bytes:
    body = "".join(f"<p>{text_for(key + str(i))}</p>" for i in range(3))
    return (f"<!DOCTYPE html><html lang=fr><head><meta charset=utf-8><title>Article {key}</title></head><body>"
            f"<nav><a href='/'>Accueil</a></nav><main><article><h1>Article {key}</h1>{body}{extra}{links}"
            f"</article></main><footer>Pied de page</footer></body></html>").encode()


def listing(paths: list[str], head: str = "") -> bytes:
    items = "".join(f"<li><a href='{p}'>Document {p}</a></li>" for p in paths)
    return (f"<!DOCTYPE html><html lang=fr><head><meta charset=utf-8><title>Ressources</title>{head}</head>"
            f"<body><main><h1>Ressources</h1><ul>{items}</ul></main></body></html>").encode()


def make_pdf(key: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, text_for(key, 20).encode("latin-1", "replace").decode("latin-1"))
    return bytes(pdf.output())


class MiniSite:
    def __init__(self, server: FaultyServer):
        self.server = server
        self.base = server.url("")
        self.pages: dict[str, object] = {}
        # One prefix route: FaultyServer treats a route ending in "/" as a prefix, and "/" would swallow
        # robots.txt and every built-in route. Exact paths are served from ``pages``, the rest as before.
        server.route("/", self._serve)

    def _serve(self, req) -> None:
        path = req.path.split("?", 1)[0]
        handler = self.pages.get(path)
        if handler is None:
            handler = getattr(self.server, "_r_" + path.strip("/").split("/")[0].replace("-", "_").replace(".", "_"),
                              None)
        if handler is None:
            req.send(404, b"<html><body>introuvable</body></html>")
        else:
            handler(req)

    def page(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8",
             headers: dict[str, str] | None = None, status: int = 200) -> None:
        self.pages[path] = lambda req: req.send(status, body, content_type, headers)

    def rss(self, path: str, entries: list[tuple[str, str]]) -> None:
        items = "".join(f"<entry><title>Entrée {p}</title><link href='{self.base}{p}'/><id>{p}</id>"
                        f"<updated>{stamp}</updated></entry>" for p, stamp in entries)
        feed = (f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'><title>Flux</title>"
                f"<id>{self.base}/</id><updated>2024-01-01T00:00:00Z</updated>{items}</feed>")
        self.page(path, feed.encode(), "application/atom+xml")

    def sitemap(self, path: str, entries: list[tuple[str, str]], index: bool = False, gz: bool = False) -> None:
        tag, item = ("sitemapindex", "sitemap") if index else ("urlset", "url")
        items = "".join(f"<{item}><loc>{u if u.startswith('http') else self.base + u}</loc>"
                        + (f"<lastmod>{m}</lastmod>" if m else "") + f"</{item}>" for u, m in entries)
        xml = (f"<?xml version='1.0' encoding='UTF-8'?><{tag} xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
               f"{items}</{tag}>").encode()
        self.page(path, gzip.compress(xml) if gz else xml, "application/x-gzip" if gz else "application/xml")


def crawl_setup(tmp_path, *sources, **settings):
    services = Services(fast_settings(tmp_path, **settings))
    services.__dict__["sources"] = list(sources)  # sources built in the test, not read from a file
    return services, CrawlRunner(services)


def totals(report) -> dict:
    keys = ("fetched", "new", "updated", "unchanged", "duplicates", "skipped", "removed")
    out = {k: sum(getattr(s, k) for s in report.sources) for k in keys}
    out["errors"] = [e for s in report.sources for e in s.errors]
    out["skipped_reasons"] = {k: v for s in report.sources for k, v in s.skipped_reasons.items()}
    return out
