"""French words for the codes the store keeps (statuses, stages, fields, frequencies, origins, actions): one
place, used by the editors' pages, the mails and the CLI, so that no raw code reaches a French reader."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")

WORDS: dict[str, dict[str, str]] = {
    # Crawl runs and each source's part of one; index rebuilds.
    "run_status": {"running": "en cours", "completed": "terminée", "failed": "en échec",
                   "interrupted": "interrompue", "empty": "rien trouvé", "skipped": "ignorée",
                   "ok": "en ordre", "pending": "en attente", "stale": "en retard", "missing": "absent",
                   "budget": "arrêtée : budget de temps épuisé", "postponed": "reportée"},
    "stage": {"fetch": "téléchargement", "parse": "lecture", "extract": "extraction du texte",
              "tag": "étiquetage", "store": "enregistrement", "index": "indexation", "robots": "robots.txt",
              "source": "source", "pipeline": "traitement", "dns": "nom de domaine (DNS)", "connect": "connexion",
              "tls": "certificat (TLS)", "http": "réponse HTTP", "feed": "flux", "sitemap": "plan du site"},
    "doc_status": {"active": "consultable", "hidden": "masqué", "removed": "retiré du web", "purged": "purgé",
                   "duplicate": "doublon", "review": "à revoir"},
    "field": {"title": "titre", "summary": "résumé", "body": "texte", "text": "texte", "url": "adresse",
              "status": "état", "featured": "à la une", "featured_note": "note « à la une »",
              "doctype": "type de document", "themes": "thèmes", "theme": "thème", "pillars": "piliers",
              "published": "date de publication", "language": "langue", "departments": "départements",
              "qpvs": "quartiers prioritaires", "name": "nom", "homepage": "page d'accueil", "feeds": "flux",
              "start_urls": "pages de départ", "include": "adresses incluses", "exclude": "adresses exclues",
              "schedule": "fréquence", "enabled": "activée", "region": "région", "crawl_delay": "délai entre requêtes",
              "max_pages": "pages au plus", "max_depth": "profondeur au plus", "notes": "notes",
              "allow_private_network": "réseau privé autorisé", "role": "rôle", "email": "e-mail",
              "active": "actif", "merged_into": "fusionné dans", "source_id": "source", "pages": "pages",
              "frequency": "fréquence", "reason": "motif", "documents": "documents", "user": "compte",
              "sources": "sources", "id": "identifiant", "doctype_explanation": "explication du type"},
    "frequency": {"daily": "quotidienne", "weekly": "hebdomadaire", "monthly": "mensuelle", "hourly": "horaire",
                  "manual": "à la demande"},
    "origin": {"tagger": "automatique", "editor": "éditeur", "source": "source", "cli": "ligne de commande",
               "web": "site", "site": "site", "site:recherche": "page de recherche du site",
               "site:/abonnement": "page d'abonnement du site", "site:dossier": "page d'un dossier documentaire du site",
               "site:gestion": "page de gestion des alertes"},
    "subscriber_status": {"pending": "en attente de confirmation", "active": "actif", "paused": "en pause",
                          "unsubscribed": "désinscrit", "bouncing": "adresse en échec"},
    "digest_status": {"sending": "en cours d'envoi", "sent": "envoyée", "failed": "en échec (nouvel essai)",
                      "bounced": "refusée", "empty": "rien de nouveau", "resent": "renvoyée",
                      "skipped": "ignorée", "stopped": "arrêtée"},
    "role": {"admin": "administrateur", "editor": "éditeur"},
    "action": {"document.hide": "document masqué", "document.show": "document republié",
               "document.restore": "document republié", "document.remove": "document retiré",
               "document.feature": "document mis à la une", "document.unfeature": "document retiré de la une",
               "document.merge": "documents fusionnés", "document.tags": "étiquettes modifiées",
               "document.update": "document modifié", "document.review": "document revu",
               "source.create": "source créée", "source.update": "source modifiée",
               "source.enable": "source activée", "source.disable": "source désactivée",
               "source.purge": "source purgée", "crawl.request": "collecte demandée",
               "index.rebuild": "index reconstruit", "user.create": "compte créé", "user.update": "compte modifié",
               "user.password_change": "mot de passe changé", "user.password_reset": "mot de passe réinitialisé",
               "user.reset_link": "lien de réinitialisation créé"},
}

WEEK = re.compile(r"(\d{4})-W(\d{2})")


def word(value: Any, kind: str) -> str:
    """The French word for ``value`` of ``kind``; booleans as oui/non; dates in French; unknown codes as they
    are (a test lists the pages' words, so a missing one is seen)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(word(v, kind) for v in value) or "—"
    text = str(value)
    if kind == "period" or WEEK.fullmatch(text):
        return period(text)
    return WORDS.get(kind, {}).get(text, text)


def value_fr(key: str, value: Any) -> str:
    """A value of the audit log's before/after, worded after its key."""
    kinds = {"status": "doc_status", "schedule": "frequency", "frequency": "frequency", "role": "role",
             "origin": "origin", "stage": "stage"}
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d(T[\d:.]+)?", value):
        day = dt.date.fromisoformat(value[:10])
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return word(value, kinds.get(key, ""))


def period(text: str) -> str:
    """« 2026-W49 » → « semaine 49 (du 30 novembre au 6 décembre 2026) »; a day stays a day, in French."""
    match = WEEK.fullmatch(text)
    if match:
        year, week = int(match.group(1)), int(match.group(2))
        try:
            monday = dt.date.fromisocalendar(year, week, 1)
        except ValueError:
            return text
        return f"semaine {week} ({span(monday, monday + dt.timedelta(days=6))})"
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return text
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def span(first: dt.date, last: dt.date) -> str:
    if first.year != last.year:
        return f"du {first.day} {MONTHS[first.month - 1]} {first.year} au {last.day} {MONTHS[last.month - 1]} {last.year}"
    if first.month != last.month:
        return f"du {first.day} {MONTHS[first.month - 1]} au {last.day} {MONTHS[last.month - 1]} {last.year}"
    return f"du {first.day} au {last.day} {MONTHS[last.month - 1]} {last.year}"
