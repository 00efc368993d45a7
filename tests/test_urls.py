"""One URL builder (crpv_watch/urls.py) for pages, mails and feeds: each of its paths is the one the web answers."""

from __future__ import annotations

from flask import url_for

from crpv_watch import urls
from crpv_watch.search.types import SearchRequest
from crpv_watch.web.app import create_app


def test_every_address_is_the_route_of_the_web(services):
    app = create_app(services=services)
    req = SearchRequest(q='jardin "conseil citoyen" SAUF compost', theme=["sante"], qpv=["QN09301I"], page=3)
    query = [(k, v) for k, v in req.to_params() if k != "page"]
    with app.test_request_context():
        assert urls.search() == url_for("search.index")
        assert urls.search(req) == url_for("search.index", **_multi(query))
        assert urls.atom(req) == url_for("search.atom", **_multi(query))
        assert urls.api_search(req) == url_for("api.search", **_multi(query))
        assert urls.subscribe(req) == url_for("subscriptions.subscribe", **_multi(query))
        assert urls.document("a/b c") == url_for("search.document", doc_id="a/b c")
        assert urls.dossier("sante-2") == url_for("dossiers.show", slug="sante-2")
        assert urls.follow_dossier("sante & co") == url_for("subscriptions.subscribe", dossier="sante & co")
        for name in ("confirm", "manage", "unsubscribe"):
            assert getattr(urls, name)("tok.en-1") == url_for(f"subscriptions.{name}", token="tok.en-1")
    assert urls.absolute("https://veille.example.org/", "/documents/x") == "https://veille.example.org/documents/x"


def _multi(pairs):
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def test_no_route_is_written_by_hand_in_digest():
    from pathlib import Path

    digest = Path(urls.__file__).parent / "digest"
    for path in digest.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for route in ('"/documents', '"/abonnement', "'/abonnement", '"/search', '"/?', "/gerer/", "/confirmer/",
                      "/desinscription/"):
            assert route not in text, f"{path.name} writes {route} by hand: use crpv_watch.urls"
