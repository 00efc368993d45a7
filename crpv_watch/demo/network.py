"""``DemoNetwork``: the fictional centres served on loopback addresses, with switches and a ground truth."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from . import render_html as rh
from .blocks import date_fr
from .compose import Doc, build_docs, fresh_doc
from .manifest import build_manifest, sources
from .pdfs import build_pdf
from .routes import Resource, State, build_routes, normalize
from .sites import SITES, address

MAX_LOG = 100_000
UPDATE_NOTES = ["les coordonnées des partenaires ont été actualisées", "un bilan chiffré a été ajouté",
                "les dates du calendrier ont été corrigées", "une nouvelle ressource complète la fiche"]


class DemoNetwork:
    """Five fictional centre websites on ``first_address`` + 0…4, all on ``port``.

    >>> with DemoNetwork(port=18800) as net: ...
    """

    def __init__(self, port: int = 8800, first_address: str = "127.0.0.2") -> None:
        self.port = port
        self.first_address = first_address
        self.addresses = {s.key: address(first_address, s.offset) for s in SITES}
        self.bases = {k: f"http://{a}:{port}" for k, a in self.addresses.items()}
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self._servers: list[ThreadingHTTPServer] = []
        self._catalogue, self._traps = build_docs(), trap_docs()
        self.reset()

    # ---- state and switches ---------------------------------------------------------------------------------
    def reset(self) -> None:
        """Undo ``publish_new``, ``set_status`` and ``change`` (the request log is kept)."""
        with self._lock:
            self._fresh: list[Doc] = []
            self._status: dict[tuple[str, str], int] = {}
            self._updates: dict[str, list[str]] = {}
            self._modified: dict[str, dt.datetime] = {}
            self._rebuild()

    def _rebuild(self) -> None:
        self._state = State(self.bases, self._catalogue + self._fresh, self._traps, self._updates, self._modified)
        self._routes = build_routes(self._state)

    def _now(self, after: dt.datetime | None = None) -> dt.datetime:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        return max(now, after + dt.timedelta(seconds=1)) if after else now

    def publish_new(self, site: str = "rss") -> list[dict[str, Any]]:
        """Publish one new document, dated today, on the RSS site (its listing and its feed); its manifest entries."""
        if site != "rss":
            raise ValueError("publish_new() publishes on the RSS site ('rss') only")
        with self._lock:
            doc = fresh_doc(len(self._fresh), dt.date.today())
            self._fresh.append(doc)
            self._modified[doc.key] = self._now()
            self._rebuild()
            return [e for e in self.manifest["documents"] if e["url"] == self.bases["rss"] + doc.path]

    def follow_publications(self, path: str | Path) -> None:
        """Publish as many fresh documents as ``path`` asks (`crpv-watch demo publish`, see publications.py)."""
        from .publications import Follower

        self._follower = Follower(Path(path))
        self._sync_publications()

    def _sync_publications(self) -> None:
        follower = getattr(self, "_follower", None)
        wanted = follower.wanted() if follower is not None else None
        if wanted is None:
            return
        with self._lock:
            while len(self._fresh) < wanted:
                self.publish_new()

    def set_status(self, url: str, status: int | None) -> None:
        """Make ``url`` answer ``status`` (404, 410…); ``None`` restores it."""
        key = self._locate(url)
        with self._lock:
            if status is None:
                self._status.pop(key, None)
            else:
                self._status[key] = int(status)

    def change(self, url: str) -> None:
        """Change a document's text: a dated update note is added (new ETag and Last-Modified)."""
        site, path = self._locate(url)
        with self._lock:
            doc = next((d for d in self._state.docs if d.site == site and normalize(d.path) == path), None)
            if doc is None:
                raise KeyError(f"not a document of the demo network: {url}")
            notes = self._updates.setdefault(doc.key, [])
            today = date_fr(dt.date.today())
            notes.append(f"Mise à jour du {today} (version {len(notes) + 2}) : {UPDATE_NOTES[len(notes) % 4]}.")
            previous = self._modified.get(doc.key)
            self._modified[doc.key] = self._now(previous)
            self._rebuild()

    def _locate(self, url: str) -> tuple[str, str]:
        parts = urlsplit(url)
        for key, addr in self.addresses.items():
            if parts.hostname == addr and (parts.port or 80) == self.port:
                return key, normalize(parts.path + ("?" + parts.query if parts.query else ""))
        raise KeyError(f"not a URL of the demo network: {url}")

    # ---- ground truth -----------------------------------------------------------------------------------------
    @property
    def manifest(self) -> dict[str, Any]:
        with self._lock:
            return build_manifest(self._state, self._routes)

    def manifest_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.manifest, ensure_ascii=False, indent=indent)

    def sources_yaml(self) -> str:
        header = (f"# Sources of the bundled demo network (crpv_watch/demo), served on {self.first_address}… port "
                  f"{self.port}.\n# Generated by DemoNetwork(port={self.port}).sources_yaml(): do not edit by hand.\n")
        return header + yaml.safe_dump({"sources": sources(self.bases)}, allow_unicode=True, sort_keys=False,
                                       width=120)

    def write_sources(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.sources_yaml(), encoding="utf-8")
        return path

    @property
    def urls(self) -> dict[str, str]:
        """Homepage URL of each source id."""
        return {s.source_id: self.bases[s.key] + "/" for s in SITES}

    # ---- serving --------------------------------------------------------------------------------------------
    def respond(self, url_or_site: str, raw_path: str | None = None, headers: dict[str, str] | None = None,
                method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        """What the server would answer, without HTTP: ``respond(url)`` or ``respond(site_key, path)``."""
        if raw_path is None:
            parts = urlsplit(url_or_site)
            site = self._locate(url_or_site)[0]
            raw_path = parts.path + ("?" + parts.query if parts.query else "")
        else:
            site = url_or_site
        return self._respond(site, raw_path, headers or {}, method)

    def _respond(self, site: str, raw_path: str, headers, method: str) -> tuple[int, dict[str, str], bytes]:
        self._sync_publications()
        path = normalize(raw_path)
        with self._lock:
            override = self._status.get((site, path))
            resource: Resource | None = self._routes[site].get(path)
        if override or resource is None:
            status = override or 404
            return status, {"Content-Type": "text/html; charset=UTF-8"}, rh.error_page(status).encode("utf-8")
        body = resource.produce()
        out = {"Content-Type": resource.content_type, "ETag": '"' + hashlib.sha1(body).hexdigest()[:20] + '"',
               "Last-Modified": format_datetime(resource.modified, usegmt=True), **resource.headers}
        if _not_modified(headers, out["ETag"], resource.modified):
            return 304, out, b""
        return 200, out, body

    def start(self) -> DemoNetwork:
        if self._servers:
            return self
        try:
            for site in SITES:
                server = ThreadingHTTPServer((self.addresses[site.key], self.port), _Handler)
                server.daemon_threads = True
                server.network, server.site_key = self, site.key  # type: ignore[attr-defined]
                self._servers.append(server)
                threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                 name=f"demo-{site.key}", daemon=True).start()
        except OSError:
            self.stop()
            raise
        threading.Thread(target=self._warm_pdfs, name="demo-pdf-warmup", daemon=True).start()
        return self

    def _warm_pdfs(self) -> None:
        for doc in self._catalogue + self._traps:
            if doc.kind == "pdf" and self._servers:
                build_pdf(doc, tuple(self._updates.get(doc.key, [])))

    def stop(self) -> None:
        servers, self._servers = self._servers, []
        stoppers = [threading.Thread(target=server.shutdown, daemon=True) for server in servers]
        for thread in stoppers:  # in parallel: each shutdown waits up to one poll interval
            thread.start()
        for thread, server in zip(stoppers, servers, strict=True):
            thread.join()
            server.server_close()

    def __enter__(self) -> DemoNetwork:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _log(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)
            if len(self.requests) > MAX_LOG:  # a long `make run` session must not grow without bound
                del self.requests[: len(self.requests) - MAX_LOG]


