"""From what a person typed to a Whoosh query: the small query language of the search box.

    renouvellement urbain        every word required first; when they are few, documents with some of the words
                                 follow (search/engine.py)
    "conseil citoyen"  « … »     a phrase (stop words and plurals aside) first, then its words apart
    exact:"conseil citoyen"      only the phrase (also exactement:); exact:mot: no automatic variant
    -copropriété   NOT x  SAUF x exclusion
    emploi OR insertion   OU     either; AND / ET explicit; parentheses group
    titre:jardin  titre:"…"      in the title only (also résumé:, texte:)
    theme:sante  centre:…  type:guide  region:… departement:93 qpv:… annee:2024 langue:fr pilier:…
                                 facet filters; values are ids, or a label's words (theme:logement)
    renouv*   mediatrise~        prefix; fuzzy (one edit, ``~2`` for two)

Acronyms of the thesaurus and their expansions find each other (ASV ↔ atelier santé ville). A rare or unknown
word also matches its closest more frequent indexed forms (search/variants.py). Operators are
upper case only: lower-case "et"/"ou" are words (stop words). French text is full of apostrophes and colons
("l'habitant", "Politique de la ville : bilan"), so a colon only makes a field when a known name is glued to a
value. Parsing never raises: on any trouble the query falls back to its plain words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from whoosh import query
from whoosh.query import ConstantScoreQuery

from ..text.analysis import french_analyzer, stem_word
from .schema import FACET_FIELDS, STEMMED_FIELDS, TEXT_FIELDS
from .synonyms import Synonyms, fold, terms
from .variants import variant_query

# The words of a query when its syntax is given up: quotes, parentheses and operators dropped.
_PLAIN_WORDS = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "ET", "OU", "SAUF"}
OR_WORDS = {"OR", "OU"}
AND_WORDS = {"AND", "ET"}
NOT_WORDS = {"NOT", "SAUF"}

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<lpar>\() | (?P<rpar>\)) |
      (?P<neg>-(?=[^\s\-]))?
      (?:(?P<field>[^\W\d_]+):(?=["«“\w]))?
      (?:["«“](?P<phrase>[^"»”]*)["»”] | (?P<word>[^\s()"«»“”]+))
      | (?P<stray>["«»“”])
    )""",
    re.VERBOSE | re.UNICODE,
)

TITLE_FIELDS = {"title": TEXT_FIELDS["title"], "title_exact": TEXT_FIELDS["title_exact"]}
TEXT_PREFIXES = {
    "titre": TITLE_FIELDS, "title": TITLE_FIELDS,
    "resume": {"summary": TEXT_FIELDS["summary"]}, "summary": {"summary": TEXT_FIELDS["summary"]},
    "texte": {"body": TEXT_FIELDS["body"], "credits": TEXT_FIELDS["credits"]},
    "text": {"body": TEXT_FIELDS["body"], "credits": TEXT_FIELDS["credits"]},
}
FACET_PREFIXES = {
    "theme": "theme", "thematique": "theme", "centre": "centre", "source": "centre", "type": "type",
    "region": "region", "departement": "department", "dept": "department", "qpv": "qpv", "annee": "year",
    "year": "year", "langue": "language", "lang": "language", "language": "language", "pilier": "pillar",
    "pillar": "pillar",
}
EXACT_PREFIXES = {"exact", "exacte", "exactement"}

_unstemmed = french_analyzer(stem=False, field_nouns=True)


@dataclass
class QueryContext:
    """What parsing needs besides the schema: synonyms, and the facet values present (with their labels)."""

    synonyms: Synonyms | None = None
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # facet → {value id: label}
    # Typed word → stems of its closest more frequent indexed forms (search/variants.py); None: no variants.
    variants: Callable[[str], tuple[str, ...]] | None = None

    def resolve(self, facet: str, raw: str) -> list[str]:
        """The facet ids a typed value names: the id itself, else values whose id or label words hold it."""
        known = self.values.get(facet, {})
        if raw in known:
            return [raw]
        wanted = fold(raw)
        if not wanted:
            return []
        exact = [v for v, label in known.items() if wanted in (fold(v), fold(label))]
        if exact:
            return exact
        words = set(wanted.split("_"))
        return sorted(v for v, label in known.items()
                      if words <= set(fold(v).split("_")) | set(fold(label).split("_")))


