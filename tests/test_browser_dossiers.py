"""Dossiers in a real browser, at desktop (1280 px) and phone (390 px) widths: axe-core finds no serious or critical
WCAG 2.1 A/AA violation on the public page (on screen and as printed), the list, the follow form, the editors'
pages and a results page with its « Ajouter à un dossier » forms open; and an editor adds a result to a dossier
from the results list and comes back to the same search, at that result."""

from __future__ import annotations

import pytest
from editors_support import EDITOR
from live_server import serve
from test_browser_a11y import VIEWPORTS, axe_violations
from test_web_search import build_services, doc_id

from crpv_watch.store import dossiers as dossier_store
from crpv_watch.store import users

pytestmark = pytest.mark.browser

SEARCH = "/?q=habitants&sort=date"


@pytest.fixture(scope="module")
def axe_script():
    from test_browser_a11y import AXE

    if not AXE.is_file():
        pytest.skip(f"axe-core is not installed ({AXE}): run `npm ci` at the repository root")
    return str(AXE)


@pytest.fixture
def site(tmp_path):
    """A served site with an editor and one published dossier of two annotated documents."""
    services = build_services(tmp_path)
    with services.db.session() as db:
        users.create_user(db, *EDITOR, role="editor")
        dossier = dossier_store.create(db, "Participation des habitants", "Une sélection.\n\nPour commencer.",
                                       EDITOR[0])
        dossier.published = True
        dossier_store.add_document(db, dossier, doc_id(2), "Le guide de référence.")
        dossier_store.add_document(db, dossier, doc_id(0), "")
        dossier_id, slug = dossier.id, dossier.slug
    with serve(services) as url:
        yield url, dossier_id, slug


@pytest.fixture
def signed_in(browser, site):
    """The storage state (session cookie) of a signed-in editor."""
    url = site[0]
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(url + "/connexion")
    page.get_by_label("Adresse e-mail").fill(EDITOR[0])
    page.get_by_label("Mot de passe").fill(EDITOR[1])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda u: "/editeurs" in u)
    state = context.storage_state()
    context.close()
    return {"storage_state": state}


def open_every_details(page):
    for details in page.locator("details").all():
        details.evaluate("d => d.open = true")


def as_printed(page):
    page.emulate_media(media="print")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_public_dossier_pages_have_no_serious_violations(browser, site, axe_script, viewport):
    url, _, slug = site
    size = VIEWPORTS[viewport]
    assert axe_violations(browser, f"{url}/dossiers/{slug}", axe_script, size) == []
    assert axe_violations(browser, f"{url}/dossiers/{slug}", axe_script, size, prepare=as_printed) == []
    assert axe_violations(browser, f"{url}/dossiers/", axe_script, size) == []
    assert axe_violations(browser, f"{url}/abonnement?dossier={slug}", axe_script, size) == []
    assert axe_violations(browser, f"{url}/abonnement", axe_script, size, prepare=open_every_details) == []


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_editors_dossier_pages_have_no_serious_violations(browser, site, signed_in, axe_script, viewport):
    url, dossier_id, _ = site
    size = VIEWPORTS[viewport]
    for path in ("/editeurs/dossiers/", f"/editeurs/dossiers/{dossier_id}", SEARCH, f"/documents/{doc_id(5)}"):
        assert axe_violations(browser, url + path, axe_script, size, prepare=open_every_details,
                              context_options=signed_in) == [], path


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_an_editor_adds_a_result_and_comes_back_to_the_search(browser, site, signed_in, viewport):
    url, _, slug = site
    context = browser.new_context(locale="fr-FR", viewport=VIEWPORTS[viewport], **signed_in)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(url + SEARCH)
        target = doc_id(5)  # « Rénovation urbaine : retour d'expérience »
        result = page.locator("li.result", has=page.locator(f"#r-{target}"))
        summary = result.locator("summary", has_text="Ajouter à un dossier")
        summary.focus()
        page.keyboard.press("Enter")  # a <details> opens from the keyboard
        note = result.get_by_label("Note pour les lecteurs")
        assert note.is_visible()
        box = note.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS[viewport]["width"]  # no overflow
        result.get_by_label("Dossier").select_option(label="Participation des habitants")
        note.fill("Un retour d'expérience utile.")
        result.get_by_role("button", name="Ajouter au dossier").click()
        page.wait_for_url(lambda u: u.endswith(f"{SEARCH}#r-{target}"))
        # Back where the editor was in the list: the result's title is on screen and has the focus.
        assert page.evaluate("document.activeElement.id") == f"r-{target}"
        assert page.locator(f"#r-{target}").evaluate(
            "e => { const r = e.getBoundingClientRect(); return r.top > -1 && r.bottom <= innerHeight; }")
        assert "Document ajouté au dossier « Participation des habitants »." in result.locator(
            ".result-flash").inner_text()  # said at the result, where the editor is
        assert "Dans le dossier : « Participation des habitants »" in page.locator(
            "li.result", has=page.locator(f"#r-{target}")).inner_text()
        public = context.new_page()
        public.goto(f"{url}/dossiers/{slug}")
        assert "Un retour d'expérience utile." in public.locator(".dossier-items").inner_text()
    finally:
        context.close()
