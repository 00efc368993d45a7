"""Crawls asked for from the web ("Lancer maintenant"), carried to the process that crawls.

The web never crawls itself: in production it runs in gunicorn workers that only read the index, while the
``worker`` process is the one index writer. A request is a small JSON file in ``DATA_DIR/crawl-requests/``
(written atomically); the crawling process (``worker`` or ``run``) claims each file by renaming it, so two
pollers can never run the same request twice.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from .store.models import utcnow


def _dir(settings) -> Path:
    path = Path(settings.data_dir) / "crawl-requests"
    path.mkdir(parents=True, exist_ok=True)
    return path


def request_crawl(settings, source_ids: list[str] | None, user_email: str = "") -> str:
    """Queues a crawl of ``source_ids`` (None: every enabled source); returns the request id."""
    request_id = f"{time.time_ns():020d}-{secrets.token_hex(4)}"
    data = {"id": request_id, "source_ids": source_ids, "user": user_email, "at": utcnow().isoformat()}
    folder = _dir(settings)
    tmp = folder / f".{request_id}.tmp"
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, folder / f"{request_id}.json")
    return request_id


def pending(settings) -> list[dict[str, Any]]:
    out = []
    for path in sorted(_dir(settings).glob("*.json")):
        try:
            out.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return out


def take(settings) -> list[dict[str, Any]]:
    """Claims every pending request, oldest first."""
    out = []
    for path in sorted(_dir(settings).glob("*.json")):
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
