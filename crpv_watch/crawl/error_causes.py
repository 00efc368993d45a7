"""A crawl error as the editors read it: its French cause, and the technical detail kept for a smaller line.

The crawler records its errors in the words of the logs (``HTTP 503``, ``timeout (total 30 s)``, ``DNS resolution
failed for …: [Errno -2] Name or service not known``, an exception's name): that is what an administrator greps
for, and what is stored. Editors' pages (sources page, a source's health, a crawl's report, the Tester) show
:func:`explain`'s ``cause`` instead, by kind of failure — name lookup, connection, TLS, time, HTTP status,
robots.txt, size, parsing — and the recorded text underneath as ``detail``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Explained:
    cause: str  # French, for everyone
    detail: str = ""  # the recorded text, for whoever fixes it ("" when the cause says it all)


HTTP_REASONS = {
    400: "requête jugée invalide", 401: "authentification requise", 402: "paiement requis",
    403: "accès interdit", 404: "page introuvable", 405: "méthode refusée", 406: "format refusé",
    407: "authentification du proxy requise", 408: "délai de la requête dépassé", 409: "conflit",
    410: "page supprimée définitivement", 411: "longueur requise", 413: "requête trop grande",
    414: "adresse trop longue", 415: "format non pris en charge", 418: "requête refusée", 421: "mauvais serveur",
    422: "requête impossible à traiter", 423: "ressource verrouillée", 425: "trop tôt", 426: "mise à niveau requise",
    429: "trop de requêtes", 431: "en-têtes trop grands", 451: "indisponible pour raisons légales",
    500: "erreur interne du serveur", 501: "fonction non prise en charge par le serveur",
    502: "mauvaise passerelle", 503: "service indisponible", 504: "délai de la passerelle dépassé",
    505: "version HTTP non prise en charge", 507: "espace insuffisant sur le serveur", 508: "boucle détectée",
    520: "réponse inconnue du serveur d'origine", 521: "serveur d'origine arrêté",
    522: "délai de connexion au serveur d'origine dépassé", 523: "serveur d'origine injoignable",
    524: "délai de réponse du serveur d'origine dépassé", 525: "échec de la connexion chiffrée d'origine",
    526: "certificat d'origine invalide",
}


def http_cause(status: int) -> str:
    reason = HTTP_REASONS.get(status) or ("erreur du serveur" if status >= 500 else "requête refusée"
                                          if status >= 400 else "réponse inattendue")
    return f"le serveur a répondu {status} ({reason})"


_DNS = ("dns resolution failed", "name or service not known", "nodename nor servname", "getaddrinfo",
        "no address associated", "temporary failure in name resolution", "name resolution")
_TLS = (
    ("certificate has expired", "certificat du site expiré"),
    ("self signed", "certificat du site auto-signé (non reconnu)"),
    ("self-signed", "certificat du site auto-signé (non reconnu)"),
    ("hostname mismatch", "certificat du site établi pour un autre nom"),
    ("doesn't match", "certificat du site établi pour un autre nom"),
    ("unable to get local issuer", "certificat du site émis par une autorité inconnue"),
    ("wrong version number", "le serveur ne parle pas HTTPS sur ce port"),
)
_CONNECTION = (
    ("connection refused", "connexion refusée : aucun service sur ce port (serveur arrêté ?)"),
    ("errno 111", "connexion refusée : aucun service sur ce port (serveur arrêté ?)"),
    ("connection reset", "connexion coupée par le serveur"),
    ("network is unreachable", "réseau injoignable"),
    ("no route to host", "serveur injoignable (aucune route)"),
    ("server disconnected", "le serveur a fermé la connexion sans répondre"),
    ("remoteprotocolerror", "le serveur a fermé la connexion sans répondre"),
    ("connection closed", "le serveur a fermé la connexion sans répondre"),
)
_PARSE = (
    ("broken feed", "flux illisible (XML mal formé)"),
    ("refused: the feed declares xml entities", "flux refusé : il déclare des entités XML (risque de saturation)"),
    ("empty sitemap", "plan du site vide"),
    ("broken sitemap", "plan du site illisible (XML mal formé)"),
    ("not a sitemap", "ce fichier n'est pas un plan du site"),
    ("pdf: encrypted", "PDF protégé : son texte ne peut pas être lu"),
    ("pdf: memory", "PDF trop lourd à décompresser"),
    ("pdf: ", "PDF illisible (fichier endommagé ou non standard)"),
    ("docx: ", "document Word illisible"),
    ("odt: ", "document OpenDocument illisible"),
)
_EXCEPTION = re.compile(r"^[A-Z][A-Za-z]*(Error|Exception|Timeout|Warning)\b")
_FRENCH = re.compile(r"[àâçéèêëîïôûùœ]|\b(le|la|les|des|du|une?|est|pas)\b", re.I)


def explain(error: str | None, status: int | None = None) -> Explained:
    """The French cause of a recorded crawl error (and of a bare HTTP ``status`` when there is no text)."""
    text = (error or "").strip()
    if not text:
        return Explained(http_cause(status)) if status and status >= 400 else Explained("erreur inconnue")
    low = text.lower()
    if low.startswith("robots.txt unreachable ("):
        inner = text[len("robots.txt unreachable ("):].rsplit("):", 1)[0]
        return Explained(f"robots.txt illisible, {explain(inner).cause} : rien n'est collecté sur ce site pour "
                         "l'instant", text)
    cause = _cause(text, low)
    if cause is not None:
        return Explained(cause, "" if cause == text else text)
    if _EXCEPTION.match(text):
        return Explained("erreur inattendue du traitement (à signaler à l'administrateur)", text)
    if _FRENCH.search(text):  # already French (a write failure, an OAI harvest): shown as it is
        return Explained(text)
    return Explained("erreur non reconnue", text)


NO_WEB = "adresse non web : seules http:// et https:// sont suivies"
# Recorded texts with a number to keep (matched on the lower-cased text), then plain prefixes.
_NUMBERED = (
    (r"http (\d{3}) without location", lambda m: f"redirection sans adresse de destination (réponse {m[1]})"),
    (r"http (\d{3})$", lambda m: http_cause(int(m[1]))),
    (r"retry later \(retry-after (\d+)", lambda m: f"le serveur demande d'attendre {m[1]} s avant de revenir : "
                                                   "reporté"),
    (r"too large \(> (\d+) bytes\)", lambda m: f"fichier trop volumineux (plus de {int(m[1]) / 1_000_000:g} Mo) : "
                                                 "ignoré"),
    (r"crawl-delay ([\d.]+) s > max_crawl_delay ([\d.]+) s",
     lambda m: f"robots.txt demande {m[1]} s entre deux requêtes, plus que le maximum accepté ({m[2]} s) : "
               "collecte reportée"),
    (r"time budget of ([\d.]+) s spent: crawl stopped, (\d+)",
     lambda m: f"budget de temps de {m[1]} s épuisé : collecte arrêtée, {m[2]} document(s) repris à la prochaine "
               "collecte"),
    (r"too many redirects \(> (\d+)\)", lambda m: f"trop de redirections (plus de {m[1]})"),
    (r"timeout \(total ([\d.]+) s\)", lambda m: f"délai dépassé : pas de réponse complète en {m[1]} s (serveur "
                                                  "trop lent)"),
)
_PREFIXES = (
    ("unsupported content-encoding", "compression non prise en charge"),
    ("invalid url", "adresse invalide"),
    ("unsupported scheme", NO_WEB),
    ("unsupported url", NO_WEB),
    ("disallowed by robots.txt", "redirigé vers une adresse que robots.txt interdit"),
    ("redirect loop", "boucle de redirections"),
    ("bad redirect location", "redirection vers une adresse invalide"),
    ("source time budget spent", "budget de temps de la source épuisé : la suite à la prochaine collecte"),
    *_PARSE,
)


def _cause(text: str, low: str) -> str | None:
    match = re.match(r"refused address (\S+)", text)
    if match:
        return f"adresse refusée : {match[1]} est une adresse privée ou réservée (protection du réseau interne)"
    if any(s in low for s in _DNS):
        return "nom de domaine introuvable (DNS) : l'adresse du site est-elle exacte ?"
    if low.startswith("tls error") or "certificate" in low or "ssl" in low:
        return next((c for key, c in _TLS if key in low), "échec de la connexion chiffrée (TLS)")
    for pattern, cause in _NUMBERED:
        match = re.match(pattern, low)
        if match:
            return cause(match)
    if low.startswith("timeout") or "timeout" in low.split(":")[0] or "timed out" in low:
        if "connect" in low:
            return "délai de connexion dépassé : le serveur ne répond pas"
        return "délai dépassé : le serveur ne répond pas à temps"
    connection = next((c for key, c in _CONNECTION if key in low), None)
    if connection or low.startswith(("connection error", "connecterror")):
        return connection or "connexion impossible (serveur injoignable)"
    if low.startswith("broken ") and " body" in low.split(":")[0]:
        return "contenu compressé corrompu"
    return next((c for key, c in _PREFIXES if low.startswith(key)), None)
