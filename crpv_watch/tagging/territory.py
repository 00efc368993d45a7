"""Territories named in a document: departments, communes and quartiers prioritaires (QPV).

The region comes from the source (the centre's regions); this module finds what the *text* names:

- a department by its name ("en Seine-Saint-Denis"), or by its code in brackets after a place name
  ("Bobigny (93)", "Nord (59)");
- a commune of the QPV list by its name ("Bobigny", "Clichy-sous-Bois"), which gives its department;
- a QPV by its code (QN09301M) or by its name, only when that name designates one quartier without doubt.

Place names are proper nouns: they are matched on word boundaries that respect hyphens (so "Auvergne-Rhône-Alpes"
does not name the Rhône and "Clermont-Ferrand" is not Clermont) and only when capitalised, after folding accents.
Names that are also common words or rivers ("Nord", "Loire", "Orange", "Sens") need more evidence, and generic
QPV names ("Centre-ville", "Quartier Nord") are never assigned from their name alone: 33 QPV are called
"Centre Ville".
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .matching import fold
from .thesaurus import DATA_DIR, Vocabulary

DEFAULT_QPV = DATA_DIR / "qpv_2024.csv"
FIELD_WEIGHTS = {"title": 3.0, "summary": 2.0, "body": 1.0}

_WORD = re.compile(r"[^\W_]+")
_SPLIT = re.compile(r"([^\W_]+)")  # words kept, with the separators between them
_fold_plain = fold.__wrapped__  # uncached: a joined page would only evict the small cache's useful entries
_QPV_CODE = re.compile(r"\bQN[0-9][0-9AB][0-9]{3,4}[A-Z]\b")
_BRACKET_CODE = re.compile(r"\(\s*(2[AB]|9[78][0-9]|[0-9]{2})\s*\)")
_SENTENCE_END = re.compile(r"[.!?:;\n•–—]\s*$")
_INNER_SEPARATOR = re.compile(r"^(?:\s+|\s*-\s*|'|\u2019)$")

ARTICLES = frozenset({"le", "la", "les", "l"})
# Words that make a QPV name generic when it is made of nothing else.
GENERIC = frozenset("""centre ville coeur quartier quartiers nord sud est ouest gare haut hauts bas ancien
historique parc plateau mail bourg village cite cites zup zus secteur le la les l de du des d et sur
residence residences grand grande grands grandes petit petite vieux vieille nouveau neuf""".split())
# Department names that are also rivers, mountains, common words or parts of region names: they count only
# with their code in brackets or after "département".
AMBIGUOUS_DEPARTMENTS = frozenset("""Nord Cher Manche Lot Ain Allier Creuse Vienne Loire Rhône Marne Somme Aube
Cantal Calvados Landes Savoie Jura Vosges Meuse Moselle Indre Orne Eure Corse Var Gard Tarn Gers Oise Aisne
Charente Dordogne Aude""".split())
# Commune names that are also common or English words: never taken at the start of a sentence or title.
COMMON_WORD_COMMUNES = frozenset("""Avion Avon Apt Croix Drap Fontaine Gap Gray Hem Lens Loos Lure Marly Marquise
Orange Plaisir Sens Vienne Valence Ifs Muret Vannes Sceaux Sedan Flers Cluses Thiers Tours Nice Mende Vicq Sada
Dole Bron Limas Vernon Laval Toul Royan Saintes Moulins Noyon Pertuis Loos Privas Dax Pau Hyères Rochefort
Clermont Massy Melun Limay Auch Foix Gien Flers""".split())
DEPARTMENT_CUES = ("departement", "departements")
QPV_CUES = frozenset({"quartier", "quartiers", "qpv", "cite", "residence"})


@dataclass(frozen=True)
class Qpv:
    code: str
    name: str
    communes: tuple[tuple[str, str], ...]  # (INSEE code, name)

    @property
    def departments(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(department_of(insee) for insee, _ in self.communes))


def department_of(insee: str) -> str:
    return insee[:3] if insee.startswith("97") else insee[:2]


@dataclass
class Territory:
    departments: list[str] = field(default_factory=list)  # codes, strongest evidence first
    qpvs: list[str] = field(default_factory=list)  # QPV codes
    communes: list[str] = field(default_factory=list)  # INSEE codes of unambiguous communes
    explanation: list[dict] = field(default_factory=list)  # [{"kind", "value", "label", "signals": [...]}]


class _Tokens:
    """The words of a text and the separators between them, from one ``re.split`` (C): ``pieces`` alternates
    separator, word, separator…, so word k is ``pieces[2k + 1]`` and the text before it ``pieces[2k]``. Nothing
    is built per word in Python but the folded forms and the positions where a name may start: a page has
    thousands of words and the tagging budget is 5 ms."""

    __slots__ = ("pieces", "words", "folded", "starts")

    def __init__(self, text: str):
        self.pieces = _SPLIT.split(text)
        self.words = words = self.pieces[1::2]
        # One fold of the joined words instead of one per word: folding keeps a word a word (no spaces appear).
        folded = _fold_plain(" ".join(words)).split(" ") if words else []
        self.folded = folded if len(folded) == len(words) else [fold(w) for w in words]
        # A name starts with a capital, or with an article before one ("la Grande Borne").
        capitals = [i for i, w in enumerate(words) if w[0].isupper()]
        articles = [i - 1 for i in capitals if i and self.folded[i - 1] in ARTICLES]
        self.starts = sorted(set(capitals).union(articles)) if articles else capitals

    def __len__(self) -> int:
        return len(self.words)

    def capital(self, i: int) -> bool:
        return self.words[i][0].isupper()

    def separator(self, i: int) -> str:
        """The text between word i - 1 and word i (before the first word when i = 0, after the last when i = len)."""
        return self.pieces[2 * i]

    def surface(self, i: int, j: int) -> str:
        """Words i to j - 1 as written, with what separates them."""
        return "".join(self.pieces[2 * i + 1:2 * j])

    def preceded_by(self, i: int, words: frozenset | tuple) -> bool:
        """One of ``words`` among the three words before word i ("quartier de la Grande Borne")."""
        return any(w in words for w in self.folded[max(0, i - 3):i])


def _tokens(text: str) -> _Tokens:
    return _Tokens(text)


def _key(name: str) -> tuple[str, ...]:
    return tuple(fold(w) for w in _WORD.findall(name))


class _NameIndex:
    """Names as folded word sequences, looked up by their first word; matches respect hyphenated compounds."""

    def __init__(self) -> None:
        # first word → {length → {key → values}}: one dict lookup per length, longest first, instead of comparing
        # every name that starts with "la" or "saint" (the tagging-speed budget is 5 ms per page).
        self._by_first: dict[str, dict[int, dict[tuple[str, ...], list]]] = defaultdict(dict)

    def add(self, key: tuple[str, ...], value: object) -> None:
        if not key:
            return
        by_length = self._by_first[key[0]]
        values = by_length.setdefault(len(key), {}).setdefault(key, [])
        values.append(value)  # four QPV are called "Bellevue": one key, every value
        self._by_first[key[0]] = dict(sorted(by_length.items(), reverse=True))

    def find(self, tokens: _Tokens):
        """(start token, end token, values) of every capitalised, whole-compound occurrence, longest first."""
        resume = 0  # "La Grande Borne" is one occurrence, not also "Grande Borne"
        folded, count = tokens.folded, len(tokens)
        by_first = self._by_first
        for i in tokens.starts:
            if i < resume:
                continue
            lengths = by_first.get(folded[i])
            if not lengths:
                continue
            for n, keys in lengths.items():
                values = keys.get(tuple(folded[i:i + n]))
                if values is None:
                    continue
                # The first significant word must be a capitalised proper noun ("des Minguettes", "Bobigny").
                lead = next((k for k in range(i, i + n) if folded[k] not in ARTICLES), i)
                if not tokens.capital(lead):
                    continue
                if any(not _INNER_SEPARATOR.match(tokens.separator(k)) for k in range(i + 1, i + n)):
                    continue
                before = tokens.separator(i) if i else ""
                after = tokens.separator(i + n) if i + n < count else ""
                # "Auvergne-Rhône-Alpes" does not name the Rhône; " - " between QPV names is a list separator.
                if (before.endswith("-") and not before.endswith(" - ")) or \
                        (after.startswith("-") and not after.startswith(" - ")):
                    continue
                resume = i + n
                yield i, i + n, values
                break


class TerritoryFinder:
    max_departments = 8  # beyond this a document is national: listing every place named is noise
    max_qpvs = 10

    def __init__(self, vocabulary: Vocabulary, qpv_path: Path = DEFAULT_QPV):
        self.department_names: dict[str, str] = dict(vocabulary.departments)
        for territory in vocabulary.territories.values():
            self.department_names.setdefault(territory.code, territory.name)
        self.qpvs: dict[str, Qpv] = {}
        self.commune_names: dict[str, str] = {}
        self._departments = _NameIndex()
        self._communes = _NameIndex()
        self._qpv_names = _NameIndex()
        self._commune_codes: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for code, name in self.department_names.items():
            self._departments.add(_key(name), (code, name))
        with open(qpv_path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                communes = tuple(zip(row["communes_insee"].split(";"), row["communes"].split(";"), strict=False))
                qpv = Qpv(row["code_qpv"], row["nom_qpv"], communes)
                self.qpvs[qpv.code] = qpv
                for insee, cname in communes:
                    self.commune_names[insee] = cname
                    self._commune_codes[_key(cname)].add(insee)
                self._add_qpv_names(qpv)
        for key, codes in self._commune_codes.items():
            self._communes.add(key, frozenset(codes))

    def _add_qpv_names(self, qpv: Qpv) -> None:
        # "La Plaine - La Forge - Guynemer" lists several quartiers: each part is a name that needs its commune.
        parts = [p for p in re.split(r"\s+-\s+|\s*/\s*", qpv.name) if p.strip()]
        names = [(qpv.name, False)] + [(p, True) for p in parts if len(parts) > 1]
        for name, partial in names:
            key = _key(name)
            stripped = key[1:] if key and key[0] in ARTICLES else key
            if not stripped or all(w in GENERIC or len(w) < 2 for w in stripped):
                continue  # generic: only its code can name it
            for variant in {key, stripped}:
                self._qpv_names.add(variant, (qpv.code, len(stripped), partial))

    # -- finding ------------------------------------------------------------------------------------------

    def find(self, fields: list[tuple[str, str]], language: str | None = None) -> Territory:
        """``fields``: (field name, text) pairs, e.g. title, summary, body. In a text known not to be French,
        commune names that are also English words ("Nice", "Orange", "Gap") are not taken."""
        french = not language or language.lower().startswith("fr")
        evidence: dict[tuple[str, str], dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
        qpv_candidates: list[tuple[str, str, set[str], bool, bool]] = []  # field, name, codes, partial, cued
        named_communes: set[str] = set()

        def note(kind: str, value: str, signal: str, fld: str) -> None:
            evidence[(kind, value)][(signal, fld)] += 1

        for fld, text in fields:
            if not text or not text.strip():
                continue
            tokens = _tokens(text)
            for m in _QPV_CODE.finditer(text) if "QN" in text else ():  # the test spares a regex scan of the page
                if m.group() in self.qpvs:
                    note("qpv", m.group(), m.group(), fld)
            for i, j, values in self._departments.find(tokens):
                code, name = values[0]
                if name in AMBIGUOUS_DEPARTMENTS and not (tokens.preceded_by(i, DEPARTMENT_CUES)
                                                          or self._bracket(tokens, j, code)):
                    continue
                note("department", code, name, fld)
            for m in _BRACKET_CODE.finditer(text):
                code = m.group(1)
                prefix = text[:m.start()].rstrip()
                word = _WORD.findall(prefix[-60:])
                if code in self.department_names and word and word[-1][0].isupper():
                    note("department", code, f"({code})", fld)
            for i, j, values in self._communes.find(tokens):
                codes = values[0]
                surface = tokens.surface(i, j)
                if surface in COMMON_WORD_COMMUNES and (not french or i == 0
                                                        or _SENTENCE_END.search(tokens.separator(i))):
                    continue
                named_communes |= codes
                if len(codes) == 1:  # "Saint-Denis" is in 93 and in La Réunion: no department from it alone
                    note("commune", next(iter(codes)), surface, fld)
            for i, j, values in self._qpv_names.find(tokens):
                surface = tokens.surface(i, j)
                cued = tokens.preceded_by(i, QPV_CUES)
                qpv_candidates.append((fld, surface, {v[0] for v in values}, all(v[2] for v in values), cued))
        self._resolve_qpvs(qpv_candidates, named_communes, note)
        for (kind, value), _signals in list(evidence.items()):
            if kind == "commune":
                note("department", department_of(value), self.commune_names.get(value, value), "commune")
            if kind == "qpv":
                for dep in self.qpvs[value].departments:
                    note("department", dep, value, "qpv")
        return self._territory(evidence)

    @staticmethod
    def _bracket(tokens: _Tokens, j: int, code: str) -> bool:
        """The department's code in brackets right after its name (word j - 1): "Nord (59)"."""
        after = "".join(tokens.pieces[2 * j:2 * j + 3])  # separator, next word (the code), separator
        m = _BRACKET_CODE.match(after) or _BRACKET_CODE.match(after, 1)
        return bool(m and m.group(1) == code)

    def _resolve_qpvs(self, candidates, named_communes: set[str], note) -> None:
        # Group the occurrences of one surface name: "Bellevue" may be four QPV, resolved by the commune named.
        by_name: dict[tuple[str, ...], set[str]] = defaultdict(set)
        seen: dict[tuple[str, ...], list[tuple[str, str, bool, bool]]] = defaultdict(list)
        for fld, surface, codes, partial, cued in candidates:
            key = _key(surface)
            by_name[key] |= codes
            seen[key].append((fld, surface, partial, cued))
        for key, codes in by_name.items():
            in_commune = {c for c in codes if any(insee in named_communes for insee, _ in self.qpvs[c].communes)}
            occurrences = seen[key]
            single_word = len([w for w in key if w not in ARTICLES]) == 1
            partial = all(o[2] for o in occurrences)
            cued = any(o[3] for o in occurrences)
            if len(in_commune) == 1:
                chosen = in_commune
            elif len(codes) == 1 and not partial and (not single_word or cued):
                chosen = codes
            else:
                continue
            code = next(iter(chosen))
            for fld, surface, _partial, _cued in occurrences:
                note("qpv", code, surface, fld)

    def _territory(self, evidence) -> Territory:
        def weight(signals: dict[tuple[str, str], int]) -> float:
            return sum(FIELD_WEIGHTS.get(fld, 1.0) * n for (_s, fld), n in signals.items())

        out = Territory()
        ranked = sorted(evidence.items(), key=lambda kv: (-weight(kv[1]), kv[0]))
        for (kind, value), signals in ranked:
            if kind == "department":
                if len(out.departments) >= self.max_departments:
                    continue
                out.departments.append(value)
                label = self.department_names.get(value, value)
            elif kind == "qpv":
                if len(out.qpvs) >= self.max_qpvs:
                    continue
                out.qpvs.append(value)
                label = self.qpvs[value].name
            else:
                out.communes.append(value)
                label = self.commune_names.get(value, value)
            out.explanation.append({"kind": kind, "value": value, "label": label,
                                    "signals": [{"signal": s, "field": f, "count": n}
                                                for (s, f), n in signals.items()]})
        kept = {("department", d) for d in out.departments} | {("qpv", q) for q in out.qpvs}
        out.explanation = [e for e in out.explanation if e["kind"] == "commune" or (e["kind"], e["value"]) in kept]
        return out


@lru_cache(maxsize=1)
def qpv_names(path: Path = DEFAULT_QPV) -> dict[str, str]:
    """QPV code → name, for labels (pages, facets) without building a whole finder."""
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["code_qpv"]: row["nom_qpv"] for row in csv.DictReader(fh)}
