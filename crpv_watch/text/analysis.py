"""The French analyzer, shared by the index and the tagger, built from small Whoosh filters.

tokenize → lower case → drop elisions (l' d' qu'…, straight or typographic apostrophe) → stop words →
accent folding → Snowball French stemming.

Folding comes *before* stemming: people type without accents, and with Whoosh's Snowball French stemmer
stemming first splits activité/activite, sécurité/securite, égalité/egalite (see the pairs table in
tests/test_analysis.py and ../shared/notes/whoosh-measurements.md).
"""

from __future__ import annotations

import re
from collections import deque
from functools import lru_cache

from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
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


def french_analyzer(stem: bool = True, field_nouns: bool = False):
    """The analysis chain of the text fields. ``stem=False`` gives the exact-words chain of the title field;
    ``field_nouns=True`` keeps the stop words that are nouns of the field (the search index's chain)."""
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


_default = french_analyzer()


def analyze_terms(text: str, stem: bool = True) -> list[str]:
    """The index terms of ``text``, in order: what the tagger matches keywords with."""
    analyzer = _default if stem else french_analyzer(stem=False)
    return [t.text for t in analyzer(text)]
