"""« À la une » and hiding, seen where they matter, in Chromium: an editor marks a document « À la une » on its
editors' page and finds it at the top of a subscriber's letter in the digest preview (`/editeurs/digests/`, the
subscriber picked from the list), then hides another document and sees it leave both the public search and the
preview.

The documents are honestly "new" for the subscriber: a loopback centre is crawled once (its back catalogue, never
in a letter), the subscriber is added and confirmed with the CLI, and only then does the centre publish the
documents that the second crawl brings (undated pages: they count as published when found, so within
``digest_max_age_days``).
"""

from __future__ import annotations

import os
import re
import threading
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from editors_support import EDITOR, CentreSite, make_app, make_services
from test_browser_a11y import AXE, VIEWPORTS, axe_violations
from werkzeug.serving import make_server

from crpv_watch.cli import main
from crpv_watch.crawl.run import CrawlRunner
from crpv_watch.indexing.writer import Indexer
from crpv_watch.store.models import Document

pytestmark = pytest.mark.browser

SOURCE = "centre-demo"
THEME = "participation_habitants"
SUBSCRIBER = "cheffe.projet@mairie-exemple.fr"
BACK_CATALOGUE = "Conseil citoyen : le guide de la première mandature"
FEATURED = "Conseil citoyen et budget participatif : la démarche du quartier des Tilleuls"
HIDDEN = "Fresque participative avec les habitants du conseil citoyen"
OTHER = "Marche exploratoire des habitantes avec le conseil citoyen"


