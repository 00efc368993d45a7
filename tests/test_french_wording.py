"""No English word nor raw code in front of French readers: the editors' pages (with runs, errors, audit
entries, digests and subscribers to show) and every CLI --help are scanned for a list of them."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from editors_support import ADMIN, add_document, login, make_app, make_services

from crpv_watch.store import audit
from crpv_watch.store.models import CrawlError, CrawlRun, CrawlRunSource, Digest, Subscriber
from crpv_watch.text.wording import period, value_fr, word

# Words that are not French, and codes the store keeps: none may show. Whole words, case-sensitive where
# a French word shares the letters (« source », « robots.txt » are fine).
ENGLISH = ("completed", "failed", "running", "interrupted", "active", "hidden", "purged", "empty", "pending",
           "sending", "sent", "bounced", "daily", "weekly", "fetch", "parse", "tagger", "title", "summary",
           "body", "featured", "True", "False", "None", "new", "updated", "unchanged", "errors", "status",
           "Repeat", "Usage", "Show this message", "Commands", "Arguments", "unsubscribed", "paused")
CODES = re.compile(r"\b\d{4}-W\d\d\b|\b(document|source|user|crawl|index)\.[a-z_]+\b")


class VisibleText(HTMLParser):
    """The text a reader sees: no markup, no attribute, no <code>, no address cell (URLs are not words)."""

    SKIP = {"script", "style", "code", "title", "textarea"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag in self.SKIP or "url" in classes:
            self.skipping.append(tag)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def offending(text: str) -> list[str]:
    text = re.sub(r"\S+@\S+|https?://\S+|\S+\.(yaml|txt|json|py)\b", " ", text)  # addresses, file names
    text = re.sub(r"\balertes? actives?\b", " ", text)  # French after all
    found = [w for w in ENGLISH if re.search(rf"(?<![\w./-]){re.escape(w)}(?![\w/-])", text)]
    found += [m.group(0) for m in CODES.finditer(text)]
    return found


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


@pytest.fixture
def admin_client(tmp_path):
    svc = make_services(tmp_path)
    add_document(svc, "doc-1", title="Journée régionale", themes=[("sante", 0.9)])
    now = dt.datetime(2026, 12, 1, 10, 0)
    with svc.db.session() as session:
        run = CrawlRun(started_at=now, finished_at=now, status="completed", source_ids=["centre-test"])
        run.sources.append(CrawlRunSource(source_id="centre-test", status="empty", fetched=2, error_count=1))
        run.errors.append(CrawlError(source_id="centre-test", url="http://127.0.0.1:9/feed/", stage="fetch",
                                     error="connexion refusée"))
        session.add(run)
        failed = CrawlRun(started_at=now, finished_at=now, status="failed", source_ids=["centre-test"])
        failed.sources.append(CrawlRunSource(source_id="centre-test", status="failed", error_count=3))
        session.add(failed)
        audit.record(session, ADMIN[0], "document.hide", "doc-1", {"status": "active", "featured": False},
                     {"status": "hidden", "featured": True})
        audit.record(session, ADMIN[0], "source.update", "centre-test", {"schedule": "daily"},
                     {"schedule": "weekly"})
        sub = Subscriber(email="lectrice@example.org", status="active", frequency="daily",
                         consent_source="site:/abonnement", consent_at=now)
        session.add(sub)
        session.flush()
        session.add(Digest(subscriber_id=sub.id, period="2026-W49", status="empty", count=0, window_end=now))
    app = make_app(svc)
    client = app.test_client()
    login(client, *ADMIN)
    return client


EDITOR_PAGES = ["/editeurs/", "/editeurs/sources/", "/editeurs/sources/centre-test", "/editeurs/collectes/",
                "/editeurs/collectes/1", "/editeurs/collectes/2", "/editeurs/documents/",
                "/editeurs/documents/doc-1", "/editeurs/documents/a-revoir", "/editeurs/documents/a-la-une",
                "/editeurs/index/", "/editeurs/requetes/", "/editeurs/compte", "/editeurs/admin/comptes",
                "/editeurs/admin/journal", "/editeurs/digests/", "/editeurs/sources/nouvelle",
                "/documents/doc-1", "/panorama"]


def test_editors_pages_speak_french(admin_client):
    problems = {}
    for path in EDITOR_PAGES:
        resp = admin_client.get(path)
        assert resp.status_code == 200, path
        found = offending(visible(resp.get_data(as_text=True)))
        if found:
            problems[path] = found
    assert problems == {}


def test_audit_values_and_weeks_are_worded():
    assert period("2026-W49") == "semaine 49 (du 30 novembre au 6 décembre 2026)"
    assert period("2026-W01") == "semaine 1 (du 29 décembre 2025 au 4 janvier 2026)"
    assert value_fr("featured", True) == "oui" and value_fr("status", "hidden") == "masqué"
    assert value_fr("schedule", "daily") == "quotidienne" and word("fetch", "stage") == "téléchargement"
    assert word("journée", "field") == "journée"  # unknown codes pass through as they are


def cli_commands():
    from crpv_watch.cli import main

    def walk(group, path):
        yield path
        for name, command in getattr(group, "commands", {}).items():
            if command.hidden:  # aliases kept from earlier versions for scripts
                continue
            yield from walk(command, [*path, name])

    return list(walk(main, []))


@pytest.mark.parametrize("path", cli_commands(), ids=lambda p: " ".join(p) or "crpv-watch")
def test_cli_help_speaks_french(path):
    from crpv_watch.cli import main

    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert offending(result.output) == []


def test_dashboard_charts_of_sources_activity(admin_client):
    html = admin_client.get("/editeurs/").get_data(as_text=True)
    assert "Documents trouvés par mois" in html and 'aria-labelledby="found-0-title found-0-desc"' in html
    assert "Erreurs de collecte par source" in html
    errors = html.split('id="errors-title"', 1)[1]
    assert re.search(r'Centre de test</a></th><td class="num">1</td>', errors)
