"""SearchEngine over ~30 hand-made documents: expected totals and facet counts come from a plain Python
reference over the same documents, so every number checked is computed independently of Whoosh."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest

from crpv_watch.items import IndexDocument
from crpv_watch.search import generations
from crpv_watch.search.engine import OR_NOTICE, IndexBusyError, IndexNeedsRebuildError, SearchEngine
from crpv_watch.search.types import SearchRequest

THEMES = ["emploi", "sante", "education", "habitat"]
CENTRES = {"crpv-a": ["11"], "crpv-b": ["84", "01"], "crpv-c": ["93"]}
TYPES = ["actualite", "etude", "guide"]
N = 30


def make_doc(i: int) -> IndexDocument:
    themes = [THEMES[i % 4]] + ([THEMES[(i + 1) % 4]] if i % 5 == 0 else [])
    centre = list(CENTRES)[i % 3]
    words = ["Document", str(i), "sur la politique de la ville."]
    if i % 2 == 0:
        words.append("Un jardin partagé au pied des immeubles.")
    if i % 3 == 0:
        words.append("Le potager pédagogique.")
    return IndexDocument(
        id=f"d{i}",
        url=f"https://example.org/doc/{i}",
        title=f"Fiche {i}",
        text=" ".join(words),
        summary=f"Résumé de la fiche {i}.",
        centre=centre,
        region=list(CENTRES[centre]),
        themes=themes,
        doctype=TYPES[i % 3],
        published=None if i % 10 == 9 else dt.date(2021 + i % 4, 1 + i % 12, 1 + i % 28),
        first_seen=dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=i),
        found_at=[{"url": f"https://example.org/doc/{i}", "centre": centre}],
    )


DOCS = [make_doc(i) for i in range(N)]


def has_jardin(d: IndexDocument) -> bool:
    return "jardin" in d.text


def has_potager(d: IndexDocument) -> bool:
    return "potager" in d.text


def ref_counts(docs, facet: str) -> Counter:
    counts: Counter = Counter()
    for d in docs:
        if facet == "theme":
            counts.update(d.themes)
        elif facet == "centre":
            counts[d.centre] += 1
        elif facet == "region":
            counts.update(d.region)
        elif facet == "type":
            counts[d.doctype] += 1
        elif facet == "year" and d.published:
            counts[str(d.published.year)] += 1
    return counts


def got_counts(response, facet: str) -> Counter:
    return Counter({f.value: f.count for f in response.facets[facet] if f.count})


def newest_first(docs):
    return sorted(docs, key=lambda d: (d.published or dt.date.min, d.first_seen), reverse=True)


@pytest.fixture
def texts():
    return {d.id: d.text for d in DOCS}


@pytest.fixture
def engine(tmp_path, texts):
    engine = SearchEngine(tmp_path / "index", text_for=lambda ids: {i: texts[i] for i in ids if i in texts})
    assert engine.index(DOCS) == N
    yield engine
    engine.close()


def ids(response) -> list[str]:
    return [hit.id for hit in response.results]


def test_count_and_browse_newest_first(engine):
    assert engine.count() == N
    response = engine.search(SearchRequest(per_page=100))
    assert response.total == N and response.notice is None
    assert ids(response) == [d.id for d in newest_first(DOCS)]
    assert ids(response)[-3:] == ["d29", "d19", "d9"]  # undated last, most recently found first
    assert response.results[0].snippet.startswith("Résumé de la fiche")


def test_documents_with_every_word_first_then_those_with_some(engine):
    response = engine.search(SearchRequest(q="jardin potager", per_page=100))
    every = {d.id for d in DOCS if has_jardin(d) and has_potager(d)}
    some = {d.id for d in DOCS if has_jardin(d) or has_potager(d)}
    assert response.complete == len(every) == 5  # fewer than tiers.FEW: the partial matches follow
    assert set(ids(response)[:5]) == every and set(ids(response)) == some
    assert response.total == len(some) == 20
    assert response.notice.startswith("5 documents contiennent tous les mots")


def test_enough_documents_with_every_word_are_shown_alone(engine):
    response = engine.search(SearchRequest(q="jardin politique", per_page=100))
    expected = {d.id for d in DOCS if has_jardin(d)}
    assert response.complete == response.total == len(expected) == 15
    assert set(ids(response)) == expected and response.notice is None


def test_any_word_fallback_with_notice(engine):
    response = engine.search(SearchRequest(q="jardin zeppelin", per_page=100))
    assert response.notice == OR_NOTICE
    assert set(ids(response)) == {d.id for d in DOCS if has_jardin(d)}
    assert response.total == 15


def test_nothing_found(engine):
    response = engine.search(SearchRequest(q="zeppelin"))
    assert response.total == 0 and response.results == [] and response.notice is None
    assert all(values == [] for values in response.facets.values())


@pytest.mark.parametrize("facet", ["theme", "centre", "region", "type", "year"])
def test_facet_counts_exact(engine, facet):
    response = engine.search(SearchRequest(q="jardin"))
    assert got_counts(response, facet) == ref_counts([d for d in DOCS if has_jardin(d)], facet)


def test_facet_order_and_labels(tmp_path):
    def labels(facet, value):
        if value == "sante":
            raise KeyError(value)  # a broken label source falls back to the value
        return f"{facet}:{value}"

    engine = SearchEngine(tmp_path / "ix", labels=labels)
    engine.index(DOCS)
    response = engine.search(SearchRequest())
    years = [f.value for f in response.facets["year"]]
    assert years == sorted(years, reverse=True)
    themes = response.facets["theme"]
    assert [f.count for f in themes] == sorted((f.count for f in themes), reverse=True)
    assert {f.value: f.label for f in themes}["emploi"] == "theme:emploi"
    assert {f.value: f.label for f in themes}["sante"] == "sante"
    engine.close()


def test_disjunctive_facets(engine):
    response = engine.search(SearchRequest(q="jardin", theme=["emploi"], per_page=100))
    jardin = [d for d in DOCS if has_jardin(d)]
    with_theme = [d for d in jardin if "emploi" in d.themes]
    assert response.total == len(with_theme) and set(ids(response)) == {d.id for d in with_theme}
    # The theme facet ignores its own selection: other themes keep their counts, so a click adds results.
    assert got_counts(response, "theme") == ref_counts(jardin, "theme")
    # The other facets count with the theme selection applied.
    for facet in ("centre", "region", "type", "year"):
        assert got_counts(response, facet) == ref_counts(with_theme, facet)
    selected = [f.value for f in response.facets["theme"] if f.selected]
    assert selected == ["emploi"]


def test_or_within_facet_and_between_facets(engine):
    req = SearchRequest(theme=["emploi", "sante"], centre=["crpv-a"], per_page=100)
    response = engine.search(req)

    def in_themes(d):
        return bool({"emploi", "sante"} & set(d.themes))

    expected = [d for d in DOCS if in_themes(d) and d.centre == "crpv-a"]
    assert response.total == len(expected) and set(ids(response)) == {d.id for d in expected}
    assert got_counts(response, "theme") == ref_counts([d for d in DOCS if d.centre == "crpv-a"], "theme")
    assert got_counts(response, "centre") == ref_counts([d for d in DOCS if in_themes(d)], "centre")
    assert got_counts(response, "type") == ref_counts(expected, "type")


def test_selected_value_without_documents_is_listed(engine):
    response = engine.search(SearchRequest(theme=["inconnu"]))
    assert response.total == 0
    theme = {f.value: f for f in response.facets["theme"]}
    assert theme["inconnu"].count == 0 and theme["inconnu"].selected
    assert theme["emploi"].count > 0  # the way out of an empty page


def test_date_range(engine):
    response = engine.search(
        SearchRequest(date_from=dt.date(2022, 3, 1), date_to=dt.date(2023, 6, 30), sort="date", per_page=100))
    expected = newest_first(
        [d for d in DOCS if d.published and dt.date(2022, 3, 1) <= d.published <= dt.date(2023, 6, 30)])
    assert expected and ids(response) == [d.id for d in expected]
    assert response.total == len(expected)
    only_to = engine.search(SearchRequest(date_to=dt.date(2021, 12, 31)))
    assert only_to.total == sum(1 for d in DOCS if d.published and d.published.year == 2021)


def test_sort_by_date_with_query(engine):
    response = engine.search(SearchRequest(q="jardin", sort="date", per_page=100))
    assert ids(response) == [d.id for d in newest_first([d for d in DOCS if has_jardin(d)])]


def test_pagination(engine):
    seen: list[str] = []
    for page in range(1, 6):
        response = engine.search(SearchRequest(page=page, per_page=7))
        assert response.total == N and response.pages == 5
        seen += ids(response)
    assert seen == [d.id for d in newest_first(DOCS)]
    assert engine.search(SearchRequest(page=6, per_page=7)).results == []
    by_relevance = ids(engine.search(SearchRequest(q="jardin", per_page=100)))
    paged = [i for p in (1, 2, 3, 4) for i in ids(engine.search(SearchRequest(q="jardin", page=p, per_page=4)))]
    assert paged == by_relevance and len(paged) == 15


def test_exact_title_words_rank_first(tmp_path):
    engine = SearchEngine(tmp_path / "ix")
    engine.index([
        IndexDocument(id="plural", url="u1", title="Les conseils citoyens", text="Compte rendu de la réunion."),
        IndexDocument(id="singular", url="u2", title="Le conseil citoyen", text="Compte rendu de la réunion."),
    ])
    assert ids(engine.search(SearchRequest(q="conseil"))) == ["singular", "plural"]
    assert ids(engine.search(SearchRequest(q="conseils"))) == ["plural", "singular"]
    engine.close()


def test_snippet_escaped_with_marks(tmp_path):
    text = ("Introduction <b>sans</b> rapport. " + "Texte de remplissage. " * 30
            + "Les conseils citoyens <i>réunis</i> & le conseil municipal.")
    engine = SearchEngine(tmp_path / "ix", text_for=lambda ids: {i: text for i in ids})
    engine.index([IndexDocument(id="a", url="u", title="Démocratie locale", text=text)])
    snippet = engine.search(SearchRequest(q="conseil")).results[0].snippet
    assert "<mark>conseils</mark>" in snippet and "<mark>conseil</mark>" in snippet
    assert "&lt;i&gt;réunis&lt;/i&gt; &amp; le" in snippet
    assert "<i>" not in snippet and "<b>" not in snippet
    assert snippet.startswith("…") and len(snippet) < 400
    engine.close()


def test_hostile_markup_is_escaped(tmp_path):
    title = "<script>alert('titre')</script> Conseil citoyen"
    body = "<script>alert('corps')</script> Le conseil citoyen <img src=x onerror=alert(1)>"
    engine = SearchEngine(tmp_path / "ix", text_for=lambda ids: {i: f"{title}\n{body}" for i in ids})
    engine.index([IndexDocument(id="x", url="u", title=title, text=body, summary="<b onmouseover=alert(2)>Résumé")])
    for req in (SearchRequest(q="conseil"), SearchRequest(q="script"), SearchRequest()):
        hit = engine.search(req).results[0]
        assert hit.id == "x"
        for raw in ("<script", "<img", "<b "):
            assert raw not in hit.snippet
        assert hit.title == title  # a plain string; the templates and JSON escape it
    snippet = engine.search(SearchRequest(q="conseil")).results[0].snippet
    assert "&lt;script&gt;alert(&#x27;titre&#x27;)&lt;/script&gt;" in snippet
    assert "<mark>Conseil</mark>" in snippet
    engine.close()


def test_hit_fields(engine):
    hit = next(h for h in engine.search(SearchRequest(q="fiche", per_page=100)).results if h.id == "d10")
    doc = DOCS[10]
    assert (hit.title, hit.url, hit.centre, hit.region, hit.themes, hit.type, hit.published) == (
        doc.title, doc.url, "crpv-b", "84", doc.themes, doc.doctype, doc.published)
    assert hit.found_at == doc.found_at and hit.score > 0
    assert "<mark>" in hit.snippet or hit.snippet  # text_for gives the body


def test_delete(engine):
    assert engine.delete(["d4", "absent"]) == 1
    assert engine.count() == N - 1
    response = engine.search(SearchRequest(q="jardin", per_page=100))
    assert "d4" not in ids(response) and response.total == 14
    assert engine.delete(["d4"]) == 0
    assert engine.search(SearchRequest(theme=["emploi"])).total == sum("emploi" in d.themes for d in DOCS) - 1


def test_replace_by_id(engine):
    changed = make_doc(3)
    changed.text, changed.title = "Un zeppelin au-dessus du quartier.", "Zeppelin"
    first = make_doc(5)
    second = make_doc(5)
    second.title = "Dernière version"
    assert engine.index([changed, first, second]) == 2  # a repeated id in one batch: the last version wins
    assert engine.count() == N
    assert ids(engine.search(SearchRequest(q="zeppelin"))) == ["d3"]
    assert "d3" not in ids(engine.search(SearchRequest(q="potager", per_page=100)))
    assert ids(engine.search(SearchRequest(q="dernière version"))) == ["d5"]
    for _ in range(12):  # many commits (and merges): replaced documents must not come back
        engine.index([changed])
    assert engine.count() == N and engine.search(SearchRequest(q="zeppelin")).total == 1


def test_rebuild_swaps_while_searchers_are_open(engine, tmp_path):
    from whoosh.qparser import QueryParser

    other = SearchEngine(tmp_path / "index")  # e.g. the web process, open before the rebuild
    assert other.count() == N
    old_dir = engine.generation_dir
    raw = generations.storage(old_dir).open_index().searcher()  # a reader on the old generation
    new_docs = [make_doc(i) for i in range(5)]
    for d in new_docs:
        d.text += " Reconstruit."
    assert engine.rebuild(new_docs) == 5
    assert not old_dir.exists() and engine.generation_dir != old_dir
    # The old reader still answers from its open files.
    assert raw.doc_count() == N
    assert len(raw.search(QueryParser("body", raw.schema).parse("jardin"), limit=None)) == 15
    raw.close()
    # Both engines see the new generation.
    assert engine.count() == 5
    other.refresh()
    assert other.count() == 5 and other.generation_dir == engine.generation_dir
    assert other.search(SearchRequest(q="reconstruit")).total == 5
    # Later writes from the other engine land in the new generation.
    other.index([make_doc(20)])
    engine.refresh()  # another engine's commit is seen within check_interval, or at once on refresh()
    found = engine.search(SearchRequest(q="fiche 20"))
    assert found.complete == 1 and found.results[0].id == "d20"
    assert sorted(p.name for p in (tmp_path / "index").iterdir() if p.name.startswith("v-")) == [
        engine.generation_dir.name]
    other.close()


def test_schema_version_mismatch_needs_rebuild(engine, tmp_path):
    (engine.generation_dir / generations.STAMP).write_text('{"schema_version": 0}')
    stale = SearchEngine(tmp_path / "index")
    assert stale.needs_rebuild
    assert stale.count() == N  # still answers meanwhile
    with pytest.raises(IndexNeedsRebuildError):
        stale.index([make_doc(1)])
    stale.rebuild(DOCS)
    assert not stale.needs_rebuild and stale.count() == N
    stale.close()


def test_busy_writer_raises_clear_error(engine):
    lock = generations.storage(engine.generation_dir).open_index().lock("WRITELOCK")  # as another process would
    assert lock.acquire()
    try:
        engine.write_timeout = 0.3
        with pytest.raises(IndexBusyError, match="locked by another writer"):
            engine.index([make_doc(1)])
    finally:
        lock.release()
    assert engine.index([make_doc(1)]) == 1


@pytest.mark.parametrize("q", ['"unbalanced', "AND OR (", "(((", ")", "NOT", '"', "title:", "*", "?", "jardin AND",
                               "+-", "l'", "\\", "jardin NOT", "a:b:c", "[1 TO", "^2", "~", "les de la", "{}"])
def test_odd_syntax_never_raises(engine, q):
    response = engine.search(SearchRequest(q=q))
    assert response.total >= 0


def test_unbalanced_quote_searches_the_words(engine):
    assert engine.search(SearchRequest(q='"jardin potager')).complete == 5


def test_concurrent_searches_while_indexing(engine):
    errors: list[BaseException] = []

    def searcher():
        try:
            for i in range(15):
                response = engine.search(SearchRequest(q="jardin" if i % 2 else "", theme=["emploi"]))
                assert response.total >= 0
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=searcher) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(5):
        engine.index([make_doc(i)])
    for t in threads:
        t.join()
    assert errors == []
    assert engine.count() == N


def test_writers_wait_for_a_rebuild(engine, tmp_path):
    crawler = SearchEngine(tmp_path / "index")  # another process's engine, writing while a rebuild runs
    crawler.write_timeout = 0.2
    outcome: list[str] = []

    def docs():
        yield from DOCS[:10]
        try:
            crawler.index([make_doc(25)])
            outcome.append("written")
        except IndexBusyError:
            outcome.append("busy")
        yield from DOCS[10:]

    assert engine.rebuild(docs()) == N
    assert outcome == ["busy"]  # the old generation was locked: no write lost in a generation being replaced
    assert crawler.index([make_doc(25)]) == 1  # after the swap, writes go to the new generation
    engine.refresh()
    assert engine.count() == N
    crawler.close()