@pytest.fixture
def world(tmp_path):
    site = CentreSite().start()
    site.add("guide-mandature", BACK_CATALOGUE)
    svc = make_services(tmp_path, sources=site.sources_yaml(SOURCE))
    runner = CrawlRunner(svc)
    server = None
    try:
        first = runner.run([SOURCE])
        assert sum(s.new for s in first.sources) == 1, first

        cli = ["--data-dir", str(svc.settings.data_dir), "--sources", str(svc.settings.sources_path)]
        result = CliRunner().invoke(main, [*cli, "subscribers", "add", SUBSCRIBER, "--theme", THEME, "--confirmed"],
                                    env={"CRPV_WATCH_SECRET_KEY": "test-secret"})
        assert result.exit_code == 0, result.output

        site.add("budget-tilleuls", FEATURED)
        site.add("fresque", HIDDEN)
        site.add("marche-exploratoire", OTHER)
        second = runner.run([SOURCE])
        assert sum(s.new for s in second.sources) == 3, second
        with svc.db.session() as db:
            docs = {d.title: d for d in db.query(Document).all()}
            assert {t: docs[t].from_first_crawl for t in (BACK_CATALOGUE, FEATURED, HIDDEN, OTHER)} == {
                BACK_CATALOGUE: True, FEATURED: False, HIDDEN: False, OTHER: False}
            untagged = [t for t in (FEATURED, HIDDEN, OTHER) if THEME not in {x.theme_id for x in docs[t].themes}]
            assert not untagged, f"not tagged {THEME}: {untagged}"

        server = make_server("127.0.0.1", 0, make_app(svc), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield {"base": f"http://127.0.0.1:{server.server_port}", "svc": svc}
    finally:
        if server is not None:
            server.shutdown()
        runner.close()
        svc.close()
        site.stop()


def sections(text: str) -> dict[str, list[str]]:
    """The text letter's blocks (« == title == »), each with the titles of its documents (« * title »)."""
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        heading = re.fullmatch(r"== (.+) ==", line.strip())
        if heading:
            current = out.setdefault(heading.group(1), [])
        elif line.strip() == "--":
            current = None
        elif current is not None and line.startswith("* "):
            current.append(line[2:].strip())
    return out


def preview_of(page, base: str, email: str) -> dict[str, list[str]]:
    """Opens the editors' digest page, picks ``email`` in the subscriber list and returns the letter's blocks."""
    page.goto(f"{base}/editeurs/digests/")
    page.get_by_label("Abonné", exact=True).select_option(email)
    page.get_by_role("button", name="Voir l'aperçu", exact=True).click()
    page.wait_for_url(re.compile(r"/editeurs/digests/\?email="))
    assert page.get_by_role("heading", name=f"Lettre de {email}").is_visible()
    return sections(page.locator("pre.digest-preview").inner_text())


def open_editor_page(page, base: str, title: str) -> None:
    page.goto(f"{base}/editeurs/documents/?source={SOURCE}")
    page.get_by_role("link", name=title, exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == title


def public_search(page, base: str, q: str) -> str:
    page.goto(f"{base}/?q={q}")
    return page.inner_text("main")


def sign_in(page) -> None:
    page.get_by_label("Adresse e-mail").fill(EDITOR[0])
    page.get_by_label("Mot de passe").fill(EDITOR[1])
    page.get_by_role("button", name="Se connecter").click()


def test_featured_on_top_of_the_preview_and_hidden_gone(browser, page, world):
    base, svc = world["base"], world["svc"]

    # sign in as an editor (not an admin)
    page.goto(f"{base}/editeurs/digests/")
    assert "/connexion" in page.url
    sign_in(page)
    page.wait_for_url(re.compile(r"/editeurs/digests/$"))

    # before any choice: the three new documents under the alert, nothing « À la une », no back catalogue
    before = preview_of(page, base, SUBSCRIBER)
    assert "À la une" not in before
    listed = [t for titles in before.values() for t in titles]
    assert sorted(listed) == sorted([FEATURED, HIDDEN, OTHER])

    # mark one « À la une » from its editors' page
    open_editor_page(page, base, FEATURED)
    page.get_by_role("button", name="Mettre « À la une »").click()
    assert "Document mis « À la une » pour la prochaine lettre." in page.inner_text("main")
    assert page.get_by_role("button", name="Retirer de « À la une »").is_visible()

    # the preview has it in its « À la une » block, on top, and only there
    after = preview_of(page, base, SUBSCRIBER)
    assert list(after)[0] == "À la une"
    assert after["À la une"] == [FEATURED]
    rest = [t for block, titles in after.items() if block != "À la une" for t in titles]
    assert sorted(rest) == sorted([HIDDEN, OTHER])
    # the HTML version too
    page.get_by_role("link", name="Version HTML").click()
    featured_block = page.locator("h2", has_text="À la une").locator("xpath=following-sibling::table[1]")
    assert FEATURED in featured_block.inner_text()
    assert HIDDEN not in featured_block.inner_text()

    # hide another document: it leaves public search and the letter
    assert HIDDEN in public_search(page, base, "fresque")
    open_editor_page(page, base, HIDDEN)
    page.get_by_role("button", name="Masquer").click()
    assert "Document masqué" in page.inner_text("main")
    Indexer(svc).drain()  # what the index writer of `run` / `worker` does within seconds
    assert HIDDEN not in public_search(page, base, "fresque")
    assert OTHER in public_search(page, base, "marche")  # the search itself still works

    final = preview_of(page, base, SUBSCRIBER)
    assert final["À la une"] == [FEATURED]
    everything = [t for titles in final.values() for t in titles]
    assert HIDDEN not in everything and OTHER in everything
    assert HIDDEN not in page.inner_text("main")

    # the page with its subscriber list and a preview shown passes axe-core (WCAG 2.1 A/AA, serious or critical)
    if AXE.is_file():
        def prepare(axe_page):
            sign_in(axe_page)
            axe_page.wait_for_url(re.compile(r"/editeurs/digests/"))
            assert axe_page.locator("pre.digest-preview").is_visible()

        url = f"{base}/editeurs/digests/?email={quote(SUBSCRIBER)}"
        assert axe_violations(browser, url, str(AXE), VIEWPORTS["desktop"], prepare=prepare) == []
    elif os.environ.get("CI") == "true":
        pytest.fail(f"axe-core is not installed ({AXE}): run `npm ci` at the repository root")
