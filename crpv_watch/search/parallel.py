"""Document analysis on every core while an index is rebuilt: the French analyzer is pure Python and a rebuild of
100,000 documents is hours of one core, while the database (or the index writer) waits for it.

Batches go to ``spawn``ed worker processes (``fork`` is unsafe in the threaded worker and web processes) and
their results come back in the batches' order, a few batches ahead at most, so memory stays bounded and a
document indexed twice keeps its last version, as in one process. A rebuild of one or two batches (the tests, a
small site) stays in the calling process: starting the workers would cost more than it saves.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import chain, islice
from multiprocessing import get_context
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

AHEAD = 2  # batches queued per worker beyond the one it analyses


def default_procs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def batches(items: Iterable[T], size: int, key: Callable[[T], str]) -> Iterator[list[T]]:
    """Lists of up to ``size`` items, the last of those with the same key kept (in its first place)."""
    batch: dict[str, T] = {}
    for item in items:
        batch[key(item)] = item
        if len(batch) >= size:
            yield list(batch.values())
            batch = {}
    if batch:
        yield list(batch.values())


def mapped(fn: Callable[[list[T]], R], work: Iterable[list[T]], procs: int) -> Iterator[R]:
    """``fn`` of each batch, in order; on ``procs`` worker processes when there are more than two batches."""
    work = iter(work)
    head = list(islice(work, 3))
    if procs <= 1 or len(head) < 3:
        yield from map(fn, chain(head, work))
        return
    with ProcessPoolExecutor(procs, mp_context=get_context("spawn")) as pool:
        pending: deque = deque()
        for batch in chain(head, work):
            pending.append(pool.submit(fn, batch))
            if len(pending) >= procs * (1 + AHEAD):
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
