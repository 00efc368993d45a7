"""A misbehaving web server on a loopback address, for tests that need real HTTP without the Internet.

    with FaultyServer() as server:            # 127.0.0.1, a free port
        fetcher.fetch(server.url("/slow-drip"))
        server.log                            # [LogEntry(path, query, headers, start, end, ...)]

    FaultyServer(host="127.0.0.2")            # another loopback "host" (Linux routes all of 127/8 to lo)
    FaultyServer(robots="User-agent: *\\nDisallow: /private\\nCrawl-delay: 0.2\\n")
    FaultyServer(tls=(certfile, keyfile))     # https; server.sni lists the names clients sent in the handshake
    server.route("/mine", handler)            # handler(req: Handler) -> None, with req.send(...) helpers

Built-in routes (query parameters in brackets):
  /ok                      small HTML page                /delay[?s=0.3]       answers after s seconds
  /slow-drip[?every=0.05&n=200]  one byte every `every` s /endless             body that never ends
  /500-then-200[?key=]     500 the first time             /429[?key=]          429 Retry-After: 1, then 200
  /503-long                503 Retry-After: 3600          /status/<code>       that status
  /redirect-loop/a         a → b → a                      /chain/<n>           n redirects, then a page
  /redirect?to=<url>       302 to that URL                /bytes?n=            n bytes with Content-Length
  /stream-bytes?n=         n bytes without Content-Length (close-delimited)
  /gzip-bomb               50 MB of zeros, gzip-encoded   /deflate-bomb        same, raw deflate
  /octet-html /octet-pdf   HTML / PDF as application/octet-stream
  /latin1                  text/html; charset=ISO-8859-1  /pdf-as-html         a PDF labelled text/html
  /etag                    ETag "v1" + Last-Modified, 304 on a matching conditional request
  /gone[?key=]             404 the first time, 410 after  /robots.txt         `robots` (404 when None)
State (the "first time" routes) is per path+key and lives as long as the server.
"""

from __future__ import annotations

import ssl
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LAST_MODIFIED = "Wed, 01 Jan 2025 10:00:00 GMT"
HTML = b"<!DOCTYPE html><html><head><title>ok</title></head><body><p>Bonjour</p></body></html>"
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
_BOMBS: dict[str, bytes] = {}
_BOMB_LOCK = threading.Lock()


def bomb(kind: str = "gzip", size: int = 50_000_000) -> bytes:
    """``size`` zeros compressed (~50 KB for 50 MB); built once per process."""
    with _BOMB_LOCK:
        key = f"{kind}:{size}"
        if key not in _BOMBS:
            # Compressed a megabyte at a time: the server must not hold the 50 MB it pretends to send.
            wbits = 16 + zlib.MAX_WBITS if kind == "gzip" else -zlib.MAX_WBITS
            z = zlib.compressobj(9, zlib.DEFLATED, wbits)
            block = b"\0" * 1_000_000
            parts = [z.compress(block[: min(len(block), size - done)]) for done in range(0, size, len(block))]
            _BOMBS[key] = b"".join(parts) + z.flush()
        return _BOMBS[key]


