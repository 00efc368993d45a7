"""Sources in the workspace: health, the validated form, the Tester, the atomic write-back, the schedule."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from editors_support import ADMIN, EDITOR, add_document, login, make_app, make_services, post
from faulty_server import FaultyServer

from crpv_watch.sources.load import Source, load_sources
from crpv_watch.sources.tester import run_tester
from crpv_watch.sources.write import refresh_if_changed, remember_stamp
from crpv_watch.store.models import AuditLog, CrawlError, CrawlRun, CrawlRunSource
from crpv_watch.worker.scheduler import sync_crawl_jobs

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)

FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Flux test</title>
<link>{base}/</link><description>d</description>
<item><title>Jardins partagés au pied des immeubles</title><link>{base}/doc/1</link></item>
<item><title>Conseil citoyen : bilan</title><link>{base}/doc/2</link></item>
</channel></rss>"""
LISTING = """<!doctype html><html><head><title>Ressources</title></head><body><main>
<h1>Ressources</h1><ul><li><a href="/doc/3">Guide de la participation</a></li>
<li><a href="/doc/4">Étude sur l'emploi des jeunes</a></li></ul></main></body></html>"""


@pytest.fixture
def svc(tmp_path):
    svc = make_services(tmp_path)
    yield svc
    svc.close()


@pytest.fixture
def client(svc):
    client = make_app(svc).test_client()
    login(client, *EDITOR)
    return client


def form_data(**changes) -> dict:
    data = {"id": "nouveau-centre", "name": "Nouveau centre", "homepage": "https://nouveau.example/",
            "region": "84", "feeds": "https://nouveau.example/feed/", "start_urls": "", "schedule": "weekly",
            "enabled": "y", "save": "Enregistrer"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def errors_of(html: str, field: str) -> str:
    match = re.search(rf'<p class="error-text" id="{field}-error">(.*?)</p>', html, re.S)
    return unescape(match.group(1)) if match else ""


def test_adding_a_source_rewrites_the_file_and_keeps_comments(client, svc):
    path = svc.settings.sources_path
    before = path.read_text(encoding="utf-8")
    resp = post(client, "/editeurs/sources/nouvelle", form_data(), page="/editeurs/sources/nouvelle")
    assert resp.status_code == 302 and resp.headers["Location"] == "/editeurs/sources/nouveau-centre"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(before)  # nothing above moved; comments, quotes and order kept
    assert "# a comment that must survive" in text and "# inferred" in text
    assert (path.parent / "sources.yaml.bak").read_text(encoding="utf-8") == before
    assert not list(path.parent.glob(".sources.yaml.*.tmp"))
    added = next(s for s in load_sources(path) if s.id == "nouveau-centre")
    assert added.schedule == "weekly" and added.region == ["84"] and added.private_hosts == []
    assert svc.source("nouveau-centre") is not None  # this process sees it at once
    with svc.db.session() as session:
        entry = session.query(AuditLog).filter_by(action="source.create").one()
        assert entry.user_email == EDITOR[0] and entry.target == "nouveau-centre" and entry.after["name"]


def test_bad_values_are_refused_next_to_their_field(client, svc):
    path = svc.settings.sources_path
    before = path.read_text(encoding="utf-8")
    resp = post(client, "/editeurs/sources/nouvelle",
                form_data(id="Pas Un Slug", homepage="ftp://x", feeds="pas une adresse", schedule="souvent",
                          max_pages="-3"), page="/editeurs/sources/nouvelle")
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Lettres minuscules" in errors_of(html, "id")
    assert "http://" in errors_of(html, "homepage")
    assert "pas une adresse" in errors_of(html, "feeds")
    assert "cron" in errors_of(html, "schedule")
    assert errors_of(html, "max_pages")
    assert 'aria-describedby="id-hint id-error"' in html and 'aria-invalid="true"' in html
    assert path.read_text(encoding="utf-8") == before


def test_the_cli_validation_is_applied_too(client, svc):
    # A duplicate id passes the form's own checks; the CLI validation of the candidate file catches it.
    resp = post(client, "/editeurs/sources/nouvelle", form_data(id="centre-test"), page="/editeurs/sources/nouvelle")
    assert resp.status_code == 400
    assert "identifiant en double" in errors_of(resp.get_data(as_text=True), "id")
    assert len(load_sources(svc.settings.sources_path)) == 1


def test_a_homepage_only_source_is_accepted(svc, client):
    # No feed, no listing page: the crawl autodiscovers the homepage's feeds (tests/test_crawl_discovery.py).
    resp = post(client, "/editeurs/sources/nouvelle", form_data(feeds=""), page="/editeurs/sources/nouvelle")
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:500]
    [source] = [s for s in load_sources(svc.settings.sources_path) if s.feeds == [] and s.start_urls == []]
    assert source.homepage


