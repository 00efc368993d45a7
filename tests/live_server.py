"""The Flask app served on a loopback port in a thread, for the browser tests."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from werkzeug.serving import make_server

from crpv_watch.services import Services
from crpv_watch.web.app import create_app


@contextlib.contextmanager
def serve(services: Services) -> Iterator[str]:
    """Yields the base URL of the running app; stops the server and closes ``services`` at the end."""
    app = create_app(services=services)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        services.close()
