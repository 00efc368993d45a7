"""The ``sources.yaml`` schema: one entry per centre (or portal) to watch.

VALIDATION IS A PLACEHOLDER — being written (file:line:field errors, unknown keys, duplicate ids).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass
class Source:
    id: str
    name: str
    homepage: str
    region: list[str] = field(default_factory=list)  # INSEE region codes, as strings
    feeds: list[str] = field(default_factory=list)
    start_urls: list[str] = field(default_factory=list)
    include: list[str] = field(default_factory=list)  # regular expressions on absolute URLs
    exclude: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)  # default theme ids
    schedule: str = "daily"  # daily | weekly | cron expression
    enabled: bool = True
    allow_private_network: bool = False
    crawl_delay: float | None = None  # per-source politeness override (seconds)
    max_pages: int | None = None
    max_depth: int | None = None


def load_sources(path: str | Path) -> list[Source]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out = []
    for entry in data.get("sources", []):
        region = entry.get("region", [])
        entry["region"] = [region] if isinstance(region, str) else list(region)
        out.append(Source(**entry))
    return out
