"""/editeurs/requetes: the most frequent queries with zero or few results over the last 30 days, editors only."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from editors_support import EDITOR, login

from crpv_watch.store import users
from crpv_watch.store.models import QueryLog, utcnow

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)


def rows(html: str) -> list[tuple[str, str, str]]:
    """(query, times, results) of each table row."""
    return [(unescape(q), n, unescape(r)) for q, n, r in re.findall(
        r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>', html)]


def test_anonymous_readers_are_sent_to_sign_in(client):
    resp = client.get("/editeurs/requetes/")
    assert resp.status_code == 302 and "/connexion" in resp.headers["Location"]


def test_poorly_answered_queries_most_frequent_first(client, services):
    now = utcnow()
    with services.db.session() as session:
        users.create_user(session, *EDITOR, role="editor")
        for query, total, days_ago in [
            ("contrat de ville 2030", 0, 1), ("Contrat de ville 2030 ", 0, 2), ("contrat de ville 2030", 1, 3),
            ("gestion urbaine", 2, 1), ("gestion urbaine", 2, 5),
            ("tiers-lieux", 0, 1),
            ("jardin", 5, 1), ("jardin", 7, 1), ("jardin", 9, 1),  # well answered: not listed
            ("ancienne question", 0, 45),  # outside the 30 days
            ("", 0, 1),  # filters only: not a question in words
        ]:
            session.add(QueryLog(query=query, filters={}, total=total, at=now - dt.timedelta(days=days_ago)))
    login(client, *EDITOR)
    html = client.get("/editeurs/requetes/").get_data(as_text=True)
    assert "<h1>Requêtes sans résultat ou presque</h1>" in html
    assert rows(html) == [("contrat de ville 2030", "3", "0 à 1"), ("gestion urbaine", "2", "2"),
                          ("tiers-lieux", "1", "0")]
    assert 'href="/?q=tiers-lieux"' in html  # one click to see what readers saw
    older = client.get("/editeurs/requetes/?jours=60").get_data(as_text=True)
    assert ("ancienne question", "1", "0") in rows(older)


def test_searches_feed_the_page(client, services):
    client.get("/?q=zzzzqqqq")
    client.get("/?q=ZZZZQQQQ")
    client.get("/?q=habitants")  # five results: well answered
    with services.db.session() as session:
        users.create_user(session, *EDITOR, role="editor")
    login(client, *EDITOR)
    html = client.get("/editeurs/requetes/").get_data(as_text=True)
    assert [(q.lower(), n, r) for q, n, r in rows(html)] == [("zzzzqqqq", "2", "0")]
