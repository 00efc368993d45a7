"""dedup: canonical URLs, text hash, simhash."""

from __future__ import annotations

import pytest

from crpv_watch.text.dedup import canonicalize, hamming, near_duplicate, simhash, text_hash


@pytest.mark.parametrize(("url", "expected"), [
    ("HTTPS://WWW.Example.ORG:443/a/b?x=1#top", "https://www.example.org/a/b?x=1"),
    ("http://example.org:80", "http://example.org/"),
    ("http://example.org:8080/x", "http://example.org:8080/x"),
    ("https://ex.fr/a//b///c/", "https://ex.fr/a/b/c/"),
    ("https://ex.fr/a/b", "https://ex.fr/a/b"),  # trailing slash kept as is, both ways
    ("https://ex.fr/p?utm_source=nl&utm_medium=mail&id=3&fbclid=abc", "https://ex.fr/p?id=3"),
    ("https://ex.fr/p?gclid=1&mc_cid=2&mc_eid=3&xtor=RSS-1&at_medium=x", "https://ex.fr/p"),
    ("https://ex.fr/p?b=2&a=1", "https://ex.fr/p?a=1&b=2"),
    ("https://ex.fr/p?", "https://ex.fr/p"),
    ("https://ex.fr/spip.php?article12&debut=0", "https://ex.fr/spip.php?article12&debut=0"),
    ("https://ex.fr/p?q=%2Fa", "https://ex.fr/p?q=%2Fa"),  # encoding kept: the server may care
])
def test_canonicalize(url, expected):
    assert canonicalize(url) == expected


def test_canonicalize_is_idempotent():
    url = "HTTP://Ex.FR:80//a?z=1&utm_campaign=x&a=2#f"
    assert canonicalize(canonicalize(url)) == canonicalize(url)


def test_text_hash_ignores_case_spacing_and_typography():
    a = "L’appel à projets « Quartiers d’été » est ouvert !\n\nDate limite : 12 mars."
    b = "l'appel à projets \"quartiers d'été\" est   ouvert!  Date limite: 12 mars"
    assert text_hash(a) == text_hash(b)
    assert text_hash(a) != text_hash("L’appel à projets « Quartiers d’hiver » est ouvert !")
    assert len(text_hash("")) == 64


LONG = ("Le contrat de ville engage l'État, les collectivités et les bailleurs sociaux en faveur des quartiers "
        "prioritaires. Il fixe des objectifs de cohésion sociale, de cadre de vie et de renouvellement urbain, "
        "de développement économique et d'emploi. Les conseils citoyens participent à son pilotage et à son "
        "évaluation, avec l'appui du centre de ressources politique de la ville de la région. ") * 3


def test_simhash_is_63_bit_and_stable():
    h = simhash(LONG)
    assert 0 <= h < 2 ** 63
    assert h == simhash(LONG)
    assert simhash("") == 0


def test_near_duplicate_detects_small_edits_only():
    edited = LONG.replace("la région", "la région Île-de-France") + " Mis à jour le 3 avril."
    other = ("La gestion urbaine de proximité associe les habitants au diagnostic en marchant, puis à la "
             "programmation des travaux d'amélioration des espaces publics et des halls d'immeubles. ") * 4
    assert hamming(simhash(LONG), simhash(edited)) <= 10
    assert near_duplicate(simhash(LONG), simhash(LONG))
    assert near_duplicate(simhash(LONG), simhash(edited), max_distance=10)
    assert not near_duplicate(simhash(LONG), simhash(other))
