"""The worker's side of « Réentraîner le modèle »: claims the training requests the editors' page queued
(``indexing.requests.TRAIN``) and trains once for them all (``tagging.retrain.run_training``)."""

from __future__ import annotations

import datetime as dt
import logging

from ..indexing import requests
from ..tagging import retrain

log = logging.getLogger(__name__)


def handle_requests(services) -> retrain.Outcome | None:
    claimed = requests.take(services, requests.TRAIN)
    if not claimed:
        return None
    users = requests.requesters(claimed)
    log.info("tagging model training requested by %s", users)
    try:
        return retrain.run_training(services, user=users)
    except retrain.RetrainError as exc:
        log.warning("tagging model training not run: %s", exc)
        _report_not_installed(services, users, f"entraînement impossible : {exc}")
    except Exception:
        log.exception("tagging model training failed")
        _report_not_installed(services, users, "échec de l'entraînement (voir le journal du service)")
    return None


def _report_not_installed(services, users: str, reason: str) -> None:
    """The editors' « Étiquetage » page reads this report: a training that did not run says why there."""
    retrain.write_report(services.settings, {
        "finished": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "user": users, "installed": False,
        "reason": reason})
