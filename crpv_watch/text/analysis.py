"""The French analyzer, shared by the index and the tagger: small Whoosh filters, and the same fused in one pass.

tokenize → lower case → drop elisions (l' d' qu'…, straight or typographic apostrophe) → stop words →
accent folding → Snowball French stemming.

Folding comes *before* stemming: people type without accents, and with Whoosh's Snowball French stemmer
stemming first splits activité/activite, sécurité/securite, égalité/egalite (see the pairs table in
tests/test_analysis.py and ../shared/notes/whoosh-measurements.md).

``filter_chain`` spells the chain out as Whoosh filters; ``FrenchAnalyzer`` (what ``french_analyzer`` gives the
schema, the query parser, the highlighter and the tagger) does the same in one pass with a per-word cache, about
3× faster, and is checked token for token against the chain (tests/test_analysis_fused.py).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from functools import lru_cache

from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Tokenizer,
)
from whoosh.analysis.acore import Token
from whoosh.lang.snowball.french import FrenchStemmer
from whoosh.support.charset import accent_map

# Words of at least one letter or digit, keeping inner hyphens and apostrophes so the elision filter sees them.
TOKEN_PATTERN = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)
ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu|presqu)['’]", re.IGNORECASE)

# Whoosh's French list lacks "les" and "cette"; keep it short and explicit.
FRENCH_STOP_WORDS = frozenset(
    """
    a à au aux avec ce ces cette cet dans de des du elle en et eux il ils je la le les leur leurs lui ma mais me
    même mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un
    une vos votre vous y été être avoir est sont était ont sa sans sous entre vers chez dont où
    """.split()
)


# Stop words that are also nouns of the field. The search chain keeps them where they are nouns: « été » is the
# summer (Quartiers d'été, l'été, cet été) except right after a form of avoir ("a été", "n'a pas été", "ont déjà
# été"); inside a hyphenated word "être" and "est" are nouns too (bien-être, nord-est). The tagger's chain keeps
# the plain list: it matches keywords word by word, without the context this needs.
SUMMER = frozenset({"été", "ete"})
AVOIR_FORMS = frozenset(
    "a ai as avons avez ont avait avais avions aviez avaient aura auras aurons aurez auront aurait aurais "
    "aurions auriez auraient ayant avoir eu".split()
)
AVOIR_WINDOW = 3  # words between the auxiliary and the participle: "n'a pas été", "ont d'ailleurs été"
COMPOUND_NOUNS = frozenset({"été", "être", "est"})


class ElisionFilter(Filter):
    """Removes French elided articles and pronouns: l'habitant → habitant, qu'il → il.

    The typographic apostrophe is made straight first, so aujourd’hui and aujourd'hui are one term.
    """

    def __call__(self, tokens):
        for t in tokens:
            t.text = ELISION.sub("", t.text.replace("’", "'"))
            if t.text:
                yield t


class FieldStopFilter(Filter):
    """The stop filter of the search chain: ``stoplist`` removed, and « été » removed only as a participle.

    Same contract as Whoosh's StopFilter (positions renumbered over the kept words, stop words yielded marked
    ``stopped`` when the caller keeps them), with one word of context.
    """

    def __init__(self, stoplist=frozenset()):
        self.stoplist = frozenset(stoplist) - SUMMER

    def __eq__(self, other):
        return type(other) is type(self) and other.stoplist == self.stoplist

    def __call__(self, tokens):
        recent: deque[str] = deque(maxlen=AVOIR_WINDOW)
        pos = None
        for t in tokens:
            text = t.text
            stop = text in self.stoplist or (text in SUMMER and not AVOIR_FORMS.isdisjoint(recent))
            recent.append(text)
            if not stop:
                if t.positions:
                    pos = t.pos if pos is None else pos + 1
                    t.pos = pos
                t.stopped = False
                yield t
            elif not t.removestops:
                t.stopped = True
                yield t


class HyphenSplitFilter(Filter):
    """Keeps a hyphenated word whole (tiers-lieu) and also yields its parts, so both forms match.

    When indexing, the whole word (tierslieu) shares the position of the first part and the parts (tiers,
    lieu) take consecutive positions, the words after them shifted along: a phrase "maire vingt-deux
    propositions" then matches as typed, and "tiers lieu" matches "tiers-lieu". A query yields only the
    parts: "tiers-lieu" must find documents that write "tiers lieu", which hold the parts but not the whole
    word. Runs after the stop filter (which numbers positions), so it drops stop-word parts itself.
    """

    def __init__(self, stoplist=frozenset()):
        self.stoplist = stoplist

    def __call__(self, tokens):
        shift = 0
        for t in tokens:
            positions = getattr(t, "positions", False)
            if positions:
                t.pos += shift
            if "-" not in t.text:
                yield t
                continue
            text = t.text
            chars = getattr(t, "chars", False)
            start = t.startchar if chars else 0
            first_pos = t.pos if positions else 0
            if t.mode != "query":
                t.text = text.replace("-", "")
                yield t
            offset = 0
            n = 0
            for part in text.split("-"):
                if part and part not in self.stoplist:
                    t.text = part
                    if positions:
                        t.pos = first_pos + n
                    if chars:
                        t.startchar = start + offset
                        t.endchar = t.startchar + len(part)
                    n += 1
                    yield t
                offset += len(part) + 1
            shift += max(n - 1, 0)


_stemmer = FrenchStemmer()


@lru_cache(maxsize=200_000)
def stem_word(word: str) -> str:
    """Snowball French, plus plurals it leaves alone: -eux/-oux (lieux, jeux → lieu, jeu) and -ais/-ois
    (emplois, lois, essais → emploi, loi, essai; Snowball keeps an "s" that follows a vowel).

    Applied to the stem, not the word, so heureux/heureuse (both stemmed "heureux") stay together.
    """
    stem = _stemmer.stem(word)
    if stem.endswith(("eux", "oux", "ais", "ois")):
        stem = stem[:-1]
    return stem


def filter_chain(stem: bool = True, field_nouns: bool = False):
    """The analysis chain as small Whoosh filters: the reference ``FrenchAnalyzer`` reproduces, and what it
    falls back to for the calls it does not fuse (stop words kept, no tokenizing, original text kept)."""
    if field_nouns:
        stops: Filter = FieldStopFilter(FRENCH_STOP_WORDS)
        parts = HyphenSplitFilter(FRENCH_STOP_WORDS - COMPOUND_NOUNS)
    else:
        stops, parts = StopFilter(stoplist=FRENCH_STOP_WORDS, minsize=1), HyphenSplitFilter(FRENCH_STOP_WORDS)
    chain = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | ElisionFilter() | stops | parts \
        | CharsetFilter(accent_map)
    if stem:
        chain = chain | StemFilter(stemfn=stem_word, cachesize=-1)
    return chain


# Analysed words remembered per analyzer: French text repeats its words (a few thousand make most of a text), so
# most words are analysed once per process. Emptied when full, to bound memory on a long tail of names.
WORD_CACHE_SIZE = 300_000


class FrenchAnalyzer(Tokenizer):
    """``filter_chain`` fused into one pass: the same terms, positions and character offsets, without a token
    object going through seven generators per word (which made the analysis ~half of indexing).

    Each distinct word's analysis (lower case, elision, stop word, hyphen parts, folding, stemming) is computed
    once and cached; only what depends on the neighbours is done per occurrence: positions (renumbered over the
    kept words, hyphen parts shifting the words after them) and « été » after a form of avoir. Calls the fused
    path does not cover (stop words kept, ``tokenize=False``, original text kept) go to ``filter_chain``.
    tests/test_analysis_fused.py compares both on real texts.
    """

    def __init__(self, stem: bool = True, field_nouns: bool = False):
        self.stem = stem
        self.field_nouns = field_nouns
        self._setup()

    def _setup(self) -> None:
        if self.field_nouns:
            self._stops, self._part_stops = FRENCH_STOP_WORDS - SUMMER, FRENCH_STOP_WORDS - COMPOUND_NOUNS
        else:
            self._stops, self._part_stops = FRENCH_STOP_WORDS, FRENCH_STOP_WORDS
        self._cache: dict[str, tuple | None] = {}
        self._chain = None

    def __getstate__(self):  # Whoosh pickles the schema: the cache and the chain are rebuilt on loading
        return {"stem": self.stem, "field_nouns": self.field_nouns}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._setup()

    def __eq__(self, other):
        return type(other) is type(self) and (other.stem, other.field_nouns) == (self.stem, self.field_nouns)

    def __hash__(self):
        return hash((type(self), self.stem, self.field_nouns))

    def chain(self):
        if self._chain is None:
            self._chain = filter_chain(self.stem, self.field_nouns)
        return self._chain

    def _term(self, word: str) -> str:
        word = word.translate(accent_map)
        return stem_word(word) if self.stem else word

    def _analyse(self, raw: str) -> tuple | None:
        """(elided word, stop word?, term of the whole word, hyphen parts as (term, offset, length) or None)."""
        word = ELISION.sub("", raw.lower().replace("’", "'"))
        if not word:
            return None
        parts = None
        if "-" in word:
            parts, offset = [], 0
            for part in word.split("-"):
                if part and part not in self._part_stops:
                    parts.append((self._term(part), offset, len(part)))
                offset += len(part) + 1
            parts = tuple(parts)
        return word, word in self._stops, self._term(word.replace("-", "")), parts

    def _kept(self, words: Iterable[str]) -> Iterator[tuple[int, str, tuple | None]]:
        """(index among ``words``, term of the whole word, hyphen parts) of each word the analysis keeps: the
        per-word cache and the stop words, « été » after a form of avoir included. What depends on the neighbours
        beyond that (positions) is the callers'."""
        cache, analyse = self._cache, self._analyse
        field_nouns = self.field_nouns
        recent: deque[str] = deque(maxlen=AVOIR_WINDOW)
        for n, raw in enumerate(words):
            try:
                entry = cache[raw]
            except KeyError:
                if len(cache) >= WORD_CACHE_SIZE:
                    cache.clear()
                entry = cache[raw] = analyse(raw)
            if entry is None:
                continue
            word, stop, whole, parts = entry
            if field_nouns:
                if not stop and word in SUMMER:
                    stop = not AVOIR_FORMS.isdisjoint(recent)
                recent.append(word)
            if not stop:
                yield n, whole, parts

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True, start_pos=0,
                 start_char=0, tokenize=True, mode="", **kwargs):
        if keeporiginal or not removestops or not tokenize:
            yield from self.chain()(value, positions=positions, chars=chars, keeporiginal=keeporiginal,
                                    removestops=removestops, start_pos=start_pos, start_char=start_char,
                                    tokenize=tokenize, mode=mode, **kwargs)
            return
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.boost, t.stopped = 1.0, False
        index_mode = mode != "query"
        if chars:
            matches = list(TOKEN_PATTERN.finditer(value))
            words = [match.group() for match in matches]
        else:
            words = TOKEN_PATTERN.findall(value)
        pos = None  # the position of the last kept word, before hyphen parts shift it
        shift = 0
        for n, whole, parts in self._kept(words):
            if positions:
                pos = start_pos + n if pos is None else pos + 1
                t.pos = pos + shift
            if chars:
                match = matches[n]
                t.startchar, t.endchar = start_char + match.start(), start_char + match.end()
            if parts is None:
                t.text = whole
                yield t
                continue
            if index_mode:
                t.text = whole
                yield t
            first_pos, start = (t.pos if positions else 0), (t.startchar if chars else 0)
            for i, (term, offset, length) in enumerate(parts):
                t.text = term
                if positions:
                    t.pos = first_pos + i
                if chars:
                    t.startchar = start + offset
                    t.endchar = t.startchar + length
                yield t
            shift += max(len(parts) - 1, 0)

    def positions_by_word(self, value: str) -> dict[str, list[int]]:
        """Each indexed term of ``value`` with its positions, in order of first occurrence: what
        ``self(value, positions=True, mode="index")`` yields, grouped by text (what Whoosh's ``Positions`` format
        builds from the tokens), without a token object and its generator steps per word. Indexing calls this
        once per text field of every document (search/positions.py); tests/test_analysis_fused.py holds it to the
        tokens."""
        out: dict[str, list[int]] = {}
        pos = None
        shift = 0
        for n, whole, parts in self._kept(TOKEN_PATTERN.findall(value)):
            pos = n if pos is None else pos + 1
            at = pos + shift
            found = out.get(whole)
            if found is None:
                out[whole] = [at]
            else:
                found.append(at)
            if parts is None:
                continue
            for i, (term, _offset, _length) in enumerate(parts):
                found = out.get(term)
                if found is None:
                    out[term] = [at + i]
                else:
                    found.append(at + i)
            shift += max(len(parts) - 1, 0)
        return out


def french_analyzer(stem: bool = True, field_nouns: bool = False) -> FrenchAnalyzer:
    """The analyzer of the text fields. ``stem=False`` gives the exact-words chain of the title field;
    ``field_nouns=True`` keeps the stop words that are nouns of the field (the search index's chain).

    A Whoosh tokenizer, so another field can build on it (``french_analyzer() | SomeFilter()``)."""
    return FrenchAnalyzer(stem=stem, field_nouns=field_nouns)


_default = french_analyzer()


def analyze_terms(text: str, stem: bool = True) -> list[str]:
    """The index terms of ``text``, in order: what the tagger matches keywords with."""
    analyzer = _default if stem else french_analyzer(stem=False)
    return [t.text for t in analyzer(text)]
