"""Word-processing attachments (DOCX, ODT) and homepage feed autodiscovery, through the real crawl path on
loopback sites (tests/minisite.py): fetched, read in the sandboxed worker pool, tagged, stored and searchable;
hostile packages (zip bombs, DTDs, huge XML parts) refused by the worker's limits without harming the crawl."""

from __future__ import annotations

import io
import textwrap
import zipfile

import pytest
from faulty_server import FaultyServer
from minisite import MiniSite, article, crawl_setup, listing, text_for, totals

from crpv_watch.crawl import office_text
from crpv_watch.search.types import SearchRequest
from crpv_watch.sources.load import Source, load_sources

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def make_docx(title: str, body: str) -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, 1)
    document.add_paragraph(body)
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Date limite de dépôt"
    table.cell(0, 1).text = "15 mars 2025"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_odt(title: str, body: str) -> bytes:
    import odfdo

    document = odfdo.Document("text")
    document.meta.set_title(title)
    document.body.append(odfdo.Header(1, title))
    document.body.append(odfdo.Paragraph(body))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def rezip(package: bytes, replace: dict[str, bytes]) -> bytes:
    """The same package with some members' bytes replaced (or added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in replace:
                dst.writestr(info, src.read(info))
        for name, data in replace.items():
            dst.writestr(name, data)
    return out.getvalue()


def search(services, q: str):
    return services.engine.search(SearchRequest(q=q, per_page=50)).results


@pytest.fixture
def server():
    with FaultyServer() as srv:
        yield srv


def source(server, **kw) -> Source:
    return Source(id="mini", name="Mini", homepage=server.url("/"), private_hosts=["127.0.0.1"], **kw)


def test_docx_and_odt_attachments_are_crawled_and_searchable(tmp_path, server):
    site = MiniSite(server)
    links = "<p><a href='/docs/appel.docx'>Formulaire (Word)</a> <a href='/docs/fiche.odt'>Fiche (ODT)</a></p>"
    site.page("/ressources", listing(["/appel-a-projets"]))
    site.page("/appel-a-projets", article("appel", links=links))
    site.page("/docs/appel.docx", make_docx("Formulaire de candidature",
                                            "Le dossier zygomorphe " + text_for("docx", 6)), DOCX)
    # Download handlers often send office files as octet-stream: the URL and the zip signature decide.
    site.page("/docs/fiche.odt", make_odt("Fiche action jardin", "La fiche xylophage " + text_for("odt", 6)),
              "application/octet-stream")
    services, runner = crawl_setup(tmp_path, source(server, start_urls=[site.base + "/ressources"]))
    try:
        report = runner.run()
        t = totals(report)
        assert t["new"] == 3 and not t["errors"], report.to_json()
        assert "unsupported type" not in t["skipped_reasons"]
        [docx_hit] = search(services, "zygomorphe")
        assert docx_hit.url.endswith("/docs/appel.docx") and docx_hit.title == "Formulaire de candidature"
        [odt_hit] = search(services, "xylophage")
        assert odt_hit.url.endswith("/docs/fiche.odt") and odt_hit.title == "Fiche action jardin"
        assert search(services, "dépôt")  # table cells are text too
    finally:
        runner.close()
        services.close()


def test_hostile_packages_are_refused_and_the_crawl_goes_on(tmp_path, server):
    good = make_docx("Bon document", "Le document sain " + text_for("sain", 4))
    bomb = rezip(good, {"word/media/blank.bin": b"\0" * 60_000_000})
    laughs = rezip(good, {"word/document.xml": textwrap.dedent("""\
        <?xml version="1.0"?>
        <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
        <w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">&lol2;</w:document>
        """).encode()})
    site = MiniSite(server)
    links = "".join(f"<a href='/docs/{n}.docx'>{n}</a> " for n in ("bomb", "laughs", "notzip", "good"))
    site.page("/ressources", listing(["/page"]))
    site.page("/page", article("page", links=f"<p>{links}</p>"))
    for name, body in (("bomb", bomb), ("laughs", laughs), ("notzip", b"PK\x03\x04 not really"), ("good", good)):
        site.page(f"/docs/{name}.docx", body, DOCX)
    services, runner = crawl_setup(tmp_path, source(server, start_urls=[site.base + "/ressources"]))
    try:
        report = runner.run()
        t = totals(report)
        errors = {e["url"].rsplit("/", 1)[1]: e["error"] for e in t["errors"]}
        assert errors["bomb.docx"].startswith("DOCX: hostile: zip bomb"), errors
        assert errors["laughs.docx"].startswith("DOCX: hostile:") and "DTD" in errors["laughs.docx"], errors
        assert errors["notzip.docx"].startswith("DOCX: broken"), errors
        assert t["new"] == 2, report.to_json()  # the page and the good document, read after the hostile ones
        assert search(services, "sain")
    finally:
        runner.close()
        services.close()


def test_office_text_limits_without_a_worker():
    good = make_odt("Fiche", "Une fiche " + text_for("fiche", 3))
    assert office_text.extract(good)["title"] == "Fiche"
    huge = rezip(good, {"content.xml": b"<?xml version='1.0'?><a>" + b"x" * 61_000_000 + b"</a>"})
    assert office_text.extract(huge)["error"].startswith("hostile: ")
    hidden = rezip(good, {"styles.xml": b"<?xml version='1.0'?>" + b" " * 70_000 + b"<!DOCTYPE a []><a/>"})
    assert office_text.extract(hidden)["error"].startswith("hostile: ")  # no root element in its prolog window
    assert office_text.extract(rezip(good, {"content.xml": b"<a>"}))["error"].startswith("broken: ")
    import docx

    blank = io.BytesIO()
    docx.Document().save(blank)
    assert office_text.extract(blank.getvalue())["error"].startswith("no text")


def test_homepage_only_source_validates_and_is_crawled_through_its_autodiscovered_feed(tmp_path, server):
    site = MiniSite(server)
    feed_link = f"<link rel='alternate' type='application/atom+xml' title='Actualités' href='{site.base}/flux'>"
    site.page("/", listing([], head=feed_link))
    site.rss("/flux", [("/a", "2024-05-01T08:00:00Z"), ("/b", "2024-05-02T08:00:00Z")])
    site.page("/a", article("a"))
    site.page("/b", article("b"))
    path = tmp_path / "sources.yaml"
    path.write_text(textwrap.dedent(f"""\
        version: 1
        sources:
          - id: accueil-seul
            name: "Centre à la page d'accueil seule"
            homepage: "{site.base}/"
            private_hosts: ["127.0.0.1"]
        """), encoding="utf-8")
    sources = load_sources(path)  # refused before: "needs feeds, start_urls or sitemaps"
    services, runner = crawl_setup(tmp_path, *sources)
    try:
        report = runner.run()
        t = totals(report)
        assert t["new"] == 2 and not t["errors"], report.to_json()
        assert server.requests_for("/flux") and not server.requests_for("/sitemap.xml")
    finally:
        runner.close()
        services.close()


def test_feeds_are_autodiscovered_even_with_start_urls(tmp_path, server):
    site = MiniSite(server)
    site.page("/", listing([], head=f"<link rel='alternate' type='application/rss+xml' href='{site.base}/flux'>"))
    site.rss("/flux", [("/actu", "2024-05-01T08:00:00Z")])
    site.page("/ressources", listing(["/guide"]))
    site.page("/actu", article("actu"))
    site.page("/guide", article("guide"))
    services, runner = crawl_setup(tmp_path, source(server, start_urls=[site.base + "/ressources"]))
    try:
        report = runner.run()
        t = totals(report)
        assert t["new"] == 2 and not t["errors"], report.to_json()  # the feed's news and the listing's guide
    finally:
        runner.close()
        services.close()
