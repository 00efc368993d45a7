"""A source made of an OAI-PMH endpoint: a small repository on loopback (FaultyServer) serves Dublin Core
records over two pages (resumption token), then a deleted record, and a second endpoint answers broken XML."""

from __future__ import annotations

import textwrap
from xml.sax.saxutils import escape

import pytest
from faulty_server import FaultyServer
from minisite import MiniSite, article, crawl_setup, make_pdf, totals

from crpv_watch.crawl.oai_harvest import HarvestError, parse_page
from crpv_watch.search.types import SearchRequest
from crpv_watch.sources.load import OaiEndpoint, Source, validate_sources
from crpv_watch.store import repo
from crpv_watch.store.models import Document
from crpv_watch.web.app import create_app

HEAD = ("<?xml version='1.0' encoding='UTF-8'?><OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'>"
        "<responseDate>2026-03-04T10:00:00Z</responseDate><request>x</request>")


class Repository:
    """Records as (identifier, datestamp, deleted, dc fields); two records per page."""

    def __init__(self, site: MiniSite):
        self.site = site
        base = site.base
        self.records = [
            ("oai:pmb:1", "2026-03-01", False, {
                "title": ["Les conseils citoyens, cinq ans après"], "creator": ["Dupont, Marie", "Benali, Karim"],
                "date": ["2021"], "subject": ["Conseils citoyens", "Gouvernance locale"], "type": ["Rapport"],
                "description": ["Un bilan des conseils citoyens dans les quartiers."], "language": ["fre"],
                "identifier": [f"{base}/docs/cc.html"]}),
            ("oai:pmb:2", "2026-03-01", False, {
                "title": ["Accès aux soins des habitants"], "subject": ["Accès aux soins"], "type": ["Guide"],
                "description": ["Un guide pour les ateliers santé ville et l'accès aux soins."],
                "date": ["2023-05-12"]}),
            ("oai:pmb:3", "2026-03-02", False, {
                "title": ["Emploi des jeunes : étude régionale"], "subject": ["Insertion professionnelle"],
                "description": ["Une étude sur l'emploi des jeunes."], "relation": [f"{base}/docs/etude.pdf"]}),
        ]

    def serve(self, req) -> None:
        params = req.params
        if "resumptionToken" in params:
            if params["resumptionToken"] != "page-2":
                return req.send(200, (HEAD + "<error code='badResumptionToken'>non</error></OAI-PMH>").encode(),
                                "text/xml")
            chosen, token = self.records[2:], ""
        else:
            since = params.get("from", "")
            chosen = [r for r in self.records if r[1] >= since]
            chosen, token = (chosen[:2], "page-2") if len(chosen) > 2 else (chosen, "")
        if not chosen:
            return req.send(200, (HEAD + "<error code='noRecordsMatch'>rien</error></OAI-PMH>").encode(), "text/xml")
        body = "".join(self.record_xml(*r) for r in chosen)
        tail = f"<resumptionToken completeListSize='3' cursor='0'>{token}</resumptionToken>" if token else ""
        req.send(200, f"{HEAD}<ListRecords>{body}{tail}</ListRecords></OAI-PMH>".encode(), "text/xml; charset=utf-8")

    @staticmethod
    def record_xml(identifier: str, datestamp: str, deleted: bool, dc: dict[str, list[str]]) -> str:
        status = " status='deleted'" if deleted else ""
        header = f"<header{status}><identifier>{identifier}</identifier><datestamp>{datestamp}</datestamp></header>"
        if deleted:
            return f"<record>{header}</record>"
        fields = "".join(f"<dc:{k}>{escape(v)}</dc:{k}>" for k, values in dc.items() for v in values)
        return (f"<record>{header}<metadata><oai_dc:dc xmlns:oai_dc='http://www.openarchives.org/OAI/2.0/oai_dc/' "
                f"xmlns:dc='http://purl.org/dc/elements/1.1/'>{fields}</oai_dc:dc></metadata></record>")


@pytest.fixture
def catalogue(tmp_path):
    with FaultyServer() as server:
        site = MiniSite(server)
        repository = Repository(site)
        site.pages["/oai"] = repository.serve
        site.page("/docs/cc.html", article("cc", extra="<p>Le mot témoin zygomorphe ne figure que dans la page.</p>"))
        site.page("/docs/etude.pdf", make_pdf("etude"), "application/pdf")
        site.page("/oai-casse", b"<OAI-PMH><ListRecords><record>", "text/xml")
        source = Source(id="pmb", name="Catalogue PMB", homepage=server.url("/"), private_hosts=["127.0.0.1"],
                        oai_pmh=[OaiEndpoint(server.url("/oai")), OaiEndpoint(server.url("/oai-casse"))])
        services, runner = crawl_setup(tmp_path, source)
        try:
            yield server, repository, services, runner
        finally:
            runner.close()
            services.close()


def by_title(services) -> dict[str, Document]:
    with services.db.session() as db:
        return {d.title: d for d in repo.documents_after(db, "", 100)}


