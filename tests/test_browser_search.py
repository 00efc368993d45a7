"""The search page in a real browser (headless Chromium): query, results, a theme facet, keyboard skip link."""

from __future__ import annotations

import re
import threading

import pytest
from test_web_search import build_services
from werkzeug.serving import make_server

from crpv_watch.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def live_url(tmp_path):
    services = build_services(tmp_path)
    app = create_app(services=services)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    services.close()


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
