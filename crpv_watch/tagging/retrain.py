"""Retraining the learned part from everything labelled: the project's set, the shared real corpus' dev split
(when ``../shared`` is there) and the editors' examples of the database. Shared by ``crpv-watch tags train`` and
the admins' button (a request file the worker claims, as index rebuilds are: ``worker/training.py``).

The new model is installed only when, on the held-out splits (real test sites, the project's test split), rules +
new model type more texts right than the rules alone, and no fewer than the model in use; the report (before /
after figures) is written beside the model either way, so the editors' page can show what happened.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ..items import ExtractedDocument
from ..store.examples import all_examples
from .evaluation import (
    REAL_CORPUS,
    Example,
    load_examples,
    load_real_examples,
    real_corpus_available,
    score,
)
from .model import LearnedModel, load_tagger, model_path_for

log = logging.getLogger(__name__)

REPORT_FILENAME = "tagging-train-report.json"


def report_path_for(settings) -> Path:
    return Path(settings.data_dir) / REPORT_FILENAME


def editors_examples(session) -> list[Example]:
    out = []
    for row in all_examples(session):
        doc = ExtractedDocument(url=row.url, canonical_url=row.url, title=row.title, text=row.text,
                                content_type=row.content_type)
        if row.doctype:  # a document still « à qualifier » teaches no type
            out.append(Example(f"editors:{row.document_id}", "editors", row.doctype, frozenset(row.themes), doc,
                               group=f"source:{row.source_id}", corpus="editors"))
    return out


def datasets(session, real_path: Path = REAL_CORPUS) -> tuple[list[Example], dict[str, list[Example]]]:
    """(training examples, held-out splits by name)."""
    own = load_examples()
    training = [e for e in own if e.split == "train"] + editors_examples(session)
    held_out = {"own-test": [e for e in own if e.split == "test"]}
    if real_corpus_available(real_path):
        real = load_real_examples(real_path)
        training += [e for e in real if e.split == "dev"]
        held_out["real-test"] = [e for e in real if e.split == "test"]
    return training, held_out


MIN_TRAINING = 30  # fewer labelled texts than this teach a 17-type model nothing


class RetrainError(ValueError):
    """Training cannot run (too few labelled texts); the message is French, for editors."""


@dataclass
class Outcome:
    installed: bool
    reason: str  # French, shown to editors
    report: dict


def run_training(services, *, force: bool = False, user: str = "", now: dt.datetime | None = None) -> Outcome:
    """Train, compare on the held-out splits (rules, model in use, new model), install when better."""
    from .training import train

    settings = services.settings
    vocabulary = services.vocabulary
    with services.db.session() as session:
        training, held_out = datasets(session)
    if len(training) < MIN_TRAINING or len({e.doctype for e in training}) < 2:
        raise RetrainError(f"trop peu de textes étiquetés pour apprendre ({len(training)}) : il faut le jeu du projet "
                           "(tests/data, dans une copie du dépôt), les textes réels partagés ou des corrections "
                           "d'éditeurs")
    report = train(vocabulary, training, held_out, now=now)
    current = load_tagger(vocabulary, model_path_for(settings))
    before = {split: score(split, exs, {e.id: current.tag(e.doc) for e in exs}).summary()
              for split, exs in held_out.items() if exs}
    right = {kind: sum(f[kind]["type_accuracy"] * f[kind]["n"] for f in report.held_out.values())
             for kind in ("rules", "model")}
    right_before = sum(f["type_accuracy"] * f["n"] for f in before.values())
    if force:
        installed, reason = True, "installé à la demande (--force)"
    elif right["model"] <= right["rules"]:
        installed, reason = False, "non installé : ne fait pas mieux que les règles seules sur les textes réservés"
    elif right["model"] < right_before:
        installed, reason = False, "non installé : moins bon que le modèle en service sur les textes réservés"
    else:
        installed, reason = True, "installé : meilleur que les règles seules et que le modèle en service"
    data = {"finished": (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC"), "user": user,
            "installed": installed, "reason": reason, "trained_on": report.trained_on,
            "held_out": {split: {"avant": before.get(split), "règles": figs["rules"], "après": figs["model"]}
                         for split, figs in report.held_out.items()},
            "cross_validation": report.selection.cv, "c": report.selection.c,
            "type_min_probability": report.selection.type_floor, "in_use_before": current.describe()}
    if installed:
        report.model.save(model_path_for(settings))
        services.reload_tagger()
    write_report(settings, data)
    log.info("tagging model %s (%s)", "installed" if installed else "kept", reason)
    return Outcome(installed, reason, data)


def write_report(settings, data: dict) -> None:
    path = report_path_for(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def last_report(settings) -> dict | None:
    try:
        return json.loads(report_path_for(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def model_info(settings) -> dict | None:
    """What the model in use says of itself (training date, data, figures), or None when rules only."""
    path = model_path_for(settings)
    if not path.is_file():
        return None
    try:
        return LearnedModel.load(path).info
    except (OSError, ValueError, KeyError):
        return None
