"""No English word nor raw code in front of French readers: the editors' pages (with runs, errors, audit
entries, digests and subscribers to show) and every CLI --help are scanned for a list of them."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from editors_support import ADMIN, add_document, login, make_app, make_services, post

from crpv_watch.digest.send import DeliveryError
from crpv_watch.store import audit
from crpv_watch.store.models import CrawlError, CrawlRun, CrawlRunSource, Digest, Subscriber
from crpv_watch.text.wording import period, value_fr, word

# Words that are not French, and codes the store keeps: none may show. Whole words, case-sensitive where
# a French word shares the letters (« source », « robots.txt » are fine).
ENGLISH = ("completed", "failed", "running", "interrupted", "active", "hidden", "purged", "empty", "pending",
           "sending", "sent", "bounced", "daily", "weekly", "fetch", "parse", "tagger", "title", "summary",
           "body", "featured", "True", "False", "None", "new", "updated", "unchanged", "errors", "status",
           "Repeat", "Usage", "Show this message", "Commands", "Arguments", "unsubscribed", "paused",
           # validation messages (sources.yaml, themes.yaml) and the fetcher's own words
           "problem", "problems", "field", "line", "unknown", "key", "expected", "got", "missing", "required",
           "invalid", "duplicate", "did you mean", "must", "item", "timeout", "Timeout", "ConnectTimeout", "connection",
           "refused", "not known", "Not Found", "Service Unavailable", "Internal Server Error", "error", "disallowed",
           "too large", "redirect", "broken", "unreachable")
CODES = re.compile(r"\b\d{4}-W\d\d\b|\b(document|source|user|crawl|index)\.[a-z_]+\b")


FETCHER_ERRORS = [
    ("http://centre-inconnu.example/", "DNS resolution failed for centre-inconnu.example: [Errno -2] Name or service "
                                       "not known"),
    ("http://127.0.0.1:9/a", "connection error: [Errno 111] Connection refused"),
    ("http://127.0.0.1:9/b", "timeout (total 20 s)"),
    ("http://127.0.0.1:9/c", "ConnectTimeout"),
    ("http://127.0.0.1:9/d", "HTTP 503"),
    ("http://127.0.0.1:9/e", "TLS error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has "
                             "expired (_ssl.c:1006)"),
    ("http://127.0.0.1:9/f", "robots.txt unreachable (HTTP 503): nothing is fetched from this host this run"),
    ("http://127.0.0.1:9/g", "too large (> 20000000 bytes)"),
]


class VisibleText(HTMLParser):
    """The text a reader sees: no markup, no attribute, no <code>, no address cell (URLs are not words), no
    technical detail (the second, smaller line under a French cause: a library's or the fetcher's own words)."""

    SKIP = {"script", "style", "code", "title", "textarea"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag in self.SKIP or "url" in classes or "tech-detail" in classes:
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
        for url, error in FETCHER_ERRORS:  # as crawl/fetch.py records them, in the words of the logs
            run.errors.append(CrawlError(source_id="centre-test", url=url, stage="fetch", error=error))
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
        refused = DeliveryError("permanent", "550 5.1.1 <lectrice@example.org>: Recipient address rejected: User "
                                "unknown in virtual mailbox table", 550)
        session.add(Digest(subscriber_id=sub.id, period="2026-W48", status="bounced", count=2, window_end=now,
                           last_error=refused.french()))  # as the sender records it
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
    assert re.search(rf'Centre de test</a></th><td class="num">{1 + len(FETCHER_ERRORS)}</td>', errors)


# --- validation and fetch errors: French causes, with file, line and field; technical words kept aside ----------

def french_part(text: str) -> str:
    """The text without the `` (détail technique : …)`` of each line: the library's words may stay English."""
    from crpv_watch.tagging.yamlcheck import split_technical

    return "\n".join(split_technical(line)[0] for line in text.splitlines())


BROKEN_SOURCES = """\
sources:
  - id: labo-cites
    name: "Labo des cités"
    homepage: "https://labo.example/"
    region: "84"
    shedule: weekly
    start_urls: ["htp:/labo.example/ressources"]
    exclude: ["(?<=x)y"]
  - id: autre
    name: "Autre"
    homepage: "https://autre.example/"
    schedule: "99 * * * *"
    max_pages: "beaucoup"
"""


