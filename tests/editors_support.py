"""Shared by the editors' workspace tests: services in a temporary directory, accounts, sign-in, documents."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import fast_settings

from crpv_watch.services import Services
from crpv_watch.store import users
from crpv_watch.store.models import Document, DocumentTheme, Place
from crpv_watch.store.repo import enqueue_index
from crpv_watch.web.app import create_app

EDITOR = ("editrice@example.org", "mot-de-passe-editrice")
ADMIN = ("admin@example.org", "mot-de-passe-admin-1")

SOURCES = """\
# Réseau de test
sources:
  - id: centre-test
    name: "Centre de test"   # a comment that must survive
    homepage: "http://127.0.0.1:9/"
    region: "84"
    feeds:
      - "http://127.0.0.1:9/feed/"   # inferred
    schedule: daily
    enabled: true
    private_hosts: [127.0.0.1]
"""


def make_services(tmp_path: Path, sources: str = SOURCES, **overrides) -> Services:
    path = tmp_path / "sources.yaml"
    path.write_text(sources, encoding="utf-8")
    svc = Services(fast_settings(tmp_path, sources_path=path, **overrides))
    with svc.db.session() as session:
        users.create_user(session, *EDITOR, role="editor")
        users.create_user(session, *ADMIN, role="admin")
    return svc


def make_app(svc: Services):
    app = create_app(services=svc)
    app.config["TESTING"] = True
    # No DNS in tests: names "resolve" to a public address that is never contacted (only the Tester fetches,
    # and tests give it loopback literals); IP literals are used as they are.
    app.config["CRPV_RESOLVER"] = lambda host: ["93.184.215.14"] if host != "intranet.example" else ["10.1.2.3"]
    return app


def token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client, email: str, password: str):
    html = client.get("/connexion").get_data(as_text=True)
    resp = client.post("/connexion", data={"email": email, "password": password, "csrf_token": token(html),
                                           "next": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return resp


def post(client, path: str, data: dict | None = None, page: str | None = None, **kwargs):
    """POSTs with the CSRF token of ``page`` (default: the editors' dashboard)."""
    html = client.get(page or "/editeurs/").get_data(as_text=True)
    return client.post(path, data={"csrf_token": token(html), **(data or {})}, **kwargs)


def add_document(svc: Services, doc_id: str, title: str = "Un document", text: str = "Texte du document.",
                 source_id: str = "centre-test", themes: list[tuple[str, float]] | None = None,
                 status: str = "active", url: str | None = None, index: bool = True) -> None:
    url = url or f"http://127.0.0.1:9/doc/{doc_id}"
    with svc.db.session() as session:
        doc = Document(id=doc_id, canonical_url=url, source_id=source_id, title=title, text=text,
                       summary=text[:100], content_hash=f"hash-{doc_id}", status=status, meta={},
                       doctype="fiche_experience")
        doc.places.append(Place(source_id=source_id, url=url))
        for theme_id, score in themes or []:
            doc.themes.append(DocumentTheme(theme_id=theme_id, score=score, origin="tagger",
                                            explanation=[{"signal": "mot-clé", "field": "title", "count": 1}]))
        session.add(doc)
        enqueue_index(session, [doc_id])
    if index:
        from crpv_watch.indexing.writer import Indexer

        Indexer(svc).drain()


# -- a small centre website on loopback, for crawls ----------------------------------------------------------------
def _page(title: str, body: str) -> bytes:
    paragraphs = "".join(f"<p>{body} Paragraphe {n} : les habitants du quartier prioritaire, le conseil citoyen et "
                         f"les associations ont construit ce projet avec la ville et le bailleur.</p>"
                         for n in range(1, 6))
    return (f"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<nav><a href='/'>Accueil</a></nav><main><article><h1>{title}</h1>{paragraphs}</article></main>"
            f"</body></html>").encode()


class CentreSite:
    """A FaultyServer with a feed listing ``docs`` (slug → title); ``add(slug, title)`` publishes one more."""

    def __init__(self, host: str = "127.0.0.1"):
        from faulty_server import FaultyServer

        self.server = FaultyServer(host=host, robots="User-agent: *\nAllow: /\n")
        self.docs: dict[str, str] = {}

    def start(self) -> CentreSite:
        self.server.start()
        self.server.route("/feed/", self._feed)
        self.server.route("/doc/", self._doc)
        self.server.route("/", lambda r: r.send(200, _page("Centre de démonstration", "Accueil.")))
        return self

    def stop(self) -> None:
        self.server.stop()

    @property
    def base(self) -> str:
        return f"http://{self.server.netloc}"

    def add(self, slug: str, title: str) -> None:
        self.docs[slug] = title

    def _feed(self, req) -> None:
        items = "".join(f"<item><title>{t}</title><link>{self.base}/doc/{s}</link><guid>{s}</guid></item>"
                        for s, t in self.docs.items())
        body = (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Centre</title>"
                f"<link>{self.base}/</link><description>d</description>{items}</channel></rss>")
        req.send(200, body.encode(), "application/rss+xml")

    def _doc(self, req) -> None:
        slug = req.path.split("?")[0].rstrip("/").rsplit("/", 1)[1]
        if slug not in self.docs:
            req.send(404, b"not found")
            return
        req.send(200, _page(self.docs[slug], f"Document {slug}."))

    def sources_yaml(self, source_id: str = "centre-demo") -> str:
        return (f"sources:\n  - id: {source_id}\n    name: \"Centre de démonstration\"  # loopback\n"
                f"    homepage: \"{self.base}/\"\n    region: \"84\"\n    feeds:\n      - \"{self.base}/feed/\"\n"
                f"    schedule: daily\n    enabled: true\n    private_hosts: [127.0.0.1]\n")