@dataclass
class LogEntry:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-cased names
    start: float  # time.monotonic() when the request line was read
    end: float = 0.0  # when the handler returned (0 while in flight)
    thread: str = ""
    params: dict[str, str] = field(default_factory=dict)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers: the client's pool gets exercised
    server: _Server

    def log_message(self, format, *args):  # noqa: A002 - quiet test output
        pass

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        self.params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        entry = LogEntry(self.command, parts.path, parts.query, {k.lower(): v for k, v in self.headers.items()},
                         time.monotonic(), thread=threading.current_thread().name, params=self.params)
        owner = self.server.owner
        with owner._lock:
            owner.log.append(entry)
        try:
            owner._dispatch(self, parts.path)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True
        finally:
            entry.end = time.monotonic()

    # helpers for route handlers
    def send(self, status: int = 200, body: bytes = b"", content_type: str = "text/html; charset=utf-8",
             headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and status != 304:
            self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send(status, b"", headers={"Location": location})

    def stream(self, chunks, content_type: str = "text/html", headers: dict[str, str] | None = None) -> None:
        """A close-delimited body (no Content-Length): ``chunks`` is any iterable of bytes."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.close_connection = True
        stop = self.server.owner._stopping
        for chunk in chunks:
            if stop.is_set():
                return
            self.wfile.write(chunk)
            self.wfile.flush()

    def first_time(self, path: str) -> bool:
        """True on the first request for this path+key since the server started."""
        key = (path, self.params.get("key", ""))
        owner = self.server.owner
        with owner._lock:
            owner.hits[key] = owner.hits.get(key, 0) + 1
            return owner.hits[key] == 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # endless and slow handlers must not hold stop() up
    owner: FaultyServer

    def handle_error(self, request, client_address) -> None:
        # Clients hanging up (size limits, timeouts, pooled connections closed) are the normal case here.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class FaultyServer:
    def __init__(self, host: str = "127.0.0.1", robots: str | None = None, robots_status: int | None = None,
                 tls: tuple[str, str] | None = None):
        if not host.startswith("127.") and host != "::1":
            raise ValueError("FaultyServer only listens on loopback")
        self.host = host
        self.robots = robots
        self.robots_status = robots_status  # e.g. 503: robots.txt unreachable
        self.tls = tls
        self.sni: list[str | None] = []
        self.log: list[LogEntry] = []
        self.hits: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._routes = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> FaultyServer:
        self._server = _Server((self.host, 0), Handler)
        self._server.owner = self
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            context.sni_callback = lambda _sock, name, _ctx: self.sni.append(name)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"faulty-{self.host}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FaultyServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server, "server not started"
        return self._server.server_address[1]

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, path: str = "/", host: str | None = None) -> str:
        """Absolute URL of ``path``; ``host`` replaces the address in the URL (a name a stub resolver maps here)."""
        return f"{'https' if self.tls else 'http'}://{host or self.host}:{self.port}{path}"

    def route(self, path: str, handler) -> None:
        """Add or replace a route: ``handler(req: Handler)``; a path ending in ``/`` matches as a prefix."""
        self._routes[path] = handler

    def requests_for(self, path: str) -> list[LogEntry]:
        with self._lock:
            return [e for e in self.log if e.path == path]

    def paths(self) -> list[str]:
        with self._lock:
            return [e.path for e in self.log]

    # --- routing ---------------------------------------------------------------------------------------------

    def _dispatch(self, req: Handler, path: str) -> None:
        handler = self._routes.get(path)
        if handler is None:
            prefixes = [p for p in self._routes if p.endswith("/") and path.startswith(p)]
            handler = self._routes[max(prefixes, key=len)] if prefixes else None
        if handler is None:
            name = "_r_" + path.strip("/").split("/")[0].replace("-", "_").replace(".", "_")
            handler = getattr(self, name, None)
        if handler is None:
            req.send(404, b"<html><body>not found</body></html>")
        else:
            handler(req)

    def _r_robots_txt(self, req: Handler) -> None:
        if self.robots_status:
            req.send(self.robots_status, b"unavailable", "text/plain")
        elif self.robots is None:
            req.send(404, b"no robots", "text/plain")
        else:
            req.send(200, self.robots.encode(), "text/plain")

    def _r_ok(self, req: Handler) -> None:
        req.send(200, HTML)

    def _r_delay(self, req: Handler) -> None:
        time.sleep(float(req.params.get("s", "0.3")))
        req.send(200, HTML)

    def _r_slow_drip(self, req: Handler) -> None:
        every, n = float(req.params.get("every", "0.05")), int(req.params.get("n", "200"))

        def drip():
            for _ in range(n):
                time.sleep(every)
                yield b"x"

        req.stream(drip())

    def _r_endless(self, req: Handler) -> None:
        chunk = b"<p>" + b"a" * 65_000 + b"</p>"

        def forever():
            while True:
                yield chunk

        req.stream(forever())

    def _r_500_then_200(self, req: Handler) -> None:
        if req.first_time("/500-then-200"):
            req.send(500, b"oops")
        else:
            req.send(200, HTML)

    def _r_429(self, req: Handler) -> None:
        if req.first_time("/429"):
            req.send(429, b"slow down", headers={"Retry-After": "1"})
        else:
            req.send(200, HTML)

    def _r_503_long(self, req: Handler) -> None:
        req.send(503, b"maintenance", headers={"Retry-After": "3600"})

    def _r_status(self, req: Handler) -> None:
        req.send(int(req.path.split("?")[0].rstrip("/").rsplit("/", 1)[1]), b"status")

    def _r_redirect_loop(self, req: Handler) -> None:
        req.redirect("/redirect-loop/b" if req.path.endswith("/a") else "/redirect-loop/a")

    def _r_chain(self, req: Handler) -> None:
        n = int(urlsplit(req.path).path.rstrip("/").rsplit("/", 1)[1])
        if n > 0:
            req.redirect(f"/chain/{n - 1}", 301 if n % 2 else 307)
        else:
            req.send(200, HTML)

    def _r_redirect(self, req: Handler) -> None:
        req.redirect(req.params["to"])

    def _r_bytes(self, req: Handler) -> None:
        req.send(200, b"a" * int(req.params.get("n", "1000")), "text/plain")

    def _r_stream_bytes(self, req: Handler) -> None:
        n = int(req.params.get("n", "1000"))
        req.stream((b"a" * min(65_536, n - i) for i in range(0, n, 65_536)), "text/plain")

    def _r_gzip_bomb(self, req: Handler) -> None:
        req.send(200, bomb("gzip"), "text/html", headers={"Content-Encoding": "gzip"})

    def _r_deflate_bomb(self, req: Handler) -> None:
        req.send(200, bomb("deflate"), "text/html", headers={"Content-Encoding": "deflate"})

    def _r_octet_html(self, req: Handler) -> None:
        req.send(200, HTML, "application/octet-stream")

    def _r_octet_pdf(self, req: Handler) -> None:
        req.send(200, PDF, "application/octet-stream")

    def _r_pdf_as_html(self, req: Handler) -> None:
        req.send(200, PDF, "text/html")

    def _r_latin1(self, req: Handler) -> None:
        req.send(200, "<html><body>été</body></html>".encode("latin-1"), "text/html; charset=ISO-8859-1")

    def _r_etag(self, req: Handler) -> None:
        validators = {"ETag": '"v1"', "Last-Modified": LAST_MODIFIED}
        inm, ims = req.headers.get("If-None-Match"), req.headers.get("If-Modified-Since")
        if (inm and '"v1"' in inm) or (not inm and ims == LAST_MODIFIED):
            req.send(304, b"", "", headers=validators)
        else:
            req.send(200, HTML, headers=validators)

    def _r_gone(self, req: Handler) -> None:
        req.send(404 if req.first_time("/gone") else 410, b"gone")
