"""The WSGI entry point for gunicorn: ``gunicorn -w 4 -b 127.0.0.1:8000 crpv_watch.wsgi:app``.

Settings come from ``CRPV_WATCH_*`` environment variables and ``CRPV_WATCH_CONFIG``; the web only reads the index
(the ``crpv-watch worker`` process writes it). Each gunicorn worker builds its own app after the fork, so no
database connection or index reader is shared between processes.
"""

from __future__ import annotations

from .settings import Settings
from .web.app import create_app

app = create_app(Settings.load())
