"""The vocabulary as data: themes (under pillars), document types and regions, read from the YAML files of
``crpv_watch/data`` and checked with file:line messages (``VocabularyError``).

Ids are the stable vocabulary of the index, the API and the URLs: the files may gain entries, never rename.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..text.analysis import analyze_terms
from .yamlcheck import Checker, Problem, key_line, load_roundtrip, node_line, suggest

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_THEMES = DATA_DIR / "themes.yaml"
DEFAULT_DOCTYPES = DATA_DIR / "doctypes.yaml"
DEFAULT_REGIONS = DATA_DIR / "regions.yaml"

FALLBACK_DOCTYPE = "actualite"  # the plain news item: no longer a default, a type like the others
# The type of a document whose genre the evidence does not settle: shown as such, and queued for the editors.
UNQUALIFIED_DOCTYPE = "a_qualifier"
THEME_KINDS = ("transversal", "thematique", "methode")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

THEMES_TOP = ("version", "language", "pillars", "themes", "anct_crpv_activity_categories", "loi_2014_objectifs")
PILLAR_KEYS = ("id", "label", "keywords", "acronyms", "ambiguous", "weak", "notes")
THEME_KEYS = ("id", "label", "kind", "parent", "keywords", "acronyms", "ambiguous", "weak", "notes")
DOCTYPES_TOP = ("version", "language", "precedence", "doctypes", "file_format_hints")
DOCTYPE_KEYS = ("id", "label", "title_signals", "title_signals_weak", "url_signals", "body_self_signals",
                "body_signals", "observed", "disambiguation", "note")
REGIONS_TOP = ("meta", "regions_metropole", "regions_outre_mer", "other_territories_with_qpv", "qpv_reference")
REGION_KEYS = ("insee_code", "iso_3166_2", "name", "zone", "chef_lieu_insee", "departments", "aliases",
               "former_regions_pre_2016", "crpv", "note")


@dataclass(frozen=True)
class Pillar:
    id: str
    label: str
    keywords: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()  # count only with another signal of the same pillar
    weak: tuple[str, ...] = ()  # signals so common in the corpus that they count half


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    pillar: str | None  # parent pillar id; None for transversal axes and method themes
    kind: str
    keywords: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()  # matched case-sensitively as whole tokens
    ambiguous: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocType:
    id: str
    label: str
    title_signals: tuple[str, ...] = ()
    title_signals_weak: tuple[str, ...] = ()  # title evidence only with a body signal of the same type
    url_signals: tuple[str, ...] = ()
    body_self_signals: tuple[str, ...] = ()  # the text naming its own genre ("ce rapport"): one is evidence
    body_signals: tuple[str, ...] = ()
    rank: int = 0  # position in `precedence`: lower wins
    disambiguation: str = ""
    note: str = ""


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    iso: str = ""
    zone: str = ""
    departments: tuple[tuple[str, str], ...] = ()  # (code, name)
    aliases: tuple[str, ...] = ()
    former_names: tuple[str, ...] = ()
    centres: tuple[str, ...] = ()  # source ids covering the region


class VocabularyError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("vocabulaire invalide :\n" + "\n".join(str(p) for p in problems))


def _entries(chk: Checker, data: Any, key: str) -> list[Any]:
    """The list of mappings under ``key`` of the top-level mapping; problems for anything else."""
    value = data.get(key)
    if value is None:
        chk.add(key_line(data, key, 1), key, "liste obligatoire absente" if key not in data else "ne doit pas être vide")
        return []
    if not isinstance(value, list):
        chk.add(key_line(data, key), key, "attendu : une liste")
        return []
    out = []
    for i, item in enumerate(value):
        if isinstance(item, dict):
            out.append(item)
        else:
            chk.add(key_line(value, i), key, f"élément {i + 1} : attendu un ensemble de clés et valeurs")
    return out


def _top(chk: Checker, data: Any, known: tuple[str, ...]) -> bool:
    if not isinstance(data, dict):
        chk.add(1, "", "attendu : des clés et valeurs au premier niveau du fichier")
        return False
    chk.unknown_keys(data, known)
    return True


def _entry_id(chk: Checker, entry: Any, seen: dict[str, int], kind: str, pattern=ID_PATTERN) -> str | None:
    ident = chk.string(entry, "id", required=True, owner=f"#{node_line(entry)}", owner_kind=kind)
    if ident is None:
        return None
    line = key_line(entry, "id")
    if not pattern.match(ident):
        chk.add(line, "id", f"doit respecter le format {pattern.pattern}", ident, kind)
    if ident in seen:
        chk.add(line, "id", f"identifiant en double (déjà défini ligne {seen[ident]})", ident, kind)
        return None
    seen[ident] = line
    return ident


def _signals(chk: Checker, entry: Any, ident: str, kind: str) -> dict[str, tuple[str, ...]]:
    out = {}
    for key in ("keywords", "acronyms", "ambiguous", "weak"):
        out[key] = tuple(chk.string_list(entry, key, ident, kind) or ())
    line = node_line(entry)
    for kw in out["keywords"]:
        if not analyze_terms(kw):
            chk.add(key_line(entry, "keywords", line), "keywords", f"« {kw} » ne contient que des mots vides", ident, kind)
    for ac in out["acronyms"]:
        if ac.lower() == ac or " " in ac.strip():
            chk.add(key_line(entry, "acronyms", line), "acronyms",
                    f"« {ac} » n'est pas un sigle (comparé en respectant la casse : majuscules, sans espace)", ident, kind)
    for ac in set(out["acronyms"]) & set(out["keywords"]):
        # Both lists match it: a text naming it once would count two signals.
        chk.add(key_line(entry, "keywords", line), "keywords", f"« {ac} » est déjà un sigle : ne le gardez que là",
                ident, kind)
    own = set(out["keywords"]) | set(out["acronyms"])
    for key in ("ambiguous", "weak"):
        for word in out[key]:
            if word not in own:
                chk.add(key_line(entry, key, line), key, f"« {word} » ne figure ni dans les mots-clés ni dans les sigles",
                        ident, kind)
    return out


def _parse_themes(chk: Checker, data: Any) -> tuple[dict[str, Pillar], dict[str, Theme]]:
    pillars: dict[str, Pillar] = {}
    themes: dict[str, Theme] = {}
    if not _top(chk, data, THEMES_TOP):
        return pillars, themes
    seen: dict[str, int] = {}
    for entry in _entries(chk, data, "pillars"):
        ident = _entry_id(chk, entry, seen, "pillar")
        if ident is None:
            continue
        chk.unknown_keys(entry, PILLAR_KEYS, ident, "pillar")
        label = chk.string(entry, "label", ident, required=True, owner_kind="pillar") or ident
        pillars[ident] = Pillar(ident, label, **_signals(chk, entry, ident, "pillar"))
    for entry in _entries(chk, data, "themes"):
        ident = _entry_id(chk, entry, seen, "theme")
        if ident is None:
            continue
        chk.unknown_keys(entry, THEME_KEYS, ident, "theme")
        label = chk.string(entry, "label", ident, required=True, owner_kind="theme") or ident
        kind = chk.string(entry, "kind", ident, required=True, owner_kind="theme") or ""
        if kind and kind not in THEME_KINDS:
            chk.add(key_line(entry, "kind"), "kind", f"doit valoir {' ou '.join(THEME_KINDS)}"
                    + suggest(kind, THEME_KINDS), ident, "theme")
        parent = chk.string(entry, "parent", ident, owner_kind="theme")
        if parent is not None and parent not in pillars:
            chk.add(key_line(entry, "parent"), "parent", f"pilier inconnu « {parent} »" + suggest(parent, pillars),
                    ident, "theme")
            parent = None
        signals = _signals(chk, entry, ident, "theme")
        if not signals["keywords"] and not signals["acronyms"]:
            chk.add(node_line(entry), "keywords", "un thème a besoin de mots-clés ou de sigles", ident, "theme")
        themes[ident] = Theme(ident, label, parent, kind, **signals)
    _check_cross_references(chk, data, set(pillars) | set(themes))
    return pillars, themes


def _check_cross_references(chk: Checker, data: Any, known: set[str]) -> None:
    def check(ids: Any, line: int, field: str) -> None:
        if not isinstance(ids, list):
            chk.add(line, field, "attendu : une liste d'identifiants")
            return
        for i, ident in enumerate(ids):
            if ident not in known:
                chk.add(key_line(ids, i, line), field, f"thème ou pilier inconnu « {ident} »" + suggest(ident, known))

    categories = data.get("anct_crpv_activity_categories")
    if isinstance(categories, dict):
        for name, ids in categories.items():
            check(ids, key_line(categories, name), "anct_crpv_activity_categories")
    objectives = data.get("loi_2014_objectifs")
    if isinstance(objectives, list):
        for i, item in enumerate(objectives):
            if isinstance(item, dict):
                check(item.get("ids"), key_line(objectives, i), "loi_2014_objectifs")


def _parse_doctypes(chk: Checker, data: Any) -> tuple[dict[str, DocType], list[str]]:
    doctypes: dict[str, DocType] = {}
    if not _top(chk, data, DOCTYPES_TOP):
        return doctypes, []
    raw: dict[str, dict] = {}
    seen: dict[str, int] = {}
    for entry in _entries(chk, data, "doctypes"):
        ident = _entry_id(chk, entry, seen, "doctype")
        if ident is None:
            continue
        chk.unknown_keys(entry, DOCTYPE_KEYS, ident, "doctype")
        fields = {"label": chk.string(entry, "label", ident, required=True, owner_kind="doctype") or ident,
                  "disambiguation": chk.string(entry, "disambiguation", ident, owner_kind="doctype") or "",
                  "note": chk.string(entry, "note", ident, owner_kind="doctype") or ""}
        for key in ("title_signals", "title_signals_weak", "url_signals", "body_self_signals", "body_signals",
                    "observed"):
            values = tuple(chk.string_list(entry, key, ident, "doctype") or ())
            if key != "observed":
                fields[key] = values
        raw[ident] = fields
    precedence = chk.string_list(data, "precedence", owner_kind="doctype") or []
    line = key_line(data, "precedence", 1)
    if "precedence" not in data:
        chk.add(1, "precedence", "liste obligatoire absente")
    for ident in precedence:
        if ident not in raw:
            chk.add(line, "precedence", f"type de document inconnu « {ident} »" + suggest(ident, raw))
    if len(set(precedence)) != len(precedence):
        chk.add(line, "precedence", "un identifiant y figure deux fois")
    for ident in raw:
        if ident not in precedence:
            chk.add(seen[ident], "precedence", "type de document absent de la liste precedence", ident, "doctype")
    for required in (FALLBACK_DOCTYPE, UNQUALIFIED_DOCTYPE):
        if raw and required not in raw:
            chk.add(key_line(data, "doctypes", 1), "doctypes", f"le type « {required} » est absent")
    order = [i for i in dict.fromkeys(precedence) if i in raw]
    for ident, fields in raw.items():
        rank = order.index(ident) if ident in order else len(order)
        doctypes[ident] = DocType(ident, rank=rank, **fields)
    return doctypes, order


def _parse_regions(chk: Checker, data: Any) -> tuple[dict[str, Region], dict[str, Region]]:
    regions: dict[str, Region] = {}
    territories: dict[str, Region] = {}
    if not _top(chk, data, REGIONS_TOP):
        return regions, territories
    seen: dict[str, int] = {}
    for top in ("regions_metropole", "regions_outre_mer", "other_territories_with_qpv"):
        if top not in data:
            continue
        for entry in _entries(chk, data, top):
            code = chk.string(entry, "insee_code", f"#{node_line(entry)}", required=True, owner_kind="region")
            if code is None:
                continue
            if code in seen:
                chk.add(key_line(entry, "insee_code"), "insee_code",
                        f"code en double (déjà défini ligne {seen[code]})", code, "region")
                continue
            seen[code] = key_line(entry, "insee_code")
            chk.unknown_keys(entry, REGION_KEYS, code, "region")
            name = chk.string(entry, "name", code, required=True, owner_kind="region") or code
            departments = []
            for i, dep in enumerate(entry.get("departments") or []):
                if isinstance(dep, dict) and isinstance(dep.get("code"), str) and isinstance(dep.get("name"), str):
                    departments.append((str(dep["code"]), str(dep["name"])))
                else:
                    chk.add(key_line(entry["departments"], i), "departments",
                            "attendu : {code: '93', name: …} avec des textes entre guillemets", code, "region")
            centres = tuple(str(c["id"]) for c in entry.get("crpv") or [] if isinstance(c, dict) and "id" in c)
            region = Region(code, name, str(entry.get("iso_3166_2") or ""), str(entry.get("zone") or ""),
                            tuple(departments), tuple(chk.string_list(entry, "aliases", code, "region") or ()),
                            tuple(chk.string_list(entry, "former_regions_pre_2016", code, "region") or ()),
                            centres)
            (territories if top == "other_territories_with_qpv" else regions)[code] = region
    return regions, territories


def _parse_file(parser, path: str | Path, kind: str) -> tuple[Any, list[Problem]]:
    data, problems = load_roundtrip(path)
    if problems:
        return None, problems
    chk = Checker(path, kind)
    result = parser(chk, data)
    return result, chk.problems


def _run(parser, path: str | Path, kind: str):
    result, problems = _parse_file(parser, path, kind)
    if problems:
        raise VocabularyError(problems)
    return result


def load_themes(path: str | Path = DEFAULT_THEMES) -> tuple[dict[str, Pillar], dict[str, Theme]]:
    return _run(_parse_themes, path, "theme")


def load_doctypes(path: str | Path = DEFAULT_DOCTYPES) -> tuple[dict[str, DocType], list[str]]:
    """(document types by id, precedence)."""
    return _run(_parse_doctypes, path, "doctype")


def load_regions(path: str | Path = DEFAULT_REGIONS) -> tuple[dict[str, Region], dict[str, Region]]:
    """(the 18 regions, other territories with QPV such as Saint-Martin) keyed by INSEE code."""
    return _run(_parse_regions, path, "region")


class Vocabulary:
    def __init__(self, pillars: dict[str, Pillar], themes: dict[str, Theme], doctypes: dict[str, DocType],
                 precedence: list[str], regions: dict[str, Region], territories: dict[str, Region] | None = None):
        self.pillars = pillars
        self.themes = themes
        self.doctypes = doctypes
        self.precedence = list(precedence)
        self.region_info = regions
        self.territories = territories or {}
        self.regions = {code: r.name for code, r in regions.items()}
        self.departments = {code: name for r in regions.values() for code, name in r.departments}

    @classmethod
    def _parse(cls, themes_path, doctypes_path, regions_path) -> tuple[list, list[Problem]]:
        results, problems = [], []
        for parser, path, kind in ((_parse_themes, themes_path, "theme"), (_parse_doctypes, doctypes_path, "doctype"),
                                   (_parse_regions, regions_path or DEFAULT_REGIONS, "region")):
            result, found = _parse_file(parser, path, kind)
            results.append(result)
            problems += found
        return results, problems

    @classmethod
    def validate(cls, themes_path: str | Path = DEFAULT_THEMES, doctypes_path: str | Path = DEFAULT_DOCTYPES,
                 regions_path: str | Path | None = None) -> list[Problem]:
        """Every problem of the three files (an empty list when they are valid)."""
        return cls._parse(themes_path, doctypes_path, regions_path)[1]

    @classmethod
    def load(cls, themes_path: str | Path = DEFAULT_THEMES, doctypes_path: str | Path = DEFAULT_DOCTYPES,
             regions_path: str | Path | None = None) -> Vocabulary:
        results, problems = cls._parse(themes_path, doctypes_path, regions_path)
        if problems:
            raise VocabularyError(problems)
        (pillars, themes), (doctypes, precedence), (regions, territories) = results
        return cls(pillars, themes, doctypes, precedence, regions, territories)

    def theme_label(self, theme_id: str) -> str:
        if theme_id in self.themes:
            return self.themes[theme_id].label
        return self.pillars[theme_id].label if theme_id in self.pillars else theme_id

    def pillar_label(self, pillar_id: str) -> str:
        return self.pillars[pillar_id].label if pillar_id in self.pillars else pillar_id

    def doctype_label(self, doctype_id: str) -> str:
        return self.doctypes[doctype_id].label if doctype_id in self.doctypes else doctype_id

    def region_label(self, code: str) -> str:
        if code in self.regions:
            return self.regions[code]
        if code in self.territories:
            return self.territories[code].name
        return self.departments.get(code, code)

    def pillar_of(self, theme_id: str) -> str | None:
        theme = self.themes.get(theme_id)
        return theme.pillar if theme else None
