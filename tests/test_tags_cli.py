"""`crpv-watch tags set` and `tags recompute` through the real path: CLI → store → index queue → index.

Overrides must survive a recrawl (``store.ingest.ingest`` again with fresh tagger output), an index rebuild and
a recompute; a dry run must change nothing; a thesaurus change must re-tag exactly the documents it concerns.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import fast_settings
from sqlalchemy import select

from crpv_watch.cli import main
from crpv_watch.items import ExtractedDocument, FetchResult
from crpv_watch.services import Services
from crpv_watch.store import repo
from crpv_watch.store.ingest import SourceRef, ingest
from crpv_watch.store.models import AuditLog, TagOverride
from crpv_watch.tagging.tagger import Tagger
from crpv_watch.tagging.thesaurus import DEFAULT_THEMES, Vocabulary

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)

SOURCES = """sources:
  - id: centre-test
    name: Centre de test
    homepage: https://centre.example.org/
    region: "11"
    start_urls: ["https://centre.example.org/ressources/"]
"""

DOCS = {
    "jardin": ("Un potager partagé au pied des immeubles",
               "Le conseil citoyen et les habitants ont créé un jardin partagé. Agriculture urbaine et compost : "
               "la participation des habitants a permis de végétaliser la cité."),
    "petanque": ("Tournoi de pétanque entre voisins",
                 "Le tournoi de pétanque a réuni les boulistes de la résidence samedi sur la place."),
    "emploi": ("Forum de l'emploi à Bobigny (93)",
               "Les demandeurs d'emploi ont rencontré des employeurs et la mission locale ; "
               "insertion professionnelle et formation étaient au programme."),
}


def url_of(key: str) -> str:
    return f"https://centre.example.org/ressources/{key}"


@pytest.fixture
def world(tmp_path, monkeypatch):
    sources = tmp_path / "sources.yaml"
    sources.write_text(SOURCES, encoding="utf-8")
    monkeypatch.setenv("CRPV_WATCH_SECRET_KEY", "test-secret")
    settings = fast_settings(tmp_path, sources_path=sources)
    services = Services(settings)
    tagger = Tagger(services.vocabulary)
    runner = CliRunner()

    def cli(*args, env=None):
        result = runner.invoke(main, ["--data-dir", str(settings.data_dir), "--sources", str(sources), *args],
                               catch_exceptions=False, env=env)
        return result

    def crawl(key: str, suffix: str = "") -> str:
        """What a crawl does for one document: fresh extraction, fresh tagger output, ingest."""
        title, text = DOCS[key]
        extracted = ExtractedDocument(url=url_of(key), canonical_url=url_of(key), title=title, text=text + suffix)
        fetch = FetchResult(url=url_of(key), final_url=url_of(key), status=200, body=(text + suffix).encode())
        with services.db.session() as session:
            result = ingest(session, source=SourceRef("centre-test"), url=url_of(key), fetch=fetch,
                            extracted=extracted, tags=tagger.tag(extracted), first_crawl=False)
        return result.document_id

    ids = {key: crawl(key) for key in DOCS}
    assert cli("index", "rebuild").exit_code == 0

    def stored(doc_id: str) -> tuple[set[str], str]:
        with services.db.session() as session:
            doc = repo.get_document(session, doc_id)
            return {t.theme_id for t in doc.themes}, doc.doctype

    def search(*args) -> set[str]:
        out = cli("search", "", "--json", "--limit", "50", *args)
        assert out.exit_code == 0, out.output
        return {hit["id"] for hit in json.loads(out.stdout)["results"]}

    yield type("World", (), dict(cli=staticmethod(cli), crawl=staticmethod(crawl), ids=ids, services=services,
                                 stored=staticmethod(stored), search=staticmethod(search), tmp=tmp_path))
    services.close()


def test_set_survives_recrawl_reextraction_and_rebuild(world):
    doc_id = world.ids["jardin"]
    themes, doctype = world.stored(doc_id)
    assert "transition_ecologique" in themes and "sport" not in themes
    out = world.cli("tags", "set", doc_id, "--add", "sport", "--remove", "transition_ecologique",
                    "--type", "guide_methodologique", "--by", "editrice@example.org")
    assert out.exit_code == 0, out.output
    assert world.stored(doc_id) == ((themes - {"transition_ecologique"}) | {"sport"}, "guide_methodologique")
    with world.services.db.session() as session:
        rows = session.scalars(select(TagOverride).where(TagOverride.document_id == doc_id)).all()
        assert {(r.action, r.value, r.user_email) for r in rows} == {
            ("add_theme", "sport", "editrice@example.org"),
            ("remove_theme", "transition_ecologique", "editrice@example.org"),
            ("set_type", "guide_methodologique", "editrice@example.org")}
        audit = session.scalars(select(AuditLog).where(AuditLog.target == doc_id)).one()
        assert audit.user_email == "editrice@example.org" and audit.action == "document.tags" and audit.at
        assert "transition_ecologique" in audit.before["themes"] and "sport" in audit.after["themes"]
    # The CLI drained the queue: the index already agrees.
    assert doc_id in world.search("--theme", "sport")
    assert doc_id not in world.search("--theme", "transition_ecologique")

    # Recrawl with changed text: re-extracted, re-tagged by the tagger, and still overridden.
    # The new text names the removed theme again: the tagger gives it back, the override takes it away.
    assert world.crawl("jardin", " Mise à jour : l'agriculture urbaine et le compost continuent.") == doc_id
    recrawled, doctype = world.stored(doc_id)
    assert "sport" in recrawled and "transition_ecologique" not in recrawled and doctype == "guide_methodologique"

    assert world.cli("index", "rebuild").exit_code == 0
    assert doc_id in world.search("--theme", "sport")
    assert doc_id in world.search("--type", "guide_methodologique")
    assert doc_id not in world.search("--theme", "transition_ecologique")


def test_set_rejects_unknown_ids(world):
    doc_id = world.ids["jardin"]
    assert world.cli("tags", "set", doc_id, "--add", "sports").exit_code == 1
    assert world.cli("tags", "set", doc_id, "--type", "brochure").exit_code == 1
    assert world.cli("tags", "set", "nope", "--add", "sport").exit_code == 1
    assert world.cli("tags", "set", doc_id).exit_code == 1
    with world.services.db.session() as session:
        assert session.scalars(select(TagOverride)).all() == []


def test_recompute_after_a_thesaurus_change(world, monkeypatch):
    petanque, emploi = world.ids["petanque"], world.ids["emploi"]
    assert "sport" not in world.stored(petanque)[0]
    assert world.cli("tags", "set", emploi, "--remove", "emploi_insertion").exit_code == 0
    before = {key: world.stored(i) for key, i in world.ids.items()}

    unchanged = world.cli("tags", "recompute", "--dry-run")
    assert unchanged.exit_code == 0 and "0 changeraient" in unchanged.output, unchanged.output

    themes = world.tmp / "themes.yaml"
    text = DEFAULT_THEMES.read_text(encoding="utf-8")
    assert 'keywords: ["sport", ' in text
    themes.write_text(text.replace('keywords: ["sport", ', 'keywords: ["pétanque", "boulistes", "sport", '),
                      encoding="utf-8")
    Vocabulary.load(themes)  # the edited copy is valid
    env = {"CRPV_WATCH_THEMES_PATH": str(themes)}

    dry = world.cli("tags", "recompute", "--dry-run", env=env)
    assert dry.exit_code == 0, dry.output
    assert "1 changeraient" in dry.output and "sport (Sport) : +1 −0" in dry.output
    assert f"+ {petanque}" in dry.output and "Essai à blanc" in dry.output
    assert {key: world.stored(i) for key, i in world.ids.items()} == before
    assert petanque not in world.search("--theme", "sport")

    real = world.cli("tags", "recompute", env=env)
    assert real.exit_code == 0 and "1 ont changé" in real.output, real.output
    assert "sport" in world.stored(petanque)[0]
    assert world.stored(world.ids["jardin"]) == before["jardin"]
    assert "emploi_insertion" not in world.stored(emploi)[0]  # the editor's removal still wins
    assert petanque in world.search("--theme", "sport")
    assert world.cli("tags", "recompute", "--dry-run", env=env).output.count("0 changeraient") == 1