def test_an_invalid_sources_file_is_told_in_french_with_file_line_and_field(tmp_path):
    from crpv_watch.cli import main

    svc = make_services(tmp_path, sources=BROKEN_SOURCES)
    path = svc.settings.sources_path
    expected = [
        f"{path}, ligne 6 : champ « shedule » de la source « labo-cites » : clé inconnue (vouliez-vous dire "
        "« schedule » ?)",
        f"{path}, ligne 7 : champ « start_urls » de la source « labo-cites » : adresse invalide "
        "« htp:/labo.example/ressources » : elle doit commencer par http:// ou https://",
        f"{path}, ligne 8 : champ « exclude » de la source « labo-cites » : expression régulière invalide "
        "« (?<=x)y » : regard en arrière (?<=…) ou (?<!…) non pris en charge",
        f"{path}, ligne 12 : champ « schedule » de la source « autre » : expression cron invalide « 99 * * * * » : "
        "une valeur dépasse le maximum du champ",
        f"{path}, ligne 13 : champ « max_pages » de la source « autre » : attendu : un nombre entier ; trouvé : "
        "du texte",
    ]
    result = CliRunner().invoke(main, ["sources", "validate", str(path)])
    assert result.exit_code == 1
    assert f"5 problèmes dans {path} :" in result.output
    for line in expected:
        assert line in result.output, result.output
    assert "(détail technique : invalid perl operator: (?<=)" in result.output  # RE2's words, kept
    assert offending(french_part(result.output)) == []
    # At start: the site refuses to start on it, with the same French lines.
    started = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "--sources", str(path), "serve",
                                        "--port", "0"])
    assert started.exit_code == 2 and started.output.startswith(f"Erreur : 5 problèmes dans {path} :")
    assert expected[1] in started.output
    # The editors' sources page lists the same lines, each library's words in a smaller second line.
    client = make_app(svc).test_client()
    login(client, *ADMIN)
    html = client.get("/editeurs/sources/").get_data(as_text=True)
    page = visible(html)
    assert "5 problèmes dans" in page
    for line in expected:
        assert " ".join(line.split()) in " ".join(unescape(page).split()), line
    assert '<small class="tech-detail">détail technique : invalid perl operator: (?&lt;=</small>' in html
    assert offending(page) == []


