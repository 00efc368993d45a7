"""The ``sources.yaml`` schema: one entry per centre (or portal) to watch, loaded and validated.

``load_sources`` refuses a file with any problem and lists them all (``SourcesError``), each as
``FILE:LINE: field 'x' of source 'id': message``: editors fix the file in one pass, and a typo can never
silently drop a setting (unknown keys are errors, with the closest known key suggested).
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..crawl.patterns import pattern_problem
from ..tagging.sections import MATCH_KEYS, SECTION_KEYS
from ..tagging.thesaurus import (
    DEFAULT_DOCTYPES,
    DEFAULT_REGIONS,
    DEFAULT_THEMES,
    UNQUALIFIED_DOCTYPE,
    VocabularyError,
    load_regions,
    load_themes,
)
from ..tagging.yamlcheck import Checker, Problem, key_line, load_roundtrip, node_line, suggest, type_name

SCHEDULES = ("daily", "weekly")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TOP_KEYS = ("version", "sources")


@dataclass
class Source:
    id: str
    name: str
    homepage: str
    region: list[str] = field(default_factory=list)  # INSEE region codes, as strings
    feeds: list[str] = field(default_factory=list)
    start_urls: list[str] = field(default_factory=list)  # listing pages (hubs)
    include: list[str] = field(default_factory=list)  # regular expressions on absolute URLs
    exclude: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)  # default theme ids: a weak prior for the tagger
    schedule: str = "daily"  # daily | weekly | 5-field cron expression
    enabled: bool = True
    # Host names (or IP literals) this source may reach on loopback or private addresses, e.g. an intranet
    # server; only an admin sets them, and link-local / metadata / unique-local addresses stay refused anyway.
    private_hosts: list[str] = field(default_factory=list)
    crawl_delay: float | None = None  # per-source politeness override (seconds)
    max_pages: int | None = None
    max_depth: int | None = None
    # Added after the first cut: kept last so positional construction stays valid.
    departments: list[str] = field(default_factory=list)  # when the perimeter is departmental (Île-de-France)
    notes: str = ""  # free text for editors
    # Also take candidates from the site's sitemaps (robots.txt Sitemap lines, else /sitemap.xml): see
    # crawl/sitemaps.py for when they are used without it.
    sitemaps: bool = False
    # The source's own sections mapped to a type and themes (tagging/sections.py): evidence for the tagger.
    sections: list[dict] = field(default_factory=list)
    # OAI-PMH endpoints (a catalogue such as PMB): each record becomes a document (crawl/oai_source.py).
    oai_pmh: list[OaiEndpoint] = field(default_factory=list)


@dataclass(frozen=True)
class OaiEndpoint:
    url: str
    set: str | None = None
    metadata_prefix: str = "oai_dc"


OAI_KEYS = ("url", "set", "metadata_prefix")
OAI_PREFIXES = ("oai_dc",)  # the Dublin Core every repository must offer; the only one read


KNOWN_KEYS = tuple(f.name for f in fields(Source))
REQUIRED_KEYS = ("id", "name", "homepage")


@dataclass(frozen=True)
class SourceProblem(Problem):
    pass


class SourcesError(ValueError):
    def __init__(self, path: str | Path, problems: list[SourceProblem]):
        self.path = str(path)
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{len(problems)} {noun} in {path}:\n" + "\n".join(str(p) for p in problems))


def url_problem(value: str) -> str | None:
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        return f"invalid URL '{value}': {exc}"
    if parts.scheme not in ("http", "https"):
        return f"invalid URL '{value}': scheme must be http or https"
    if not parts.hostname or any(c.isspace() for c in value):
        return f"invalid URL '{value}'"
    return None


def private_host_problem(value: str) -> str | None:
    """A ``private_hosts`` entry is a bare host name or IP address (no scheme, port or path)."""
    host = value.strip().strip("[]").rstrip(".")
    if not host or any(c in host for c in "/@?#* \t") or (":" in host and host.count(":") < 2):
        return f"invalid host '{value}': a host name or an IP address, without scheme, port or path"
    return None


def schedule_problem(value: str) -> str | None:
    if value in SCHEDULES:
        return None
    if len(value.split()) != 5:
        return f"must be daily, weekly or a 5-field cron expression, got '{value}'" + suggest(value, SCHEDULES)
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        return f"invalid cron expression '{value}': {exc}"
    return None


class _Validator:
    def __init__(self, path: str | Path, themes_path: str | Path, regions_path: str | Path):
        self.chk = Checker(path, "source", SourceProblem)
        self.themes: set[str] = set()
        self.regions: set[str] = set()
        self.region_of: dict[str, str] = {}  # department code → region code
        self.doctypes: set[str] = set()
        try:
            import yaml

            raw = yaml.safe_load(Path(DEFAULT_DOCTYPES).read_text(encoding="utf-8")) or {}
            self.doctypes = {d["id"] for d in raw.get("doctypes") or [] if isinstance(d, dict) and "id" in d}
            self.doctypes.discard(UNQUALIFIED_DOCTYPE)  # not a genre a section can give
        except (OSError, ValueError):
            pass
        try:
            _, themes = load_themes(themes_path)
            self.themes = set(themes)
            regions, territories = load_regions(regions_path)
            self.regions = set(regions) | set(territories)
            self.region_of = {dep: code for code, r in regions.items() for dep, _ in r.departments}
        except VocabularyError as exc:
            self.chk.problems.extend(SourceProblem(p.file, p.line, p.field, p.message, p.owner, p.owner_kind)
                                     for p in exc.problems)

    def check_file(self, data: Any) -> list[Source]:
        chk = self.chk
        if not isinstance(data, dict):
            chk.add(1, "sources", "expected a mapping with a 'sources' list at the top level")
            return []
        chk.unknown_keys(data, TOP_KEYS)
        entries = data.get("sources")
        if not isinstance(entries, list):
            chk.add(key_line(data, "sources", 1), "sources",
                    "required list is missing" if entries is None else f"expected a list, got {type_name(entries)}")
            return []
        out, seen = [], {}
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                chk.add(key_line(entries, i), "sources", f"item {i + 1}: expected a mapping, got {type_name(entry)}")
                continue
            source = self.check_entry(entry, i, seen)
            if source is not None:
                out.append(source)
        return out

    def check_entry(self, entry: Any, index: int, seen: dict[str, int]) -> Source | None:
        chk = self.chk
        line = node_line(entry)
        sid = entry.get("id") if isinstance(entry.get("id"), str) else f"#{index + 1}"
        before = len(chk.problems)
        chk.unknown_keys(entry, (*KNOWN_KEYS, "allow_private_network"), sid)
        for key in REQUIRED_KEYS:
            chk.string(entry, key, sid, required=True)
        if "id" in entry and isinstance(entry["id"], str):
            if not SLUG.match(sid):
                chk.add(key_line(entry, "id"), "id", "must be a slug (lower-case letters, digits, hyphens)", sid)
            if sid in seen:
                chk.add(key_line(entry, "id"), "id", f"duplicate id (first defined on line {seen[sid]})", sid)
            else:
                seen[sid] = key_line(entry, "id", line)
        values: dict[str, Any] = {k: str(entry[k]) for k in REQUIRED_KEYS if isinstance(entry.get(k), str)}
        if "homepage" in values:
            self._urls(entry, "homepage", [values["homepage"]], sid)
        for key in ("feeds", "start_urls"):
            values[key] = self._urls(entry, key, chk.string_list(entry, key, sid) or [], sid)
        for key in ("include", "exclude"):
            values[key] = chk.string_list(entry, key, sid) or []
            for pattern in values[key]:
                problem = pattern_problem(pattern)
                if problem:
                    chk.add(key_line(entry, key, line), key, f"invalid regular expression '{pattern}': {problem}",
                            sid)
        values["region"] = self._codes(entry, "region", sid, self.regions, allow_scalar=True)
        values["departments"] = self._codes(entry, "departments", sid, set(self.region_of))
        for dep in values["departments"]:
            regions = [r for r in values["region"] if r in self.regions]
            if regions and dep in self.region_of and self.region_of[dep] not in regions:
                chk.add(key_line(entry, "departments", line), "departments",
                        f"department '{dep}' is not in the source's region(s)", sid)
        values["themes"] = chk.string_list(entry, "themes", sid) or []
        for theme in values["themes"]:
            if self.themes and theme not in self.themes:
                chk.add(key_line(entry, "themes", line), "themes", f"unknown theme id '{theme}'"
                        + suggest(theme, self.themes), sid)
        if "schedule" in entry:
            schedule = chk.string(entry, "schedule", sid, required=True)
            message = schedule_problem(schedule.strip()) if schedule is not None else None
            if message:
                chk.add(key_line(entry, "schedule"), "schedule", message, sid)
            elif schedule is not None:
                values["schedule"] = schedule.strip()
        if "allow_private_network" in entry:  # the blanket switch of earlier versions: hosts are named now
            chk.add(key_line(entry, "allow_private_network"), "allow_private_network",
                    "replaced by private_hosts: list the host names allowed to reach private addresses, "
                    "e.g. private_hosts: [intranet.example.org]", sid)
        values["private_hosts"] = chk.string_list(entry, "private_hosts", sid) or []
        for host in values["private_hosts"]:
            message = private_host_problem(host)
            if message:
                chk.add(key_line(entry, "private_hosts", line), "private_hosts", message, sid)
        for key in ("enabled", "sitemaps"):
            if key in entry:
                if isinstance(entry[key], bool):
                    values[key] = bool(entry[key])
                else:
                    chk.add(key_line(entry, key), key, f"expected true or false, got {type_name(entry[key])}"
                            + (f" '{entry[key]}'" if isinstance(entry[key], str) else ""), sid)
        self._number(entry, "crawl_delay", sid, values, minimum=0, integer=False)
        self._number(entry, "max_pages", sid, values, minimum=1, integer=True)
        self._number(entry, "max_depth", sid, values, minimum=0, integer=True)
        if "notes" in entry:
            values["notes"] = chk.string(entry, "notes", sid) or ""
        values["sections"] = self._sections(entry, sid)
        values["oai_pmh"] = self._oai(entry, sid)
        if len(chk.problems) > before:
            return None
        return Source(**values)

    def _sections(self, entry: Any, sid: str) -> list[dict]:
        seq = entry.get("sections")
        if seq is None:
            return []
        if not isinstance(seq, list):
            self.chk.add(key_line(entry, "sections"), "sections", f"expected a list, got {type_name(seq)}", sid)
            return []
        out = []
        for i, item in enumerate(seq):
            line = key_line(seq, i) or key_line(entry, "sections")
            if not isinstance(item, dict):
                self.chk.add(line, "sections", f"item {i + 1}: expected a mapping such as "
                             "{url_prefix: /agenda/, type: agenda_evenement}", sid)
                continue
            where = f"sections[{i + 1}]"
            for key in item:
                if key not in SECTION_KEYS:
                    self.chk.add(key_line(item, key, line), f"{where}.{key}", "unknown key"
                                 + suggest(str(key), SECTION_KEYS), sid)
            matches = [k for k in MATCH_KEYS if k in item]
            if len(matches) != 1:
                self.chk.add(line, where, "needs exactly one of url_prefix, breadcrumb, category", sid)
                continue
            value = item[matches[0]]
            if not isinstance(value, str) or not value.strip():
                self.chk.add(key_line(item, matches[0], line), f"{where}.{matches[0]}", "expected a non-empty string",
                             sid)
                continue
            if matches[0] == "url_prefix" and not value.startswith(("/", "http://", "https://")):
                self.chk.add(key_line(item, "url_prefix", line), f"{where}.url_prefix",
                             f"'{value}' must be a path starting with / or a full http(s) address", sid)
            section: dict = {matches[0]: value.strip()}
            doctype = item.get("type")
            if doctype is not None:
                if not isinstance(doctype, str) or (self.doctypes and doctype not in self.doctypes):
                    self.chk.add(key_line(item, "type", line), f"{where}.type", f"unknown document type '{doctype}'"
                                 + suggest(str(doctype), self.doctypes), sid)
                else:
                    section["type"] = doctype
            themes = item.get("themes")
            if themes is not None:
                if not isinstance(themes, list) or not all(isinstance(t, str) for t in themes):
                    self.chk.add(key_line(item, "themes", line), f"{where}.themes", "expected a list of theme ids",
                                 sid)
                else:
                    for theme in themes:
                        if self.themes and theme not in self.themes:
                            self.chk.add(key_line(item, "themes", line), f"{where}.themes",
                                         f"unknown theme id '{theme}'" + suggest(theme, self.themes), sid)
                    section["themes"] = list(themes)
            if "type" not in item and "themes" not in item:
                self.chk.add(line, where, "a section needs a type or themes", sid)
            out.append(section)
        return out

    def _urls(self, entry: Any, key: str, urls: list[str], sid: str) -> list[str]:
        seq = entry.get(key)
        for i, url in enumerate(urls):
            message = url_problem(url.strip())
            if message:
                line = key_line(seq, i) if isinstance(seq, list) else key_line(entry, key, node_line(entry))
                self.chk.add(line or key_line(entry, key), key, message, sid)
        return [u.strip() for u in urls]

    def _oai(self, entry: Any, sid: str) -> list[OaiEndpoint]:
        """``oai_pmh``: a list of endpoint URLs, or of mappings with ``url``, ``set``, ``metadata_prefix``."""
        seq = entry.get("oai_pmh")
        if seq is None:
            return []
        if not isinstance(seq, list):
            self.chk.add(key_line(entry, "oai_pmh"), "oai_pmh", f"expected a list, got {type_name(seq)}", sid)
            return []
        out = []
        for i, item in enumerate(seq):
            line = key_line(seq, i) or key_line(entry, "oai_pmh")
            item = {"url": item} if isinstance(item, str) else item
            if not isinstance(item, dict):
                self.chk.add(line, "oai_pmh", f"item {i + 1}: expected a URL or a mapping, got {type_name(item)}",
                             sid)
                continue
            unknown = [k for k in item if k not in OAI_KEYS]
            for key in unknown:
                self.chk.add(key_line(item, key, line), f"oai_pmh.{key}", "unknown key" + suggest(str(key), OAI_KEYS), sid)
            bad = [k for k in OAI_KEYS if k in item and not isinstance(item[k], str)]
            for key in bad:
                self.chk.add(key_line(item, key, line), f"oai_pmh.{key}", f"expected a string, got {type_name(item[key])}", sid)
            url = item.get("url") if isinstance(item.get("url"), str) else None
            message = "required key is missing" if url is None and "url" not in bad else (
                url_problem(url.strip()) if url is not None else None)
            if message:
                self.chk.add(key_line(item, "url", line), "oai_pmh.url", message, sid)
            prefix = item.get("metadata_prefix", "oai_dc")
            if isinstance(prefix, str) and prefix not in OAI_PREFIXES:
                self.chk.add(key_line(item, "metadata_prefix", line), "oai_pmh.metadata_prefix", f"unsupported format '{prefix}' (only oai_dc is "
                             "read)" + suggest(prefix, OAI_PREFIXES), sid)
            if not (message or unknown or bad) and prefix in OAI_PREFIXES:
                out.append(OaiEndpoint(url=url.strip(), set=item.get("set") or None, metadata_prefix=prefix))
        return out

    def _codes(self, entry: Any, key: str, sid: str, valid: set[str], allow_scalar: bool = False) -> list[str]:
        codes = self.chk.string_list(entry, key, sid, allow_scalar=allow_scalar) or []
        for code in codes:
            if valid and code not in valid:
                self.chk.add(key_line(entry, key, node_line(entry)), key, f"unknown INSEE code '{code}'"
                             + suggest(code, valid), sid)
        return codes

    def _number(self, entry: Any, key: str, sid: str, values: dict, minimum: float, integer: bool) -> None:
        if entry.get(key) is None:
            return
        value = entry[key]
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok:
            self.chk.add(key_line(entry, key), key, f"expected {'an integer' if integer else 'a number'}, "
                         f"got {type_name(value)}", sid)
        elif value < minimum:
            self.chk.add(key_line(entry, key), key, f"must be at least {minimum}", sid)
        else:
            values[key] = int(value) if integer else float(value)


def _check(path: str | Path, themes_path: str | Path | None,
           regions_path: str | Path | None) -> tuple[list[Source], list[SourceProblem]]:
    if not Path(path).is_file():
        raise FileNotFoundError(errno.ENOENT, "sources file not found", str(path))
    validator = _Validator(path, themes_path or DEFAULT_THEMES, regions_path or DEFAULT_REGIONS)
    data, syntax = load_roundtrip(path)
    if syntax:
        return [], [SourceProblem(p.file, p.line, p.field, p.message) for p in syntax] + validator.chk.problems
    sources = validator.check_file(data)
    return sources, validator.chk.problems


def validate_sources(path: str | Path, themes_path: str | Path | None = None,
                     regions_path: str | Path | None = None) -> list[SourceProblem]:
    """Every problem of the file, in file order (an empty list when it is valid)."""
    _, problems = _check(path, themes_path, regions_path)
    return sorted(problems, key=lambda p: (p.file != str(path), p.line))


def load_sources(path: str | Path, themes_path: str | Path | None = None,
                 regions_path: str | Path | None = None) -> list[Source]:
    sources, problems = _check(path, themes_path, regions_path)
    if problems:
        raise SourcesError(path, sorted(problems, key=lambda p: (p.file != str(path), p.line)))
    return sources