def test_private_addresses_are_refused_unless_an_admin_allows_them(svc, client):
    for url in ("http://10.0.0.5/", "http://127.0.0.1:8080/", "http://intranet.example/"):
        resp = post(client, "/editeurs/sources/nouvelle", form_data(homepage=url), page="/editeurs/sources/nouvelle")
        assert resp.status_code == 400, url
        assert "réseau privé" in errors_of(resp.get_data(as_text=True), "homepage"), url
    # an editor cannot list private hosts
    resp = post(client, "/editeurs/sources/nouvelle",
                form_data(homepage="http://10.0.0.5/", private_hosts="10.0.0.5"), page="/editeurs/sources/nouvelle")
    assert "Seul un administrateur" in errors_of(resp.get_data(as_text=True), "private_hosts")
    # an admin can, host by host
    admin = make_app(svc).test_client()
    login(admin, *ADMIN)
    resp = post(admin, "/editeurs/sources/nouvelle",
                form_data(homepage="http://10.0.0.5/", feeds="http://10.0.0.5/feed", private_hosts="10.0.0.5"),
                page="/editeurs/sources/nouvelle")
    assert resp.status_code == 302
    assert svc.source("nouveau-centre").private_hosts == ["10.0.0.5"]
    # and not a link-local (metadata) address, whatever the list says
    resp = post(admin, "/editeurs/sources/nouvelle",
                form_data(id="metadonnees", homepage="http://169.254.169.254/", feeds="http://169.254.169.254/f",
                          private_hosts="169.254.169.254"), page="/editeurs/sources/nouvelle")
    assert resp.status_code == 400
    assert "jamais autorisée" in errors_of(resp.get_data(as_text=True), "homepage")


def test_an_editor_edit_keeps_the_admins_private_hosts_but_not_their_urls(client, svc):
    resp = post(client, "/editeurs/sources/centre-test/modifier",
                form_data(id="centre-test", name="Centre renommé", homepage="http://127.0.0.1:9/",
                          feeds="http://127.0.0.1:9/feed/"),
                page="/editeurs/sources/centre-test/modifier")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    text = svc.settings.sources_path.read_text(encoding="utf-8")
    assert 'name: Centre renommé   # a comment that must survive' in text or "Centre renommé" in text
    assert '- "http://127.0.0.1:9/feed/"   # inferred' in text  # unchanged item: quotes and comment kept
    assert svc.source("centre-test").private_hosts == ["127.0.0.1"]
    # Adding a URL to a source that reaches the private network is an admin's decision.
    changed = form_data(id="centre-test", name="Centre renommé", homepage="http://127.0.0.1:9/",
                        feeds="http://127.0.0.1:9/feed/\nhttp://127.0.0.1:9/autre-flux/")
    resp = post(client, "/editeurs/sources/centre-test/modifier", changed, page="/editeurs/sources/centre-test/modifier")
    assert resp.status_code == 400
    assert "seul un administrateur" in errors_of(resp.get_data(as_text=True), "homepage")
    admin = make_app(svc).test_client()
    login(admin, *ADMIN)
    resp = post(admin, "/editeurs/sources/centre-test/modifier", {**changed, "private_hosts": "127.0.0.1"},
                page="/editeurs/sources/centre-test/modifier")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    source = svc.source("centre-test")
    assert source.private_hosts == ["127.0.0.1"] and source.feeds[1] == "http://127.0.0.1:9/autre-flux/"


def test_concurrent_edit_is_detected(client, svc):
    html = client.get("/editeurs/sources/centre-test/modifier").get_data(as_text=True)
    stamp = re.search(r'id="stamp" name="stamp" type="hidden" value="([^"]+)"', html).group(1)
    path = svc.settings.sources_path
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited by hand\n", encoding="utf-8")
    resp = post(client, "/editeurs/sources/centre-test/modifier",
                form_data(id="centre-test", homepage="http://127.0.0.1:9/", feeds="http://127.0.0.1:9/feed/",
                          stamp=stamp), page="/editeurs/sources/centre-test/modifier")
    assert resp.status_code == 400 and "modifié entre-temps" in resp.get_data(as_text=True)


def test_disable_and_enable(client, svc):
    resp = post(client, "/editeurs/sources/centre-test/activation", {"enabled": "0"})
    assert resp.status_code == 302
    assert not svc.source("centre-test").enabled
    assert "enabled: false" in svc.settings.sources_path.read_text(encoding="utf-8")
    post(client, "/editeurs/sources/centre-test/activation", {"enabled": "1"})
    assert svc.source("centre-test").enabled