def test_one_problem_is_one_sentence_and_yaml_syntax_is_explained(tmp_path):
    from crpv_watch.sources.load import SourcesError, load_sources

    path = tmp_path / "sources.yaml"
    path.write_text(BROKEN_SOURCES.split("    shedule")[0], encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8") + '    start_urls: "https://labo.example/"\n', encoding="utf-8")
    with pytest.raises(SourcesError) as err:
        load_sources(path)
    assert str(err.value) == (f"1 problème dans {path}, ligne 6 : champ « start_urls » de la source « labo-cites » : "
                              "attendu : une liste de textes ; trouvé : du texte")
    path.write_text(BROKEN_SOURCES.replace('    region: "84"\n', '    name: "Bis"\n'), encoding="utf-8")
    with pytest.raises(SourcesError) as err:
        load_sources(path)
    message = str(err.value)
    assert message.startswith(f"1 problème dans {path}, ligne 5 : YAML invalide : clé en double dans une même entrée")
    assert offending(french_part(message)) == []


def test_fetch_failures_are_told_in_french_on_every_editors_page(tmp_path):
    """A real crawl and a real Tester against failing servers on loopback: every page names the cause in French
    and keeps the fetcher's words in the smaller line."""
    from faulty_server import FaultyServer

    from crpv_watch.crawl.run import CrawlRunner

    with FaultyServer(robots="User-agent: *\nAllow: /\n") as site:
        base = f"http://{site.netloc}"
        sources = f"""\
sources:
  - id: centre-en-panne
    name: "Centre en panne"
    homepage: "{base}/"
    feeds: ["{base}/status/503", "{base}/status/404"]
    start_urls: ["http://127.0.0.1:9/ressources/"]
    private_hosts: [127.0.0.1]
"""
        svc = make_services(tmp_path, sources=sources, max_retries=0)
        CrawlRunner(svc).run()
        client = make_app(svc).test_client()
        login(client, *ADMIN)
        pages = {path: client.get(path).get_data(as_text=True) for path in
                 ("/editeurs/sources/", "/editeurs/sources/centre-en-panne", "/editeurs/collectes/1")}
        app = make_app(svc)
        app.config["CRPV_RESOLVER"] = _no_such_name
        tester = app.test_client()
        login(tester, *ADMIN)
        form = {"homepage": f"{base}/status/503", "feeds": f"{base}/status/404\nhttp://127.0.0.1:9/feed/",
                "private_hosts": "127.0.0.1", "test": "Tester"}
        pages["Tester"] = post(tester, "/editeurs/sources/nouvelle", form, page="/editeurs/sources/nouvelle"
                               ).get_data(as_text=True)
    pages["Tester (DNS)"] = post(tester, "/editeurs/sources/nouvelle",
                                 {"homepage": "http://centre-inconnu.example/", "test": "Tester"},
                                 page="/editeurs/sources/nouvelle").get_data(as_text=True)
    for name, html in pages.items():
        assert offending(visible(html)) == [], name
    crawl = unescape(pages["/editeurs/collectes/1"])
    assert "le serveur a répondu 503 (service indisponible)" in crawl
    assert "le serveur a répondu 404 (page introuvable)" in crawl
    assert "connexion refusée : aucun service sur ce port (serveur arrêté ?)" in crawl
    assert '<small class="tech-detail">HTTP 503</small>' in crawl
    assert "le serveur a répondu 503 (service indisponible)" in unescape(pages["/editeurs/sources/centre-en-panne"])
    tested = unescape(pages["Tester"])
    assert "le serveur a répondu 503 (service indisponible)" in tested and "page introuvable" in tested
    assert "connexion refusée : aucun service sur ce port" in tested
    assert '<small class="tech-detail">HTTP 404</small>' in tested
    dns = unescape(pages["Tester (DNS)"])
    assert "nom de domaine introuvable (DNS)" in dns and "Name or service not known</small>" in dns


def _no_such_name(host: str):
    if host.replace(".", "").isdigit():
        return [host]
    raise OSError("[Errno -2] Name or service not known")


@pytest.mark.parametrize(("recorded", "cause"), [
    ("DNS resolution failed for x.example: [Errno -2] Name or service not known", "nom de domaine introuvable (DNS)"),
    ("connection error: [Errno 111] Connection refused", "connexion refusée : aucun service sur ce port"),
    ("ConnectTimeout", "délai de connexion dépassé"),
    ("timeout (total 20 s)", "délai dépassé : pas de réponse complète en 20 s"),
    ("HTTP 503", "le serveur a répondu 503 (service indisponible)"),
    ("HTTP 418", "le serveur a répondu 418 (requête refusée)"),
    ("HTTP 599", "le serveur a répondu 599 (erreur du serveur)"),
    ("TLS error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate",
     "certificat du site auto-signé"),
    ("refused address 10.1.2.3 (private)", "adresse refusée : 10.1.2.3 est une adresse privée"),
    ("robots.txt unreachable (HTTP 503): nothing is fetched from this host this run",
     "robots.txt illisible, le serveur a répondu 503"),
    ("too large (> 20000000 bytes)", "fichier trop volumineux (plus de 20 Mo)"),
    ("retry later (Retry-After 3600 s)", "le serveur demande d'attendre 3600 s"),
    ("broken feed: SAXParseException: not well-formed (invalid token)", "flux illisible"),
    ("KeyError: 'x'", "erreur inattendue du traitement"),
    ("something nobody foresaw", "erreur non reconnue"),
])
def test_each_kind_of_fetch_error_has_its_french_cause(recorded, cause):
    from crpv_watch.crawl.error_causes import explain

    explained = explain(recorded)
    assert explained.cause.startswith(cause) and explained.detail == recorded
    assert offending(explained.cause) == []
