"""The ``sources.yaml`` schema: one entry per centre (or portal) to watch, loaded and validated.

``load_sources`` refuses a file with any problem and lists them all (``SourcesError``), each as
« FICHIER, ligne N : champ « x » de la source « id » : message », in French: editors fix the file in one pass, and a typo can never
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
from ..tagging.yamlcheck import (
    Checker,
    Problem,
    key_line,
    load_roundtrip,
    mistyped,
    node_line,
    suggest,
    technical,
)

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
        if len(problems) == 1 and problems[0].file == self.path:
            summary = f"1 problème dans {problems[0]}"
        else:
            summary = (f"{len(problems)} problème{'s' if len(problems) > 1 else ''} dans {path} :\n"
                       + "\n".join(str(p) for p in problems))
        super().__init__(summary)


def url_problem(value: str) -> str | None:
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        return f"adresse invalide « {value} »" + technical(str(exc))
    if parts.scheme not in ("http", "https"):
        return f"adresse invalide « {value} » : elle doit commencer par http:// ou https://"
    if not parts.hostname or any(c.isspace() for c in value):
        return f"adresse invalide « {value} » : nom de domaine absent ou espace dans l'adresse"
    return None


def private_host_problem(value: str) -> str | None:
    """A ``private_hosts`` entry is a bare host name or IP address (no scheme, port or path)."""
    host = value.strip().strip("[]").rstrip(".")
    if not host or any(c in host for c in "/@?#* \t") or (":" in host and host.count(":") < 2):
        return f"hôte invalide « {value} » : un nom d'hôte ou une adresse IP, sans http://, port ni chemin"
    return None


def schedule_problem(value: str) -> str | None:
    if value in SCHEDULES:
        return None
    if len(value.split()) != 5:
        return (f"« {value} » : attendu daily (quotidienne), weekly (hebdomadaire) ou une expression cron à 5 "
                "champs" + suggest(value, SCHEDULES))
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        return f"expression cron invalide « {value} » : {cron_cause(str(exc))}" + technical(str(exc))
    return None


# APScheduler's reasons for refusing a cron expression, by kind.
_CRON_CAUSES = (
    ("higher than the maximum", "une valeur dépasse le maximum du champ"),
    ("lower than the minimum", "une valeur est sous le minimum du champ"),
    ("unrecognized expression", "expression non reconnue pour l'un des champs"),
    ("invalid weekday name", "nom de jour inconnu (mon, tue, wed, thu, fri, sat, sun)"),
    ("invalid month name", "nom de mois inconnu (jan, feb, …)"),
    ("minimum value in a range", "intervalle à l'envers (le début dépasse la fin)"),
    ("increment must be", "pas de répétition nul (*/0)"),
)
CRON_FIELDS = "minute, heure, jour du mois, mois, jour de la semaine"


def cron_cause(reason: str) -> str:
    low = reason.lower()
    cause = next((c for key, c in _CRON_CAUSES if key in low), "syntaxe incorrecte")
    return f"{cause} (ordre des champs : {CRON_FIELDS})"


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
            chk.add(1, "sources", "le fichier doit commencer par une clé « sources: » suivie de la liste des sources")
            return []
        chk.unknown_keys(data, TOP_KEYS)
        entries = data.get("sources")
        if not isinstance(entries, list):
            chk.add(key_line(data, "sources", 1), "sources",
                    "liste obligatoire absente" if entries is None else mistyped("une liste", entries))
            return []
        out, seen = [], {}
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                chk.add(key_line(entries, i), "sources", f"élément {i + 1} : " + mistyped("une source (id, name, "
                        "homepage…)", entry))
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
                chk.add(key_line(entry, "id"), "id",
                        "doit être un identifiant court (minuscules sans accent, chiffres, tirets)", sid)
            if sid in seen:
                chk.add(key_line(entry, "id"), "id", f"identifiant en double (déjà défini ligne {seen[sid]})", sid)
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
                    chk.add(key_line(entry, key, line), key, problem, sid)
        values["region"] = self._codes(entry, "region", sid, self.regions, allow_scalar=True)
        values["departments"] = self._codes(entry, "departments", sid, set(self.region_of))
        for dep in values["departments"]:
            regions = [r for r in values["region"] if r in self.regions]
            if regions and dep in self.region_of and self.region_of[dep] not in regions:
                chk.add(key_line(entry, "departments", line), "departments",
                        f"le département « {dep} » n'est pas dans la ou les régions de la source", sid)
        values["themes"] = chk.string_list(entry, "themes", sid) or []
        for theme in values["themes"]:
            if self.themes and theme not in self.themes:
                chk.add(key_line(entry, "themes", line), "themes", f"thème inconnu « {theme} »"
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
                    "remplacé par private_hosts : listez les hôtes autorisés à joindre des adresses privées, "
                    "par exemple private_hosts: [intranet.example.org]", sid)
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
                    chk.add(key_line(entry, key), key, mistyped("true ou false", entry[key])
                            + (f" « {entry[key]} »" if isinstance(entry[key], str) else ""), sid)
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
            self.chk.add(key_line(entry, "sections"), "sections", mistyped("une liste", seq), sid)
            return []
        out = []
        for i, item in enumerate(seq):
            line = key_line(seq, i) or key_line(entry, "sections")
            if not isinstance(item, dict):
                self.chk.add(line, "sections", f"élément {i + 1} : attendu une rubrique comme "
                             "{url_prefix: /agenda/, type: agenda_evenement}", sid)
                continue
            where = f"sections[{i + 1}]"
            for key in item:
                if key not in SECTION_KEYS:
                    self.chk.add(key_line(item, key, line), f"{where}.{key}", "clé inconnue"
                                 + suggest(str(key), SECTION_KEYS), sid)
            matches = [k for k in MATCH_KEYS if k in item]
            if len(matches) != 1:
                self.chk.add(line, where, "il faut exactement une clé parmi url_prefix, breadcrumb, category", sid)
                continue
            value = item[matches[0]]
            if not isinstance(value, str) or not value.strip():
                self.chk.add(key_line(item, matches[0], line), f"{where}.{matches[0]}", "texte non vide attendu",
                             sid)
                continue
            if matches[0] == "url_prefix" and not value.startswith(("/", "http://", "https://")):
                self.chk.add(key_line(item, "url_prefix", line), f"{where}.url_prefix",
                             f"« {value} » doit être un chemin commençant par / ou une adresse http(s) complète", sid)
            section: dict = {matches[0]: value.strip()}
            doctype = item.get("type")
            if doctype is not None:
                if not isinstance(doctype, str) or (self.doctypes and doctype not in self.doctypes):
                    self.chk.add(key_line(item, "type", line), f"{where}.type", f"type de document inconnu « {doctype} »"
                                 + suggest(str(doctype), self.doctypes), sid)
                else:
                    section["type"] = doctype
            themes = item.get("themes")
            if themes is not None:
                if not isinstance(themes, list) or not all(isinstance(t, str) for t in themes):
                    self.chk.add(key_line(item, "themes", line), f"{where}.themes", "attendu : une liste d'identifiants de thèmes",
                                 sid)
                else:
                    for theme in themes:
                        if self.themes and theme not in self.themes:
                            self.chk.add(key_line(item, "themes", line), f"{where}.themes",
                                         f"thème inconnu « {theme} »" + suggest(theme, self.themes), sid)
                    section["themes"] = list(themes)
            if "type" not in item and "themes" not in item:
                self.chk.add(line, where, "une rubrique indique un type (type) ou des thèmes (themes)", sid)
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
            self.chk.add(key_line(entry, "oai_pmh"), "oai_pmh", mistyped("une liste", seq), sid)
            return []
        out = []
        for i, item in enumerate(seq):
            line = key_line(seq, i) or key_line(entry, "oai_pmh")
            item = {"url": item} if isinstance(item, str) else item
            if not isinstance(item, dict):
                self.chk.add(line, "oai_pmh", f"élément {i + 1} : " + mistyped("une adresse ou un ensemble de clés "
                             "(url, set, metadata_prefix)", item), sid)
                continue
            unknown = [k for k in item if k not in OAI_KEYS]
            for key in unknown:
                self.chk.add(key_line(item, key, line), f"oai_pmh.{key}", "clé inconnue" + suggest(str(key), OAI_KEYS), sid)
            bad = [k for k in OAI_KEYS if k in item and not isinstance(item[k], str)]
            for key in bad:
                self.chk.add(key_line(item, key, line), f"oai_pmh.{key}", mistyped("du texte", item[key]), sid)
            url = item.get("url") if isinstance(item.get("url"), str) else None
            message = "clé obligatoire absente" if url is None and "url" not in bad else (
                url_problem(url.strip()) if url is not None else None)
            if message:
                self.chk.add(key_line(item, "url", line), "oai_pmh.url", message, sid)
            prefix = item.get("metadata_prefix", "oai_dc")
            if isinstance(prefix, str) and prefix not in OAI_PREFIXES:
                self.chk.add(key_line(item, "metadata_prefix", line), "oai_pmh.metadata_prefix", f"format non pris en charge « {prefix} » (seul "
                             "oai_dc est lu)" + suggest(prefix, OAI_PREFIXES), sid)
            if not (message or unknown or bad) and prefix in OAI_PREFIXES:
                out.append(OaiEndpoint(url=url.strip(), set=item.get("set") or None, metadata_prefix=prefix))
        return out

    def _codes(self, entry: Any, key: str, sid: str, valid: set[str], allow_scalar: bool = False) -> list[str]:
        codes = self.chk.string_list(entry, key, sid, allow_scalar=allow_scalar) or []
        for code in codes:
            if valid and code not in valid:
                self.chk.add(key_line(entry, key, node_line(entry)), key, f"code INSEE inconnu « {code} »"
                             + suggest(code, valid), sid)
        return codes

    def _number(self, entry: Any, key: str, sid: str, values: dict, minimum: float, integer: bool) -> None:
        if entry.get(key) is None:
            return
        value = entry[key]
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok:
            self.chk.add(key_line(entry, key), key, mistyped("un nombre entier" if integer else "un nombre", value),
                         sid)
        elif value < minimum:
            self.chk.add(key_line(entry, key), key, f"doit valoir au moins {minimum:g}", sid)
        else:
            values[key] = int(value) if integer else float(value)


def _check(path: str | Path, themes_path: str | Path | None,
           regions_path: str | Path | None) -> tuple[list[Source], list[SourceProblem]]:
    if not Path(path).is_file():
        raise FileNotFoundError(errno.ENOENT, "fichier des sources introuvable", str(path))
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