def test_tester_shows_what_would_be_found_without_saving(client, svc):
    with FaultyServer(robots="User-agent: *\nDisallow: /prive/\n") as site:
        base = f"http://{site.netloc}"
        site.route("/feed/", lambda r: r.send(200, FEED.format(base=base).encode(), "application/rss+xml"))
        site.route("/ressources/", lambda r: r.send(200, LISTING.encode()))
        site.route("/", lambda r: r.send(200, b"<html><head><title>Accueil test</title></head><body></body></html>"))
        admin = make_app(svc).test_client()
        login(admin, *ADMIN)
        before = svc.settings.sources_path.read_text(encoding="utf-8")
        resp = post(admin, "/editeurs/sources/nouvelle",
                    form_data(homepage=f"{base}/", feeds=f"{base}/feed/", start_urls=f"{base}/ressources/",
                              private_hosts="127.0.0.1", save=None, test="Tester"),
                    page="/editeurs/sources/nouvelle")
    html = unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200
    assert "4 documents candidats" in html
    assert "Jardins partagés au pied des immeubles" in html and "Guide de la participation" in html
    assert "Accueil test" in html and "collecte autorisée" in html and "robots.txt lu" in html
    assert svc.settings.sources_path.read_text(encoding="utf-8") == before


def test_tester_reports_unreachable_hubs(svc):
    admin = make_app(svc).test_client()
    login(admin, *ADMIN)
    with FaultyServer() as site:
        base = f"http://{site.netloc}"
        resp = post(admin, "/editeurs/sources/nouvelle",
                    form_data(homepage=f"{base}/status/500", feeds=f"{base}/status/404",
                              private_hosts="127.0.0.1", save=None, test="Tester"),
                    page="/editeurs/sources/nouvelle")
    html = unescape(resp.get_data(as_text=True))
    assert "le serveur a répondu 404 (page introuvable)" in html and "Erreur" in html
    assert "le serveur a répondu 500 (erreur interne du serveur)" in html
    assert '<small class="tech-detail">HTTP 404</small>' in html


SITEMAP = """<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/ressources/guide-jardins</loc><lastmod>2025-01-02</lastmod></url>
<url><loc>{base}/ressources/etude-sante</loc></url></urlset>"""


def test_tester_follows_the_crawlers_discovery_autodiscovery_and_sitemaps(svc):
    """No feed, no listing page: like a crawl, the Tester finds the feed the homepage announces and the
    sitemap robots.txt names, and counts their candidates."""
    with FaultyServer() as site:
        base = f"http://{site.netloc}"
        site.robots = f"User-agent: *\nAllow: /\nSitemap: {base}/plan.xml\n"
        site.route("/accueil", lambda r: r.send(200, (
            '<html><head><title>Accueil</title><link rel="alternate" type="application/rss+xml" '
            f'href="{base}/feed/"></head><body></body></html>').encode()))
        site.route("/feed/", lambda r: r.send(200, FEED.format(base=base).encode(), "application/rss+xml"))
        site.route("/plan.xml", lambda r: r.send(200, SITEMAP.format(base=base).encode(), "application/xml"))
        source = Source(id="t", name="T", homepage=f"{base}/accueil", private_hosts=["127.0.0.1"],
                        sitemaps=True)
        report = run_tester(svc.settings, source)
    kinds = {h.kind: h for h in report.hubs}
    assert kinds["homepage"].feeds == [f"{base}/feed/"]
    assert kinds["feed"].count == 2 and "Jardins partagés au pied des immeubles" in kinds["feed"].titles
    assert kinds["sitemap"].ok and kinds["sitemap"].count == 2
    assert report.total == 4 and report.failures == 0


def test_health_page_shows_runs_errors_and_failing_sources(client, svc):
    now = dt.datetime(2025, 3, 1, 10, 0)
    with svc.db.session() as session:
        for n in range(3):
            run = CrawlRun(started_at=now + dt.timedelta(days=n), finished_at=now + dt.timedelta(days=n),
                           status="completed", source_ids=["centre-test"])
            run.sources.append(CrawlRunSource(source_id="centre-test", status="completed", fetched=2,
                                              error_count=1))
            run.errors.append(CrawlError(source_id="centre-test", url="http://127.0.0.1:9/feed/", stage="fetch",
                                         error="connection refused"))
            session.add(run)
    html = unescape(client.get("/editeurs/sources/").get_data(as_text=True))
    assert "en échec depuis 3 collectes" in html and 'class="row-failing' in html
    assert "http://127.0.0.1:9/feed/" in html and "connexion refusée : aucun service sur ce port" in html
    assert '<small class="tech-detail">connection refused</small>' in html
    assert "Prochaine collecte" in html
    detail = unescape(client.get("/editeurs/sources/centre-test").get_data(as_text=True))
    assert "en échec depuis 3 collectes consécutives" in detail and "connexion refusée" in detail


