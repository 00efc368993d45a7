"""The search page in a real browser (headless Chromium): query, results, facets, dates, chips, sort, history,
keyboard skip link; with the script (results swapped in place) and without it (plain links and forms)."""

from __future__ import annotations

import re

import pytest
from live_server import serve
from test_web_search import build_services

pytestmark = pytest.mark.browser


@pytest.fixture
def live_url(tmp_path):
    with serve(build_services(tmp_path)) as url:
        yield url


def titles(page) -> list[str]:
    return page.locator(".result-title a").all_inner_texts()


def count_text(page) -> str:
    return page.locator("#results-count strong").inner_text()


def test_search_then_filter_by_theme(page, live_url):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(live_url + "/")
    assert page.locator("#results-count strong").inner_text() == "10 documents"
    page.get_by_label("Mots-clés").fill("habitants")
    page.get_by_role("search").get_by_role("button", name="Rechercher").click()
    page.wait_for_url(re.compile(r"\?q=habitants"))
    before = count_text(page)
    assert before != "10 documents" and before.endswith("documents")
    assert page.locator(".result-title a").count() >= 1
    assert page.locator(".chip").count() == 0

    # A facet value is a plain link: clicking it filters without needing the script.
    page.locator('#facet-theme a.facet-link[data-value="participation_habitants"]').click()
    page.wait_for_url(re.compile(r"theme=participation_habitants"))
    assert count_text(page) == "3 documents"
    chip = page.locator('.chip[data-facet="theme"]')
    assert chip.count() == 1 and "Participation des habitants" in chip.inner_text()
    assert page.locator('#facet-theme input[value="participation_habitants"]').is_checked()

    # With the script, ticking a box submits the filter form at once.
    page.locator('#facet-theme input[value="participation_habitants"]').uncheck()
    page.wait_for_url(lambda url: "theme=" not in url)
    assert count_text(page) == before
    assert page.locator(".chip").count() == 0
    assert not errors, errors  # the CSP blocks nothing the page needs


def test_works_without_javascript(browser, live_url):
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_url + "/")
        page.locator('#facet-centre input[value="oriv"]').check()
        page.locator('#facet-type input[value="guide_methodologique"]').check()
        page.get_by_role("button", name="Appliquer les filtres").click()
        page.wait_for_url(re.compile(r"centre=oriv"))
        assert count_text(page) == "1 document"
        assert page.locator(".chip").count() == 2
    finally:
        context.close()


def test_skip_link_is_first_focusable(page, live_url):
    page.goto(live_url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.className, document.activeElement.textContent]")
    assert focused == ["skip-link", "Aller au contenu"]
    assert page.locator(".skip-link").is_visible()  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#contenu"
    assert page.evaluate("() => document.activeElement.id") == "contenu"


def test_dates_chips_and_oldest_first(page, live_url):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_url + "/")
    page.get_by_label("À partir du").fill("2021-01-01")
    page.get_by_label("Jusqu'au").fill("2023-12-31")
    page.get_by_role("button", name="Appliquer les filtres").click()
    page.wait_for_url(re.compile(r"from=2021-01-01&to=2023-12-31"))
    assert count_text(page) == "6 documents"
    chips = [t.split(" ×")[0] for t in page.locator(".chip").all_inner_texts()]
    assert chips == ["depuis le 1er janvier 2021", "jusqu'au 31 décembre 2023"]

    page.get_by_label("Trier par").select_option(label="Plus anciens")
    page.get_by_role("button", name="Trier").click()
    page.wait_for_url(re.compile(r"sort=date_asc"))
    assert titles(page)[0] == "Guide de la participation des habitants"  # 20 janvier 2021
    assert page.locator("#sort").input_value() == "date_asc"

    # Removing one chip keeps the other filter and the sort.
    page.locator('.chip[data-facet="from"]').click()
    page.wait_for_url(lambda url: "from=" not in url and "to=2023-12-31" in url and "sort=date_asc" in url)
    assert count_text(page) == "8 documents"
    assert titles(page)[0] == "Lutter contre les discriminations à l'embauche"  # 2019
    assert page.locator(".chip").count() == 1
    page.get_by_role("link", name="Retirer tous les filtres").click()
    page.wait_for_url(lambda url: "to=" not in url)
    assert count_text(page) == "10 documents" and page.locator(".chip").count() == 0
    assert not errors, errors


def test_script_swaps_results_announces_and_keeps_focus(page, live_url):
    page.goto(live_url + "/?q=habitants")
    first_doc = page.evaluate("() => document.timeOrigin")
    box = page.locator("#f-theme-participation_habitants")
    box.focus()
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"theme=participation_habitants"))
    page.wait_for_function("() => document.getElementById('search-announce').textContent.includes('3 documents')")
    # Same document (no reload), focus back on the same box, title and feed link in step with the state.
    assert page.evaluate("() => document.timeOrigin") == first_doc
    assert page.evaluate("() => document.activeElement.id") == "f-theme-participation_habitants"
    # The canonical URL of the state (to_params() order, empty date fields dropped), not the form's order.
    assert page.url.endswith("/?q=habitants&theme=participation_habitants")
    assert page.locator("#f-theme-participation_habitants").is_checked()
    assert page.title().startswith("« habitants » — 3 documents")
    feed = page.locator('link[rel="alternate"][type="application/atom+xml"]').get_attribute("href")
    assert "theme=participation_habitants" in feed

    # Back restores the previous state from its URL.
    page.go_back()
    page.wait_for_function("() => !location.search.includes('theme=')")
    page.wait_for_function("() => !document.querySelector('#f-theme-participation_habitants').checked")
    assert page.evaluate("() => document.timeOrigin") == first_doc


def test_did_you_mean_link(page, live_url):
    page.goto(live_url + "/?q=jardni")
    page.get_by_role("link", name="« jardin »").first.click()
    page.wait_for_url(re.compile(r"\?q=jardin$"))
    assert page.locator("#q").input_value() == "jardin"
    assert page.locator(".result-title a").count() >= 1


def test_everything_works_without_javascript(browser, live_url):
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_url + "/?q=habitants")
        page.locator('#facet-theme a.facet-link[data-value="participation_habitants"]').click()
        page.wait_for_url(re.compile(r"theme=participation_habitants"))
        assert count_text(page) == "3 documents"
        page.get_by_label("À partir du").fill("2022-01-01")
        page.get_by_role("button", name="Appliquer les filtres").click()
        page.wait_for_url(re.compile(r"from=2022-01-01"))
        assert count_text(page) == "2 documents"
        page.get_by_label("Trier par").select_option("date_asc")
        page.get_by_role("button", name="Trier").click()
        page.wait_for_url(re.compile(r"sort=date_asc"))
        assert titles(page) == ["Rénovation urbaine : retour d'expérience", "Un jardin partagé au cœur du quartier"]
        page.locator('.chip[data-facet="theme"]').click()
        page.wait_for_url(lambda url: "theme=" not in url)
        assert "from=2022-01-01" in page.url and count_text(page) == "2 documents"  # habitants since 2022
        page.locator(".result-title a").first.click()
        page.wait_for_url(re.compile(r"/documents/"))
        assert page.locator("h1").count() == 1
    finally:
        context.close()
