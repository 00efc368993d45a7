"""The site's public addresses, written once for pages, mails and feeds.

The web's routes answer at these paths (``tests/test_urls.py`` checks each against Flask's ``url_for``); the
digest mails, the confirmation mail and the subscription pages build their links here, never by hand.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import quote, urlencode

SEARCH = "/"
ATOM = "/search.atom"
API_SEARCH = "/api/search"
SUBSCRIBE = "/abonnement"


class HasParams(Protocol):
    def to_params(self) -> list[tuple[str, str]]: ...


def _with_query(path: str, req: HasParams | None) -> str:
    # The page number is a place in the results, not part of the search: links to a search start at page 1.
    pairs = [(k, v) for k, v in (req.to_params() if req is not None else []) if k != "page"]
    return path + ("?" + urlencode(pairs) if pairs else "")


def search(req: HasParams | None = None) -> str:
    return _with_query(SEARCH, req)


def atom(req: HasParams | None = None) -> str:
    return _with_query(ATOM, req)


def api_search(req: HasParams | None = None) -> str:
    return _with_query(API_SEARCH, req)


def subscribe(req: HasParams | None = None) -> str:
    return _with_query(SUBSCRIBE, req)


def document(doc_id: str) -> str:
    return f"/documents/{quote(doc_id)}"


def dossier(slug: str) -> str:
    return f"/dossiers/{quote(slug)}"


def follow_dossier(slug: str) -> str:
    """The subscription form for « recevoir les ajouts à ce dossier »."""
    return f"{SUBSCRIBE}?{urlencode([('dossier', slug)])}"


def confirm(token: str) -> str:
    return f"{SUBSCRIBE}/confirmer/{token}"


def manage(token: str) -> str:
    return f"{SUBSCRIBE}/gerer/{token}"


def unsubscribe(token: str) -> str:
    return f"{SUBSCRIBE}/desinscription/{token}"


def preview_placeholder() -> str:
    """The inert link editors' previews show instead of a subscriber's manage and unsubscribe links."""
    return f"{SUBSCRIBE}/lien-d-apercu"


def absolute(base_url: str, path: str) -> str:
    """``path`` on the site at ``base_url`` (the settings' public address), for mails and feeds."""
    return base_url.rstrip("/") + path
