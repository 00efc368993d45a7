"""Exports of a search (CSV, RIS, CSL-JSON) read back with the readers reference managers use, and the document
page's citation_* meta tags (what the Zotero connector reads)."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from pathlib import Path

import jsonschema
import pytest
import rispy
from test_web_search import CORPUS, HOSTILE, doc_id

from crpv_watch.store.models import Document
from crpv_watch.web.public.citations import safe_cell

SCHEMA = json.loads((Path(__file__).parent / "data" / "csl-data-subset.schema.json").read_text(encoding="utf-8"))
PARTICIPATION = [n for n, row in enumerate(CORPUS) if "participation_habitants" in row[3]]


def titles_in_page_order(client, query: str) -> list[str]:
    html = client.get(f"/?{query}&sort=date").get_data(as_text=True)
    return [unescape(t) for t in re.findall(r'<h3 class="result-title"><a [^>]*>(.*?)</a>', html, re.S)]


def test_csv_export_has_every_result_of_the_search(client):
    resp = client.get("/export.csv?theme=participation_habitants&sort=date&page=2")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    # All the results, not the page the URL pointed at, in the page's order (newest first here).
    assert [r["titre"] for r in rows] == [CORPUS[n][1] for n in sorted(PARTICIPATION, key=lambda n: CORPUS[n][5],
                                                                        reverse=True)]
    first = rows[0]
    assert first["centre de ressources"] == "Profession Banlieue"
    assert first["date"] == "2023-03-01" and first["type de document"].startswith("Fiche expérience")
    assert "Participation des habitants" in first["thèmes"]
    assert first["page sur le site"].endswith(f"/documents/{doc_id(0)}")


def test_csv_cells_cannot_run_as_formulas(client, services):
    with services.db.session() as db:
        doc = db.get(Document, doc_id(4))
        doc.author = "=HYPERLINK(\"http://evil\")"
        doc.summary = "+33 1 23 45 67 89 -- un numéro"
    rows = list(csv.reader(io.StringIO(client.get("/export.csv?q=santé").get_data().decode("utf-8-sig"))))
    cells = [c for row in rows[1:] for c in row]
    assert "'=HYPERLINK(\"http://evil\")" in cells and "'+33 1 23 45 67 89 -- un numéro" in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert [safe_cell(v) for v in ("@SUM(A1)", "\tx", "-2", "ok")] == ["'@SUM(A1)", "'\tx", "'-2", "ok"]


def test_ris_export_reads_back_with_rispy(client, services):
    with services.db.session() as db:
        db.get(Document, doc_id(2)).author = "Marie Dupont ; Karim Benali"
    resp = client.get("/export.ris?q=habitants")
    assert resp.mimetype == "application/x-research-info-systems"
    entries = rispy.loads(resp.get_data(as_text=True))
    by_title = {e["title"]: e for e in entries}
    assert len(entries) == client.get("/api/search?q=habitants").get_json()["total"] > 1
    guide = by_title["Guide de la participation des habitants"]
    assert guide["type_of_reference"] == "BOOK"
    assert guide["authors"] == ["Marie Dupont", "Karim Benali"]
    assert guide["year"] == "2021" and guide["date"] == "2021/01/20"
    assert guide["publisher"] == "Labo Cités"
    assert "Participation des habitants" in guide["keywords"]
    assert guide["urls"] == ["http://127.0.0.1:9/labo-cites/doc-2"]
    assert guide["language"] == "fr"


def test_csl_json_export_is_valid_csl(client):
    resp = client.get("/export.json?q=compost")
    assert resp.mimetype == "application/vnd.citationstyles.csl+json"
    items = json.loads(resp.get_data())
    jsonschema.validate(items, SCHEMA)
    assert len(items) == 1
    item = items[0]
    assert item["title"].startswith(HOSTILE)  # text, as text: JSON needs no HTML escaping
    assert item["issued"] == {"date-parts": [[2024, 1, 8]]} and item["type"] == "webpage"
    assert item["publisher"] == "Profession Banlieue"


@pytest.mark.parametrize("path", ["/export?format=ris&q=jardin", "/api/export?format=ris&q=jardin"])
def test_format_parameter_and_api(client, path):
    entries = rispy.loads(client.get(path).get_data(as_text=True))
    assert {e["title"] for e in entries} == {CORPUS[0][1], f"{HOSTILE} Jardins et compost"}


def test_hidden_documents_and_unknown_formats(client):
    assert "masqué" not in client.get("/export.csv?q=jardin").get_data(as_text=True)
    assert client.get("/export.docx?q=jardin").status_code == 404
    assert client.get("/export?format=xls").status_code == 404


def test_results_page_links_to_the_exports(client):
    html = client.get("/?q=jardin&theme=participation_habitants&page=1").get_data(as_text=True)
    links = {unescape(h) for h in re.findall(r'href="(/export\.[a-z]+\?[^"]*)"', html)}
    assert links == {f"/export.{f}?q=jardin&theme=participation_habitants" for f in ("csv", "ris", "json")}
    for link in links:
        assert client.get(link).status_code == 200


def test_document_page_carries_citation_meta_tags(client, services):
    with services.db.session() as db:
        doc = db.get(Document, doc_id(4))
        doc.author = "Observatoire régional ; A. Martin"
        doc.places[0].url = "http://127.0.0.1:9/irev/etude.pdf"
    html = client.get(f"/documents/{doc_id(4)}").get_data(as_text=True)
    head = html.split("</head>")[0]
    meta = re.findall(r'<meta name="(citation_[a-z_]+)" content="([^"]*)">', head)
    values: dict[str, list[str]] = {}
    for name, content in meta:
        values.setdefault(name, []).append(unescape(content))
    assert values["citation_title"] == ["Étude sur la santé dans les quartiers prioritaires"]
    assert values["citation_author"] == ["Observatoire régional", "A. Martin"]
    assert values["citation_publication_date"] == ["2020/11/02"]
    assert values["citation_publisher"] == ["IREV"]
    assert values["citation_technical_report_institution"] == ["IREV"]
    assert values["citation_pdf_url"] == ["http://127.0.0.1:9/irev/etude.pdf"]


def test_meta_tags_are_escaped(client):
    html = client.get(f"/documents/{doc_id(9)}").get_data(as_text=True)
    assert "<script>alert" not in html.split("</head>")[0]
    assert 'content="&lt;script&gt;alert(1)&lt;/script&gt; Jardins et compost"' in html