def test_the_schedule_follows_the_file_without_restart(svc, tmp_path):
    scheduler = BackgroundScheduler(timezone=svc.settings.timezone)
    calls = []
    remember_stamp(svc)
    assert sync_crawl_jobs(scheduler, svc, calls.append)
    assert [j.id for j in scheduler.get_jobs()] == ["crawl:centre-test"]
    assert not sync_crawl_jobs(scheduler, svc, calls.append)  # nothing changed
    # another process (the web) rewrites the file: the crawling process reloads and re-syncs
    other = make_app(svc)  # same file, another app: stands for a gunicorn worker
    client = other.test_client()
    login(client, *EDITOR)
    post(client, "/editeurs/sources/nouvelle", form_data(), page="/editeurs/sources/nouvelle")
    post(client, "/editeurs/sources/centre-test/activation", {"enabled": "0"})
    refresh_if_changed(svc)
    assert sync_crawl_jobs(scheduler, svc, calls.append)
    assert [j.id for j in scheduler.get_jobs()] == ["crawl:nouveau-centre"]
    assert "day_of_week='sun'" in str(scheduler.get_job("crawl:nouveau-centre").trigger)


def test_tester_names_the_cause_dns_connection_http(svc):
    from crpv_watch.sources.load import Source
    from crpv_watch.sources.tester import run_tester

    def no_such_name(host):
        raise OSError("[Errno -2] Name or service not known")

    report = run_tester(svc.settings, Source(id="x", name="x", homepage="http://centre-inconnu.example/"),
                        resolver=no_such_name)
    assert "nom de domaine introuvable (DNS)" in report.hubs[0].error
    assert "interdit par robots.txt" not in report.hubs[0].error
    closed = Source(id="y", name="y", homepage="http://127.0.0.1:9/", private_hosts=["127.0.0.1"])
    report = run_tester(svc.settings, closed)
    assert "connexion refusée" in report.hubs[0].error
    with FaultyServer(robots="User-agent: *\nAllow: /\n") as site:
        site.route("/accueil", lambda r: r.send(503, b"maintenance"))
        report = run_tester(svc.settings, Source(id="z", name="z", homepage=f"http://{site.netloc}/accueil",
                                                 private_hosts=[site.netloc.split(":")[0]]))
    assert report.hubs[0].error == "le serveur a répondu 503 (service indisponible)"
    assert report.hubs[0].error_detail == "HTTP 503"


def test_tester_works_with_only_a_homepage(client, svc):
    with FaultyServer(robots="User-agent: *\nAllow: /\n") as site:
        base = f"http://{site.netloc}"
        site.route("/feed/", lambda r: r.send(200, FEED.format(base=base).encode(), "application/rss+xml"))
        site.route("/", lambda r: r.send(200, f'<html><head><title>Accueil</title><link rel="alternate" '
                                              f'type="application/rss+xml" href="{base}/feed/"></head><body></body>'
                                              f'</html>'.encode()))
        admin = make_app(svc).test_client()
        login(admin, *ADMIN)
        resp = post(admin, "/editeurs/sources/nouvelle", {"homepage": f"{base}/", "private_hosts": site.netloc.split(":")[0],
                                                          "test": "Tester"}, page="/editeurs/sources/nouvelle")
    html = unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200, html[:2000]
    assert f"{base}/feed/" in html and "documents candidats" in html
    assert "n'a pas été enregistrée" not in html


def test_documents_of_a_source_have_one_count_everywhere(client, svc):
    from crpv_watch.store.models import Place

    add_document(svc, "chez-nous", source_id="centre-test")
    add_document(svc, "ailleurs", source_id="autre-centre")
    with svc.db.session() as session:  # the other centre's document was also found at ours
        session.add(Place(document_id="ailleurs", source_id="centre-test", url="http://127.0.0.1:9/copie"))
    admin = make_app(svc).test_client()
    login(admin, *ADMIN)
    from crpv_watch.store import workspace

    with svc.db.session() as session:
        shown = workspace.source_health(session, ["centre-test"])["centre-test"].documents
    facet = {f["value"]: f["count"] for f in admin.get("/api/facets").get_json()["facets"]["centre"]}
    assert shown == facet["centre-test"] == 1
