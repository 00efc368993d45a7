"""Per-host politeness: one request in flight per host, a minimum delay between requests, server-asked pauses.

The centres' sites run on small shared hosting; two parallel requests or a retry storm can be what takes them
down. Hosts are keyed ``hostname:port`` and are independent of each other, so the crawl's thread pool still
works on several hosts at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx


def host_key(url: str | httpx.URL) -> str:
    url = httpx.URL(url) if isinstance(url, str) else url
    port = url.port or {"http": 80, "https": 443}.get(url.scheme, 0)
    return f"{url.host}:{port}"


@dataclass
class _HostState:
    lock: threading.Lock
    last_end: float = float("-inf")  # when the previous exchange with this host ended (monotonic)
    not_before: float = float("-inf")  # a pause asked by the server (Retry-After) or by our backoff
    closed_until: float = float("-inf")  # Retry-After beyond the cap: stop asking until then
    closed_for: float = 0.0


class HostGate:
    """``with gate.slot(host, delay):`` — the body is the only request in flight to ``host``, and it starts at
    least ``delay`` seconds after the previous one to that host *ended* (stricter than start-to-start, which
    would let a slow server receive back-to-back requests)."""

    def __init__(self, sleep=time.sleep, clock=time.monotonic):
        self._lock = threading.Lock()
        self._hosts: dict[str, _HostState] = {}
        self._sleep = sleep
        self._clock = clock

    def _state(self, host: str) -> _HostState:
        with self._lock:
            state = self._hosts.get(host)
            if state is None:
                state = self._hosts[host] = _HostState(threading.Lock())
            return state

    @contextlib.contextmanager
    def slot(self, host: str, delay: float) -> Iterator[None]:
        state = self._state(host)
        with state.lock:
            # Sleeping with the host's lock held is the point: the other threads wanting this host must wait too.
            wait = max(state.last_end + delay, state.not_before) - self._clock()
            if wait > 0:
                self._sleep(wait)
            try:
                yield
            finally:
                state.last_end = self._clock()

    def defer(self, host: str, seconds: float) -> None:
        """No request to ``host`` before ``seconds`` from now (backoff, or a Retry-After we agreed to wait)."""
        state = self._state(host)
        with self._lock:  # not state.lock: a thread may be sleeping in slot() with it
            state.not_before = max(state.not_before, self._clock() + seconds)

    def close_for(self, host: str, seconds: float) -> None:
        """The host asked for a pause longer than we wait: further fetches fail fast instead of sleeping."""
        state = self._state(host)
        with self._lock:
            state.closed_until = max(state.closed_until, self._clock() + seconds)
            state.closed_for = seconds

    def closed(self, host: str) -> float | None:
        """The Retry-After (seconds) that closed ``host``, while it is closed; else ``None``."""
        state = self._state(host)
        return state.closed_for if self._clock() < state.closed_until else None


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3); ``None`` if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff(base: float, attempt: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter (×0.5–1.5) so that parallel crawlers hit by one outage do not come back
    in lockstep. ``attempt`` counts from 0 for the first retry."""
    if base <= 0:
        return 0.0
    return base * (2 ** attempt) * (rng or random).uniform(0.5, 1.5)
