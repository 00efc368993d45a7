"""The search page on a phone (390 px) and a desktop, with and without JavaScript: results come first, filters
open behind « Filtres (n) », long facets get a narrowing box (script), the panorama's map areas are links."""

from __future__ import annotations

import pytest
from live_server import serve
from test_web_search import build_services

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    with serve(build_services(tmp_path_factory.mktemp("product"))) as url:
        yield url


def new_page(browser, viewport, javascript):
    context = browser.new_context(locale="fr-FR", viewport=viewport, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_first_result_within_the_first_screen_after_the_search_box_on_a_phone(browser, live_url, javascript):
    context, page = new_page(browser, PHONE, javascript)
    try:
        page.goto(live_url + "/?q=habitants")
        box = page.locator("#q").bounding_box()
        first = page.locator(".result-title").first.bounding_box()
        assert first["y"] > box["y"]
        assert first["y"] + first["height"] <= box["y"] + PHONE["height"], (box, first)
        # The filters wait behind their disclosure, and open with it.
        assert not page.locator("#facet-theme").is_visible()
        page.locator(".filters-toggle").click()
        assert page.locator("#facet-theme").is_visible()
        page.locator("#facet-form input[name=theme]").first.check()
        if not javascript:
            page.locator("#facet-form button[type=submit]").click()
        page.wait_for_url("**theme=**")
        page.wait_for_selector(".chip")
        assert "Filtres (1" in page.locator(".filters-toggle").inner_text()
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_filters_are_shown_on_a_desktop(browser, live_url, javascript):
    context, page = new_page(browser, DESKTOP, javascript)
    try:
        page.goto(live_url + "/")
        assert page.locator("#facet-theme").is_visible()
        assert not page.locator(".filters-toggle").is_visible()
        # Facet groups fold.
        summary = page.locator(".facet-box > .facet-summary").first
        summary.click()
        assert not page.locator("#facet-theme").is_visible()
    finally:
        context.close()


def test_a_long_facet_narrows_as_one_types(browser, live_url, monkeypatch):
    from crpv_watch.web.public import search

    monkeypatch.setattr(search, "FILTER_BOX_FROM", 2)  # the test corpus has four centres
    context, page = new_page(browser, DESKTOP, True)
    try:
        page.goto(live_url + "/")
        filterable = page.locator("[data-filterable]")
        assert filterable.count() >= 1
        box = filterable.first.locator(".facet-filter")
        box.fill("zzzz-nothing")
        assert filterable.first.locator(".facet-item:visible").count() == 0
        box.fill("irev")
        assert filterable.first.locator(".facet-item:visible").count() == 1
        box.fill("")
        assert filterable.first.locator(".facet-item:visible").count() >= 2
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_panorama_map_area_leads_to_the_filtered_search(browser, live_url, javascript, viewport):
    context, page = new_page(browser, viewport, javascript)
    try:
        page.goto(live_url + "/panorama?niveau=region")
        area = page.locator("a.map-area[aria-label^='Île-de-France']")
        assert area.is_visible()
        area.locator("path").first.click()
        page.wait_for_url("**/?region=11")
        assert page.locator("#results-count").is_visible()
    finally:
        context.close()
