"""/oai harvested by a real OAI-PMH client (oaipmh-scythe) over HTTP from a loopback server: every record, with
resumption tokens, deleted records, sets, incremental harvests and the protocol's errors."""

from __future__ import annotations

import datetime as dt
import threading
import xml.etree.ElementTree as ET

import pytest
from oaipmh_scythe import HTTPConfig, Scythe
from oaipmh_scythe.exceptions import (
    BadArgument,
    BadResumptionToken,
    BadVerb,
    CannotDisseminateFormat,
    IdDoesNotExist,
    NoRecordsMatch,
)
from oaipmh_scythe.iterator import OAIResponseIterator
from test_web_search import CORPUS, HIDDEN_TITLE, build_services, doc_id
from werkzeug.serving import make_server

from crpv_watch.store.models import Document
from crpv_watch.web.app import create_app

PAGE = 3
OAI = "{http://www.openarchives.org/OAI/2.0/}"


@pytest.fixture
def oai(tmp_path):
    """(base URL of /oai on a live loopback server, services); 3 records per answer to force resumption."""
    services = build_services(tmp_path, oai_page_size=PAGE, base_url="https://veille.example.org/")
    app = create_app(services=services)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/oai", services
    finally:
        server.shutdown()
        thread.join(timeout=5)
        services.close()


def harvest(url: str, **kwargs) -> list:
    with Scythe(url, http_config=HTTPConfig(timeout=30)) as scythe:
        return list(scythe.list_records(**kwargs))


def oai_id(n: int) -> str:
    return f"oai:veille.example.org:{doc_id(n)}"


def test_identify_and_formats(oai):
    url, _services = oai
    with Scythe(url) as scythe:
        identify = scythe.identify()
        assert identify.protocolVersion == "2.0"
        assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ" and identify.deletedRecord == "transient"
        assert identify.baseURL == "https://veille.example.org/oai"
        formats = list(scythe.list_metadata_formats())
        assert [f.metadataPrefix for f in formats] == ["oai_dc"]
        specs = {s.setSpec: s.setName for s in scythe.list_sets()}
    assert specs["centre:labo-cites"] == "Labo Cités"
    assert specs["theme:participation_habitants"] == "Participation des habitants"
    assert "type:guide_methodologique" in specs


def test_harvest_every_record_with_resumption(oai):
    url, _services = oai
    records = harvest(url)
    assert len(records) == len(CORPUS) + 1  # and the hidden one, as deleted
    assert len({r.header.identifier for r in records}) == len(records)
    live = {r.header.identifier: r for r in records if not r.deleted}
    assert set(live) == {oai_id(n) for n in range(len(CORPUS))}
    guide = live[oai_id(2)].metadata
    assert guide["title"] == ["Guide de la participation des habitants"]
    assert guide["publisher"] == ["Labo Cités"] and guide["date"] == ["2021-01-20"]
    assert "Participation des habitants" in guide["subject"]
    assert f"https://veille.example.org/documents/{doc_id(2)}" in guide["identifier"]
    assert "http://127.0.0.1:9/labo-cites/doc-2" in guide["identifier"]
    assert "centre:labo-cites" in live[oai_id(2)].header.setSpecs
    deleted = [r for r in records if r.deleted]
    assert len(deleted) == 1 and HIDDEN_TITLE not in ET.tostring(deleted[0].xml, encoding="unicode")


def test_resumption_tokens_and_sets(oai):
    url, _services = oai
    with Scythe(url, iterator=OAIResponseIterator) as scythe:
        pages = list(scythe.list_identifiers(metadata_prefix="oai_dc"))
    assert len(pages) == -(-(len(CORPUS) + 1) // PAGE)
    tokens = [p.xml.find(f".//{OAI}resumptionToken") for p in pages]
    assert all(t is not None for t in tokens)
    assert [int(t.get("cursor")) for t in tokens] == [PAGE * i for i in range(len(pages))]
    assert {t.get("completeListSize") for t in tokens} == {str(len(CORPUS) + 1)}
    assert not tokens[-1].text  # the last page's token is empty
    themed = harvest(url, set_="theme:participation_habitants")
    assert {r.header.identifier for r in themed} == {oai_id(n) for n, row in enumerate(CORPUS)
                                                     if "participation_habitants" in row[3]}
    assert {r.header.identifier for r in harvest(url, set_="centre:irev")} == {oai_id(4), oai_id(5)}


def test_incremental_harvest_sees_a_hidden_document_as_deleted(oai):
    url, services = oai
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(NoRecordsMatch):
        harvest(url, from_=later)
    with services.db.session() as db:
        doc = db.get(Document, doc_id(7))
        doc.status = "hidden"
        doc.updated_at = dt.datetime(2099, 1, 1)  # a datestamp after `later`, whatever the clock
    changed = harvest(url, from_=later)
    assert [(r.header.identifier, r.deleted) for r in changed] == [(oai_id(7), True)]
    with Scythe(url) as scythe:
        assert scythe.get_record(oai_id(7)).deleted


def test_status_change_moves_the_datestamp(oai):
    _url, services = oai
    with services.db.session() as db:
        doc = db.get(Document, doc_id(3))
        doc.updated_at = dt.datetime(2001, 1, 1)
    with services.db.session() as db:
        db.get(Document, doc_id(3)).status = "removed"
    with services.db.session() as db:
        assert db.get(Document, doc_id(3)).updated_at.year >= 2026


def test_protocol_errors(oai):
    url, _services = oai
    with Scythe(url) as scythe:
        with pytest.raises(BadVerb):
            scythe.harvest({"verb": "Dance"})
        with pytest.raises(BadArgument):
            scythe.harvest({"verb": "ListRecords"})  # no metadataPrefix
        with pytest.raises(BadArgument):
            scythe.harvest({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "hier"})
        with pytest.raises(BadArgument):
            scythe.harvest({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-01-01",
                            "until": "2021-01-01T00:00:00Z"})
        with pytest.raises(BadArgument):
            scythe.harvest({"verb": "Identify", "set": "x"})
        with pytest.raises(BadArgument):
            scythe.harvest({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "centre:inconnu"})
        with pytest.raises(CannotDisseminateFormat):
            scythe.harvest({"verb": "ListRecords", "metadataPrefix": "marc21"})
        with pytest.raises(IdDoesNotExist):
            scythe.get_record("oai:veille.example.org:inconnu")
        with pytest.raises(BadResumptionToken):
            scythe.harvest({"verb": "ListRecords", "resumptionToken": "forged"})
        with pytest.raises(BadArgument):
            scythe.harvest({"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"})


def test_post_is_accepted_without_csrf_token(oai):
    url, _services = oai
    with Scythe(url, http_config=HTTPConfig(http_method="POST")) as scythe:
        assert len(list(scythe.list_identifiers())) == len(CORPUS) + 1


def test_values_are_escaped(oai):
    url, _services = oai
    with Scythe(url, iterator=OAIResponseIterator) as scythe:
        raw = "".join(r.raw for r in scythe.list_records(set_="centre:profession-banlieue"))
    assert "<script>" not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