def test_records_become_searchable_documents_with_aligned_themes(catalogue):
    server, _repository, services, runner = catalogue
    report = totals(runner.run())
    assert report["new"] == 3
    assert any(e.path == "/oai" and e.params.get("resumptionToken") == "page-2" for e in server.log)
    docs = by_title(services)
    council = docs["Les conseils citoyens, cinq ans après"]
    assert council.author == "Dupont, Marie ; Benali, Karim"
    assert council.published.isoformat() == "2021-01-01" and council.language == "fr"
    assert council.doctype == "etude_rapport"
    assert {"signal": "Rapport", "field": "dc:type", "count": 1}.items() <= council.doctype_explanation[0].items()
    themes = {t.theme_id: t for t in council.themes}
    assert {"signal": "Conseils citoyens", "field": "dc:subject", "count": 1} in themes[
        "participation_habitants"].explanation
    assert council.meta["oai"]["keywords"] == ["Gouvernance locale"]  # unmatched subjects are kept
    assert "sante" in {t.theme_id for t in docs["Accès aux soins des habitants"].themes}
    assert docs["Accès aux soins des habitants"].doctype == "guide_methodologique"
    assert "emploi_insertion" in {t.theme_id for t in docs["Emploi des jeunes : étude régionale"].themes}
    # Full text: the page a record links, and the open PDF another one links.
    hits = services.engine.search(SearchRequest(q="zygomorphe")).results
    assert [h.title for h in hits] == ["Les conseils citoyens, cinq ans après"]
    assert docs["Emploi des jeunes : étude régionale"].meta["oai"]["full_text_from"].endswith("/docs/etude.pdf")
    themed = services.engine.search(SearchRequest(theme=["participation_habitants"])).results
    assert "Les conseils citoyens, cinq ans après" in [h.title for h in themed]
    # The page sends the reader to the document the record describes, not to the record's XML.
    page = create_app(services=services).test_client().get(f"/documents/{council.id}").get_data(as_text=True)
    assert f'class="button button-primary" href="{server.url("/docs/cc.html")}"' in page


def test_malformed_answer_is_an_error_not_a_crash(catalogue):
    _server, _repository, _services, runner = catalogue
    report = totals(runner.run())
    errors = [e for e in report["errors"] if e["url"].endswith("/oai-casse")]
    assert len(errors) == 1 and "illisible" in errors[0]["error"]
    assert report["new"] == 3  # the good endpoint was harvested all the same


def test_incremental_harvest_and_deleted_record(catalogue):
    server, repository, services, runner = catalogue
    runner.run()
    repository.records[1] = ("oai:pmb:2", "2026-03-05", True, {})
    server.log.clear()
    report = totals(runner.run())
    asks = [e.params for e in server.log if e.path == "/oai"]
    assert asks and asks[0].get("from") == "2026-03-04"  # the responseDate of the last complete harvest
    assert report["removed"] == 1 and report["new"] == 0
    docs = by_title(services)
    assert docs["Accès aux soins des habitants"].status == "removed"
    found = services.engine.search(SearchRequest(q="Accès aux soins des habitants", per_page=50)).results
    assert docs["Accès aux soins des habitants"].id not in {h.id for h in found}
    assert docs["Les conseils citoyens, cinq ans après"].status == "active"


def test_parse_page_errors():
    with pytest.raises(HarvestError, match="illisible"):
        parse_page(b"<OAI-PMH")
    with pytest.raises(HarvestError, match="badArgument"):
        parse_page((HEAD + "<error code='badArgument'>x</error></OAI-PMH>").encode())
    with pytest.raises(HarvestError, match="pas de l'OAI-PMH"):
        parse_page(b"<html/>")
    # An external entity is never read (no file, no network).
    evil = HEAD.replace("<OAI-PMH", "<!DOCTYPE OAI-PMH [<!ENTITY e SYSTEM 'file:///etc/hostname'>]><OAI-PMH", 1)
    evil += ("<ListRecords><record><header><identifier>oai:x:1</identifier><datestamp>2026-01-01</datestamp>"
             "</header><metadata><dc xmlns='http://purl.org/dc/elements/1.1/'><title>A&e;B</title></dc></metadata>"
             "</record></ListRecords></OAI-PMH>")
    assert parse_page(evil.encode()).records[0].dc["title"] == ["A&e;B"]  # left unexpanded


def test_sources_yaml_oai_entries_are_validated(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(textwrap.dedent("""\
        sources:
          - id: pmb
            name: Catalogue
            homepage: https://catalogue.example.org/
            oai_pmh:
              - https://catalogue.example.org/ws/oai
              - url: https://catalogue.example.org/ws/oai
                set: "theme:quartiers"
              - url: ftp://catalogue.example.org/oai
                metadata_prefix: marc21
                sett: x
        """), encoding="utf-8")
    problems = {(p.line, p.field): p.message for p in validate_sources(path)}
    assert problems[(9, "oai_pmh.url")].startswith("adresse invalide")
    assert "format non pris en charge « marc21 »" in problems[(10, "oai_pmh.metadata_prefix")]
    assert "set" in problems[(11, "oai_pmh.sett")]
    assert len(problems) == 3
