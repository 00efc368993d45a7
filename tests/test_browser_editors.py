"""The editors' workspace in a real browser (Playwright + Debian's Chromium), on the `run` process model:
sign in, add a source with the Tester, see it crawled and its health, correct a tag and see it survive a recrawl,
hide a document, mark one « À la une »."""

from __future__ import annotations

import re
import threading
import time

import pytest
from editors_support import ADMIN, CentreSite, make_app, make_services

from crpv_watch.indexing.writer import Indexer
from crpv_watch.search.types import SearchRequest
from crpv_watch.worker.runtime import start_background

pytestmark = pytest.mark.browser


@pytest.fixture
def live(tmp_path):
    from werkzeug.serving import make_server

    site = CentreSite().start()
    site.add("jardins", "Jardins partagés au pied des immeubles")
    site.add("emploi", "Emploi des jeunes : un forum dans le quartier")
    svc = make_services(tmp_path)
    scheduler = start_background(svc, mode="run")
    server = make_server("127.0.0.1", 0, make_app(svc), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"base": f"http://127.0.0.1:{server.server_port}", "site": site, "svc": svc}
    server.shutdown()
    scheduler.shutdown(wait=False)
    svc.close()
    site.stop()


def wait_until(page, predicate, timeout=60.0, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
        page.reload()
    raise AssertionError(f"timed out: {what}")


def test_editor_workflow(page, live):
    base, site, svc = live["base"], live["site"], live["svc"]

    # sign in
    page.goto(f"{base}/editeurs/sources/")
    assert "/connexion" in page.url
    page.get_by_label("Adresse e-mail").fill(ADMIN[0])
    page.get_by_label("Mot de passe").fill(ADMIN[1])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/editeurs/sources/$"))

    # add a source, Tester first
    page.get_by_role("link", name="Ajouter une source").click()
    page.get_by_label("Identifiant").fill("centre-navigateur")
    page.get_by_label("Nom du centre ou du site").fill("Centre <b>navigateur</b>")
    page.get_by_label("Page d'accueil").fill(f"{site.base}/")
    page.get_by_label("Flux RSS ou Atom").fill(f"{site.base}/feed/")
    page.get_by_label("Hôtes du réseau privé autorisés").fill("127.0.0.1")
    page.get_by_role("button", name="Tester").click()
    report = page.locator(".tester-report")
    assert "2 documents candidats" in report.inner_text()
    assert "Jardins partagés au pied des immeubles" in report.inner_text()
    assert "collecte autorisée" in report.inner_text()
    assert "centre-navigateur" not in svc.settings.sources_path.read_text(encoding="utf-8")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r"/editeurs/sources/centre-navigateur$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Centre <b>navigateur</b>"  # escaped, shown as text

    # crawl it now and watch its health
    page.get_by_role("button", name="Collecter maintenant").click()
    page.wait_for_url(re.compile(r"/editeurs/collectes/$"))
    page.goto(f"{base}/editeurs/sources/centre-navigateur")
    wait_until(page, lambda: "Nouveaux" in page.inner_text("main") and "terminée" in page.inner_text("main"),
               what="the crawl to finish")
    health = page.inner_text("main")
    assert re.search(r"Nouveaux\s+2", health) and "Aucune erreur." in health
    page.goto(f"{base}/editeurs/sources/")
    row = page.locator("#source-centre-navigateur")
    assert "terminée" in row.inner_text() and "2 nouveaux" in row.inner_text()

    # correct a tag on the document page, then recrawl: the correction survives
    page.goto(f"{base}/editeurs/documents/?source=centre-navigateur&q=Emploi")
    page.get_by_role("link", name="Emploi des jeunes : un forum dans le quartier").click()
    doc_url = page.url
    doc_id = doc_url.rsplit("/", 1)[1]
    page.get_by_role("link", name="Corriger les thèmes et le type").click()
    label = svc.vocabulary.theme_label("egalite_femmes_hommes")
    form = page.locator("section.curation form")
    form.get_by_label(label, exact=True).check()
    form.get_by_role("button", name="Enregistrer la correction").click()
    site.docs["emploi"] = "Emploi des jeunes : un forum dans le quartier (mis à jour)"
    page.goto(f"{base}/editeurs/collectes/")
    page.get_by_label("Source à collecter").select_option("centre-navigateur")
    page.get_by_role("button", name="Lancer maintenant").click()
    page.goto(doc_url)
    wait_until(page, lambda: "(mis à jour)" in page.inner_text("h1"), what="the recrawl to update the title")
    themes = page.locator("table", has_text="Thèmes attribués").inner_text()
    assert label in themes and "éditeur" in themes

    # mark « À la une »
    page.get_by_role("button", name="Mettre « À la une »").click()
    page.get_by_role("link", name="À la une", exact=True).click()
    assert "Emploi des jeunes : un forum dans le quartier (mis à jour)" in page.inner_text("main")

    # hide the other document: it leaves public search once the writer drained the queue
    page.goto(f"{base}/editeurs/documents/?source=centre-navigateur&q=Jardins")
    page.get_by_role("link", name="Jardins partagés au pied des immeubles").click()
    page.get_by_role("button", name="Masquer").click()
    assert "Masqué" in page.inner_text("main")
    Indexer(svc).drain()  # (the background drain does it within seconds; no need to wait for it here)
    hits = {h.title for h in svc.engine.search(SearchRequest(q="", per_page=50)).results}
    assert "Jardins partagés au pied des immeubles" not in hits
    page.goto(f"{base}/?q=jardins")
    assert "Jardins partagés au pied des immeubles" not in page.inner_text("main")
    assert doc_id
