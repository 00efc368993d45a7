"""axe-core in headless Chromium: no serious or critical WCAG 2.1 A/AA violation on the search page, a results
page with facets selected and a document page, at desktop and phone widths.

axe-core comes from npm, pinned in package-lock.json and installed by ``npm ci`` into node_modules/. Without it the
tests skip with a message, except under CI=true where they must run.
"""

from __future__ import annotations

import os

import pytest
from live_server import serve
from test_web_search import build_services, doc_id

from crpv_watch.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def axe_script():
    if not AXE.is_file():
        message = f"axe-core is not installed ({AXE}): run `npm ci` at the repository root"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return str(AXE)


@pytest.fixture
def live_url(tmp_path):
    with serve(build_services(tmp_path)) as url:
        yield url


def axe_violations(browser, url: str, axe_script: str, viewport: dict, prepare=None,
                   context_options: dict | None = None) -> list[str]:
    """``context_options``: more of Playwright's ``new_context`` options (a signed-in ``storage_state``)."""
    # The site's CSP forbids inline scripts, and add_script_tag inlines axe: bypass it for the audit only.
    context = browser.new_context(locale="fr-FR", bypass_csp=True, viewport=viewport, **(context_options or {}))
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(url)
        if prepare:
            prepare(page)
        page.add_script_tag(path=axe_script)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", TAGS)
    finally:
        context.close()
    return [f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] if isinstance(n["target"][0], str)
                                                                      else str(n["target"]) for n in v["nodes"][:5])
            for v in result["violations"] if v["impact"] in BLOCKING]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("path", [
    "/",
    "/?q=habitants&theme=participation_habitants&centre=labo-cites&type=guide_methodologique&from=2020-01-01",
    "/?q=jardin&sort=date_asc&page=1",
    "/?q=zzzzqqqq",
    "/?theme=participation&page=99",  # an unknown filter noticed, a page past the last
    "/panorama",
    "/panorama?niveau=region&par=centre&centre=irev",
])
def test_search_pages_have_no_serious_violations(browser, live_url, axe_script, path, viewport):
    assert axe_violations(browser, live_url + path, axe_script, VIEWPORTS[viewport]) == []


def test_document_page_has_no_serious_violations(browser, live_url, axe_script):
    def open_explanations(page):
        for details in page.locator("details").all():
            details.evaluate("d => d.open = true")

    for viewport in VIEWPORTS.values():
        assert axe_violations(browser, f"{live_url}/documents/{doc_id(0)}", axe_script, viewport,
                              prepare=open_explanations) == []


def test_results_after_a_script_update_have_no_serious_violations(browser, live_url, axe_script):
    """The region the script swaps in is audited too (ids, labels and live region after the swap)."""
    def tick_a_theme(page):
        page.locator('#facet-theme input[value="participation_habitants"]').check()
        page.wait_for_url(lambda url: "theme=participation_habitants" in url)

    assert axe_violations(browser, live_url + "/?q=habitants", axe_script, VIEWPORTS["desktop"],
                          prepare=tick_a_theme) == []


def test_editors_queries_page_has_no_serious_violations(browser, tmp_path, axe_script):
    from editors_support import EDITOR

    from crpv_watch.store import users
    from crpv_watch.store.models import QueryLog

    services = build_services(tmp_path)
    with services.db.session() as session:
        users.create_user(session, *EDITOR, role="editor")
        session.add(QueryLog(query="contrat de ville 2030", filters={}, total=0))

    def sign_in(page):
        page.get_by_label("Adresse e-mail").fill(EDITOR[0])
        page.get_by_label("Mot de passe").fill(EDITOR[1])
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(lambda url: "/editeurs/requetes" in url)
        assert page.locator("h1").inner_text() == "Requêtes sans résultat ou presque"

    with serve(services) as url:
        assert axe_violations(browser, url + "/editeurs/requetes/", axe_script, VIEWPORTS["desktop"],
                              prepare=sign_in) == []


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_editors_dashboard_with_charts_has_no_serious_violations(browser, tmp_path, axe_script, viewport):
    import datetime as dt

    from editors_support import EDITOR

    from crpv_watch.store import users
    from crpv_watch.store.models import CrawlError, CrawlRun

    services = build_services(tmp_path)
    with services.db.session() as session:
        users.create_user(session, *EDITOR, role="editor")
        run = CrawlRun(started_at=dt.datetime.now(), status="failed", source_ids=["irev"])
        run.errors.append(CrawlError(source_id="irev", url="http://127.0.0.1:9/", stage="fetch", error="refus"))
        session.add(run)

    def sign_in(page):
        page.get_by_label("Adresse e-mail").fill(EDITOR[0])
        page.get_by_label("Mot de passe").fill(EDITOR[1])
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(lambda url: url.rstrip("/").endswith("/editeurs"))
        assert page.locator("svg.chart").count() >= 1
        for details in page.locator("details").all():
            details.evaluate("d => d.open = true")

    with serve(services) as url:
        assert axe_violations(browser, url + "/editeurs/", axe_script, VIEWPORTS[viewport], prepare=sign_in) == []


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_password_reset_page_has_no_serious_violations(browser, tmp_path, axe_script, viewport):
    from editors_support import EDITOR

    from crpv_watch.store import users
    from crpv_watch.web.editors.reset_tokens import make_token

    services = build_services(tmp_path)
    with services.db.session() as session:
        user = users.create_user(session, *EDITOR, role="editor")
        session.flush()
        link = "/mot-de-passe/" + make_token(services.settings.secret, user)
    with serve(services) as url:
        assert axe_violations(browser, url + link, axe_script, VIEWPORTS[viewport]) == []
        assert axe_violations(browser, url + "/mot-de-passe/abime", axe_script, VIEWPORTS[viewport]) == []