def _not_modified(headers, etag: str, modified: dt.datetime) -> bool:
    inm = headers.get("If-None-Match")
    if inm:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or etag in tags
    ims = headers.get("If-Modified-Since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        return modified <= since
    return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CentreDemo/1.0"
    timeout = 15

    def do_GET(self) -> None:  # noqa: N802
        self._serve(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(send_body=False)

    def _serve(self, send_body: bool) -> None:
        net: DemoNetwork = self.server.network  # type: ignore[attr-defined]
        site: str = self.server.site_key  # type: ignore[attr-defined]
        try:
            status, headers, body = net._respond(site, self.path, self.headers, self.command)
        except Exception as exc:  # a bug in the demo must not hang the crawler
            status, headers, body = 500, {"Content-Type": "text/plain"}, f"erreur interne : {exc}".encode()
        net._log({"host": self.server.server_address[0], "path": self.path, "method": self.command,
                  "status": status, "if_none_match": self.headers.get("If-None-Match"),
                  "if_modified_since": self.headers.get("If-Modified-Since"),
                  "user_agent": self.headers.get("User-Agent"), "time": time.time()})
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)) if status != 304 else "0")
        self.end_headers()
        if send_body and status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def trap_docs() -> list[Doc]:
    """Pages and PDFs the crawler must skip: robots-disallowed or noindex."""
    def trap(key, site, path, title, date, kind, lead, listing=""):
        return Doc(key=key, site=site, path=path, title=title, published=dt.date.fromisoformat(date),
                   doctype="rapport_activite", themes=["gouvernance_contrat_de_ville"], kind=kind,
                   pages=1 if kind == "pdf" else None, lead=lead, key_phrase="", town="", listing=listing,
                   sections=[("", ["Document interne, diffusion restreinte aux membres du conseil d’administration."])],
                   pdf_pages=[("", ["Document interne, diffusion restreinte aux membres du bureau."])])
    return [
        trap("T-robots-rss", "rss", "/brouillons/note-interne-preparation-du-conseil/",
             "Note interne : préparation du conseil d’administration", "2024-05-02", "html",
             "Brouillon de note pour le conseil d’administration de mai, à ne pas diffuser."),
        trap("T-noindex-spip", "spip", "/Compte-rendu-du-conseil-d-administration",
             "Compte rendu du conseil d’administration (réservé aux adhérents)", "2024-08-19", "html",
             "Relevé de décisions du conseil d’administration de l’été, réservé aux adhérents.", listing="experiences"),
        trap("T-robots-pdf", "pdf", "/publications/interne/compte-rendu-du-bureau-mars-2024.pdf",
             "Compte rendu du bureau de mars 2024", "2024-03-21", "pdf",
             "Compte rendu interne du bureau de l’association, non destiné à la publication."),
        trap("T-noindex-pdf", "pdf", "/publications/2024/document-de-travail-version-provisoire.pdf",
             "Document de travail – version provisoire", "2024-06-03", "pdf",
             "Version provisoire d’un document de travail, susceptible d’être modifiée, à ne pas citer."),
    ]