@dataclass
class _Item:
    node: query.Query | None
    negated: bool = False
    word: str | None = None  # a plain, unfielded word: candidate for synonym expansion
    required: bool = False  # a facet filter: stays required when the words are any-word


class _Syntax(Exception):
    pass


class _Parser:
    def __init__(self, text: str, schema, any_word: bool, ctx: QueryContext, relax: bool = False,
                 expanded: dict[str, tuple[str, ...]] | None = None):
        self.schema, self.any_word, self.ctx, self.relax = schema, any_word, ctx, relax
        self.expanded = expanded if expanded is not None else {}
        self.tokens = self._tokenize(text)
        self.pos = 0

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str | None, str]]:
        tokens: list[tuple[str, str | None, str]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                break
            pos = m.end()
            if m["lpar"]:
                tokens.append(("(", None, ""))
            elif m["rpar"]:
                tokens.append((")", None, ""))
            elif m["word"] is not None and not m["neg"] and not m["field"] and m["word"] in _OPERATORS:
                tokens.append(("op", None, m["word"]))
            elif m["phrase"] is not None or m["word"] is not None:
                kind = "phrase" if m["phrase"] is not None else "word"
                tokens.append((("-" if m["neg"] else "") + kind, m["field"], m["phrase"] or m["word"] or ""))
        return tokens

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> query.Query | None:
        node = self.parse_or()
        if self.peek() is not None:
            raise _Syntax("unexpected )")
        return node

    def parse_or(self) -> query.Query | None:
        parts = [self.parse_and()]
        while (tok := self.peek()) and tok[0] == "op" and tok[2] in OR_WORDS:
            self.pos += 1
            parts.append(self.parse_and())
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else query.Or(parts)

    def parse_and(self) -> query.Query | None:
        items: list[_Item] = []
        while (tok := self.peek()) and tok[0] != ")" and not (tok[0] == "op" and tok[2] in OR_WORDS):
            if tok[0] == "op" and tok[2] in AND_WORDS:
                self.pos += 1
                continue
            items.append(self.parse_unary())
        items = self._expand_synonyms(items)
        positives = [i.node for i in items if i.node is not None and not i.negated and not i.required]
        required = [i.node for i in items if i.node is not None and not i.negated and i.required]
        negatives = [i.node for i in items if i.node is not None and i.negated]
        positive = None
        if positives:
            positive = positives[0] if len(positives) == 1 else (query.Or if self.any_word else query.And)(positives)
        if required:
            positive = query.And([*required, positive]) if positive is not None else \
                (required[0] if len(required) == 1 else query.And(required))
        if not negatives:
            return positive
        negative = negatives[0] if len(negatives) == 1 else query.Or(negatives)
        return query.AndNot(positive, negative) if positive is not None else query.Not(negative)

    def parse_unary(self) -> _Item:
        tok = self.peek()
        if tok[0] == "op" and tok[2] in NOT_WORDS:
            self.pos += 1
            if self.peek() is None or self.peek()[0] in (")", "op"):
                return _Item(None)
            inner = self.parse_unary()
            return _Item(inner.node, negated=not inner.negated)
        if tok[0] == "(":
            self.pos += 1
            node = self.parse_or()
            if self.peek() is not None:
                if self.peek()[0] != ")":
                    raise _Syntax("expected )")
                self.pos += 1
            return _Item(node)
        if tok[0] == ")":
            raise _Syntax("unexpected )")
        self.pos += 1
        kind, prefix, text = tok
        negated = kind.startswith("-")
        kind = kind.lstrip("-")
        return self._atom(kind, prefix, text, negated)

    def _atom(self, kind: str, prefix: str | None, text: str, negated: bool) -> _Item:
        name = fold(prefix) if prefix else None
        if name in FACET_PREFIXES:
            return _Item(self._facet(FACET_PREFIXES[name], text), negated, required=True)
        exact = name in EXACT_PREFIXES
        fields = TEXT_PREFIXES.get(name, TEXT_FIELDS) if name and not exact else TEXT_FIELDS
        if name and name not in TEXT_PREFIXES and not exact:  # "ville:bilan", "11h:30": not a field, plain text
            text = f"{prefix} {text}"
            kind = "phrase" if kind == "phrase" else "words"
        if kind == "phrase" and not (self.relax and not exact and not negated):
            return _Item(phrase_query(text, self.schema, fields), negated)
        if kind in ("words", "phrase"):  # a relaxed phrase: its words, anywhere
            nodes = [n for n in (word_query(w, self.schema, fields) for w in _PLAIN_WORDS.findall(text))
                     if n is not None]
            group = query.Or if self.any_word else query.And
            return _Item((nodes[0] if len(nodes) == 1 else group(nodes)) if nodes else None, negated)
        if exact:
            return _Item(word_query(text.strip("*~"), self.schema, fields), negated)
        fuzzy = re.fullmatch(r"(.+?)~([12])?", text)
        if fuzzy and len(fuzzy[1]) >= 3:
            return _Item(fuzzy_query(fuzzy[1], int(fuzzy[2] or 1), self.schema, fields), negated)
        if text.endswith("*") and len(text.rstrip("*")) >= 2:
            return _Item(prefix_query(text.rstrip("*"), self.schema, fields), negated)
        word = text.strip("*~")
        plain = None if (negated or name) else word
        node = word_query(word, self.schema, fields)
        if node is not None and not negated and self.ctx.variants is not None:
            stems = self.ctx.variants(word)
            near = variant_query(stems, fields, STEMMED_FIELDS) if stems else None
            if near is not None:
                self.expanded[word] = stems
                node = query.Or([node, near])
        return _Item(node, negated, plain)

    def _facet(self, facet: str, raw: str) -> query.Query:
        ids = self.ctx.resolve(facet, raw.strip()) or [raw.strip()]
        index_field = FACET_FIELDS[facet]
        terms = [query.Term(index_field, v) for v in ids]
        # Filters select, they do not score: relevance stays with the words.
        return ConstantScoreQuery(terms[0] if len(terms) == 1 else query.Or(terms), score=0.0)

    def _expand_synonyms(self, items: list[_Item]) -> list[_Item]:
        syn = self.ctx.synonyms
        if syn is None or not syn.expansions:
            return items
        out: list[_Item] = []
        i = 0
        while i < len(items):
            item = items[i]
            if item.word is None:
                out.append(item)
                i += 1
                continue
            run_end = i
            while run_end < len(items) and items[run_end].word is not None:
                run_end += 1
            matched = self._expansion_at(items, i, min(run_end, i + syn.longest + 3))
            if matched:
                end, acronyms = matched
                words = [it.node for it in items[i:end] if it.node is not None]
                alternatives = [query.And(words) if len(words) > 1 else words[0]]
                alternatives += [n for n in (word_query(a, self.schema, TEXT_FIELDS) for a in acronyms) if n]
                out.append(_Item(query.Or(alternatives)))
                i = end
                continue
            acronym = syn.acronym(item.word)
            if acronym and item.node is not None:
                phrases = [phrase_query(p, self.schema, TEXT_FIELDS) for p in syn.expansions[acronym]]
                out.append(_Item(query.Or([item.node, *[p for p in phrases if p is not None]])))
            else:
                out.append(item)
            i += 1
        return out

    def _expansion_at(self, items: list[_Item], start: int, stop: int):
        """(end, acronyms) for the longest run of words from ``start`` that spells an expansion."""
        found = None
        key: tuple[str, ...] = ()
        for end in range(start + 1, stop + 1):
            key += terms(items[end - 1].word or "")
            if len(key) >= 2 and key in self.ctx.synonyms.by_terms:
                found = (end, self.ctx.synonyms.by_terms[key])
        return found


def _field_terms(schema, fieldname: str, text: str) -> list[str]:
    return [t.text for t in schema[fieldname].analyzer(text, mode="query")]


def word_query(word: str, schema, fields: dict[str, float]) -> query.Query | None:
    """One typed word in each of ``fields`` (a hyphenated word is its parts, all required)."""
    alternatives = []
    for fieldname, boost in fields.items():
        terms = _field_terms(schema, fieldname, word)
        if not terms:
            continue
        parts = [query.Term(fieldname, t, boost=boost) for t in terms]
        alternatives.append(parts[0] if len(parts) == 1 else query.And(parts))
    if not alternatives:
        return None
    return alternatives[0] if len(alternatives) == 1 else query.Or(alternatives)


def phrase_query(text: str, schema, fields: dict[str, float]) -> query.Query | None:
    alternatives = []
    for fieldname, boost in fields.items():
        terms = _field_terms(schema, fieldname, text)
        if len(terms) == 1:
            alternatives.append(query.Term(fieldname, terms[0], boost=boost))
        elif terms:
            alternatives.append(query.Phrase(fieldname, terms, boost=boost))
    if not alternatives:
        return None
    return alternatives[0] if len(alternatives) == 1 else query.Or(alternatives)


def _folded(word: str) -> str | None:
    terms = [t.text.replace("-", "") for t in _unstemmed(word.replace("-", ""), mode="query")]
    return terms[0] if terms else None


def prefix_query(text: str, schema, fields: dict[str, float]) -> query.Query | None:
    """``renouv*``: unstemmed prefix in the exact title, its stem as a prefix in the stemmed fields."""
    folded = _folded(text)
    if not folded or len(folded) < 2:
        return word_query(text, schema, fields)
    parts = [query.Prefix(f, folded if f not in STEMMED_FIELDS else stem_word(folded), boost=b)
             for f, b in fields.items()]
    return parts[0] if len(parts) == 1 else query.Or(parts)


def fuzzy_query(text: str, maxdist: int, schema, fields: dict[str, float]) -> query.Query | None:
    folded = _folded(text)
    if not folded:
        return None
    # A stem is shorter than the word typed ("insertin" → "insertin", the index holds "insert"): one more edit
    # for long words in the stemmed fields.
    stem_dist = min(2, maxdist + (len(folded) >= 7))
    parts = [query.FuzzyTerm(f, stem_word(folded), boost=b, maxdist=stem_dist, prefixlength=1)
             if f in STEMMED_FIELDS else query.FuzzyTerm(f, folded, boost=b, maxdist=maxdist, prefixlength=1)
             for f, b in fields.items()]
    return parts[0] if len(parts) == 1 else query.Or(parts)


def parse(text: str, schema, any_word: bool = False, context: QueryContext | None = None, relax: bool = False,
          expanded: dict[str, tuple[str, ...]] | None = None) -> query.Query | None:
    """The query for ``text``, or None when nothing searchable is left (empty, or only stop words).

    ``relax``: phrases not marked exact become their words, anywhere in the document. ``expanded`` (when given)
    receives the typed words matched with their closest indexed forms, and those forms' stems.
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        q = _Parser(text, schema, any_word, context or QueryContext(), relax, expanded).parse()
    except Exception:  # any trouble at all: the plain words
        q = plain_query(text, schema, any_word)
    if q is None:
        return None
    q = q.normalize()
    return None if isinstance(q, query.qcore._NullQuery) else q


# Score added to a document tagged with a theme the query names ("inclusion numérique" → numerique_inclusion).
THEME_BOOST = 3.0


def boost_themes(q: query.Query | None, text: str, synonyms: Synonyms | None) -> query.Query | None:
    """``q``, ranking higher (never matching more) the documents tagged with a theme the words name."""
    if q is None or synonyms is None or THEME_BOOST <= 0:
        return q
    try:
        themes = synonyms.themes_named(text)
    except Exception:  # ranking help only
        return q
    if not themes:
        return q
    terms = [query.Term(FACET_FIELDS["theme"], t) for t in sorted(themes)]
    return query.AndMaybe(q, ConstantScoreQuery(terms[0] if len(terms) == 1 else query.Or(terms), score=THEME_BOOST))


def plain_query(text: str, schema, any_word: bool = False) -> query.Query:
    """The words of ``text`` without any syntax, each searched in every text field."""
    words = [w for w in _PLAIN_WORDS.findall(text) if w not in _OPERATORS]
    per_word = [n for n in (word_query(w, schema, TEXT_FIELDS) for w in words) if n is not None]
    if not per_word:
        return query.NullQuery
    return (query.Or if any_word else query.And)(per_word)


def query_words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) of the plain words of ``text`` that a spelling suggestion may replace."""
    out = []
    for m in _TOKEN.finditer(text or ""):
        word = m["word"]
        if word and not m["field"] and not m["neg"] and word not in _OPERATORS and re.fullmatch(r"\w+", word):
            out.append((m.start("word"), m.end("word"), word))
    return out
