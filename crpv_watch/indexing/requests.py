"""Crawls asked for from the web ("Lancer maintenant"), carried to the process that crawls.

The web never crawls itself: in production it runs in gunicorn workers that only read the index, while the
``worker`` process is the one index writer. A request is a small JSON file in ``DATA_DIR/crawl-requests/``
(written atomically); the crawling process (``worker`` or ``run``) claims each file by renaming it, so two
pollers can never run the same request twice.

The same mechanism carries the other long jobs the web may ask for, each in its own folder (``kind``): index
rebuilds (« Reconstruire l'index ») go to ``DATA_DIR/rebuild-requests/`` (see ``index_rebuild.py``).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from ..store.models import utcnow

CRAWL = "crawl-requests"
REBUILD = "rebuild-requests"


def _dir(settings, kind: str = CRAWL) -> Path:
    path = Path(settings.data_dir) / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def request_crawl(settings, source_ids: list[str] | None, user_email: str = "") -> str:
    """Queues a crawl of ``source_ids`` (None: every enabled source); returns the request id."""
    return request(settings, CRAWL, user_email, source_ids=source_ids)


def request_rebuild(settings, user_email: str = "") -> str:
    """Queues a rebuild of the search index from the store; returns the request id."""
    return request(settings, REBUILD, user_email)


def request(settings, kind: str, user_email: str = "", **fields: Any) -> str:
    """Queues a request of ``kind`` (a folder name) carrying ``fields``; returns its id."""
    request_id = f"{time.time_ns():020d}-{secrets.token_hex(4)}"
    data = {"id": request_id, **fields, "user": user_email, "at": utcnow().isoformat()}
    folder = _dir(settings, kind)
    tmp = folder / f".{request_id}.tmp"
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, folder / f"{request_id}.json")
    return request_id


def pending(settings, kind: str = CRAWL) -> list[dict[str, Any]]:
    out = []
    for path in sorted(_dir(settings, kind).glob("*.json")):
        try:
            out.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return out


def take(settings, kind: str = CRAWL) -> list[dict[str, Any]]:
    """Claims every pending request, oldest first."""
    out = []
    for path in sorted(_dir(settings, kind).glob("*.json")):
        claimed = path.with_suffix(f".taken-{os.getpid()}")
        try:
            os.rename(path, claimed)  # atomic: exactly one poller wins
        except FileNotFoundError:
            continue
        try:
            out.append(json.loads(claimed.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            pass
        finally:
            claimed.unlink(missing_ok=True)
    return out
