"""The learned part through the real path: `tags etat` without a model (rules only, said so), an editor's
correction kept as a labelled example, `tags train` from the project's set + the shared real corpus (when present)
+ that example, the report's before/after figures on the held-out splits, the model installed only when better,
and the tagger in service switching to it."""

from __future__ import annotations

import json

from sqlalchemy import select
from test_tags_cli import world  # noqa: F401  (the fixture: a store with three crawled documents, a CLI)

from crpv_watch.store.models import TagExample
from crpv_watch.tagging.model import CombinedTagger, LearnedModel, model_path_for
from crpv_watch.tagging.retrain import last_report
from crpv_watch.tagging.tagger import Tagger


def test_rules_only_then_trained_from_editors_examples(world):  # noqa: F811
    status = world.cli("tags", "etat")
    assert status.exit_code == 0, status.output
    assert "règles seules" in status.output and "Aucun modèle appris" in status.output
    assert "Exemples des éditeurs (corrections et vérifications) : 0" in status.output
    assert type(world.services.tagger) is Tagger

    doc_id = world.ids["petanque"]
    out = world.cli("tags", "set", doc_id, "--add", "sport", "--type", "actualite", "--by", "ed@example.org")
    assert out.exit_code == 0, out.output
    with world.services.db.session() as session:
        example = session.scalars(select(TagExample)).one()
        assert (example.document_id, example.doctype, example.origin) == (doc_id, "actualite", "cli")
        assert "sport" in example.themes and "pétanque" in example.text

    trained = world.cli("tags", "train")
    assert trained.exit_code == 0, trained.output
    assert "Validation croisée" in trained.output and "réservés" in trained.output
    assert "avant (en service)" in trained.output and "après (nouveau)" in trained.output
    report = last_report(world.services.settings)
    assert report["trained_on"].get("editors-editors") == 1  # the editor's correction was learned from
    assert set(report["held_out"]) >= {"own-test"}
    for figures in report["held_out"].values():
        assert {"avant", "règles", "après"} <= set(figures)
    path = model_path_for(world.services.settings)
    if report["installed"]:
        assert path.is_file()
        model = LearnedModel.load(path)
        assert model.info["held_out"] and model.types.classes
        assert "modèle appris" in world.cli("tags", "etat").output
        # The next crawl tags with it (services reload the tagger after an install).
        from crpv_watch.services import Services

        assert isinstance(Services(world.services.settings).tagger, CombinedTagger)
    else:
        assert not path.exists() and "non installé" in trained.output


def test_training_is_deterministic_and_the_file_is_json(world, tmp_path):  # noqa: F811
    first = world.cli("tags", "train", "--force")
    assert first.exit_code == 0, first.output
    path = model_path_for(world.services.settings)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == 1 and "pickle" not in path.read_text(encoding="utf-8")
    before = {k: v for k, v in data.items() if k != "info"}
    assert world.cli("tags", "train", "--force").exit_code == 0
    after = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if k != "info"}
    assert after == before  # same data, same weights


def test_an_unreadable_model_falls_back_to_rules(world):  # noqa: F811
    path = model_path_for(world.services.settings)
    path.write_text("{not json", encoding="utf-8")
    world.services.reload_tagger()
    assert type(world.services.tagger) is Tagger
    assert "règles seules" in world.cli("tags", "status").output


def test_too_few_labelled_texts_is_a_clear_french_refusal(world, monkeypatch):  # noqa: F811
    """An installed copy has no tests/data and maybe no ../shared: training says why it cannot run, from the CLI
    and from the worker that claims an admin's request."""
    from crpv_watch.indexing import requests
    from crpv_watch.tagging import retrain
    from crpv_watch.worker.training import handle_requests

    monkeypatch.setattr(retrain, "load_examples", lambda: [])
    monkeypatch.setattr(retrain, "real_corpus_available", lambda path=None: False)
    out = world.cli("tags", "train")
    assert out.exit_code == 1 and "Entraînement impossible : trop peu de textes étiquetés" in out.output
    assert not model_path_for(world.services.settings).exists()

    requests.request_training(world.services, "admin@example.org")
    assert handle_requests(world.services) is None
    assert requests.pending(world.services, requests.TRAIN) == []  # claimed once
    report = last_report(world.services.settings)
    assert report["installed"] is False and "trop peu de textes" in report["reason"]
    assert report["user"] == "admin@example.org"
