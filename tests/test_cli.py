"""The command line, through Click's runner, against a real demo site over HTTP."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import free_demo_port

from crpv_watch.cli import main
from crpv_watch.demo import DemoNetwork

DEMO_PORT = free_demo_port()


@pytest.fixture(scope="module")
def network():
    net = DemoNetwork(port=DEMO_PORT)
    net.start()
    yield net
    net.stop()


@pytest.fixture
def cli(tmp_path, network, monkeypatch):
    sources = tmp_path / "sources.yaml"
    network.write_sources(sources)
    for name, value in {"CRAWL_DELAY": "0", "RETRY_BASE_DELAY": "0", "SECRET_KEY": "x"}.items():
        monkeypatch.setenv(f"CRPV_WATCH_{name}", value)
    runner = CliRunner()

    def invoke(*args, input=None):
        result = runner.invoke(main, ["--data-dir", str(tmp_path / "data"), "--sources", str(sources), *args],
                               input=input, catch_exceptions=False)
        return result

    invoke.sources = sources
    invoke.tmp = tmp_path
    return invoke


def pdf_site(network) -> str:
    return next(s["source_id"] for s in network.manifest["sites"] if s["shape"] == "pdf")


def test_crawl_json_and_search_agree(cli, network):
    site = pdf_site(network)
    result = cli("crawl", "--source", site, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= {"sources", "documents_total"}
    (source,) = report["sources"]
    assert set(source) >= {"id", "fetched", "new", "updated", "unchanged", "duplicates", "skipped", "removed",
                           "errors"}
    expected = [d for d in network.manifest["documents"] if d["source_id"] == site]
    assert source["new"] == len(expected) and source["fetched"] > len(expected)

    found = json.loads(cli("search", "", "--json", "--limit", "100").stdout)
    assert found["total"] == report["documents_total"] == len(expected)
    hit = found["results"][0]
    assert set(hit) >= {"id", "title", "url", "centre", "region", "themes", "type", "published", "snippet",
                        "found_at"}
    assert hit["centre"] == site and isinstance(hit["region"], str)
    assert set(found["facets"]) >= {"theme", "centre", "region", "type", "year"}
    for values in found["facets"].values():
        assert all(isinstance(v["value"], str) and v["label"] and v["count"] >= 0 for v in values)

    by_type = json.loads(cli("search", "", "--type", hit["type"], "--json").stdout)
    assert 0 < by_type["total"] <= found["total"]
    oldest = json.loads(cli("search", "", "--sort", "date_asc", "--language", "fr", "--json").stdout)["results"]
    dates = [r["published"] for r in oldest if r["published"]]
    assert dates and dates == sorted(dates)
    since = json.loads(cli("search", "", "--from", dates[-1], "--json").stdout)
    assert 0 < since["total"] < found["total"]
    text = cli("search", "", "--sort", "date", "--limit", "3")
    assert text.exit_code == 0 and "document(s)" in text.output

    rebuilt = cli("index", "rebuild")
    assert rebuilt.exit_code == 0 and f"{len(expected)} documents" in rebuilt.output
    assert json.loads(cli("search", "", "--json").stdout)["total"] == len(expected)


def test_sources_validate_and_list(cli, tmp_path):
    ok = cli("sources", "validate")
    assert ok.exit_code == 0 and "sources valides" in ok.output
    listed = json.loads(cli("sources", "list", "--json").stdout)
    assert listed and all(s["id"].startswith("demo-") for s in listed)

    broken = tmp_path / "broken.yaml"
    broken.write_text("sources:\n  - id: a\n    name: A\n    homepage: https://a.example/\n    feedz: []\n")
    bad = cli("sources", "validate", str(broken))
    assert bad.exit_code != 0
    assert f"{broken}, ligne 5 : champ « feedz »" in bad.output


def test_crawl_refuses_a_broken_sources_file(cli, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("sources: [\n")
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "d"), "--sources", str(broken), "crawl"])
    assert result.exit_code != 0
    assert str(broken) in result.output


def test_users_db_backup(cli):
    result = cli("users", "add", "redac@example.org", "--role", "admin", "--password", "un mot de passe long")
    assert result.exit_code == 0, result.output
    short = cli("users", "add", "x@example.org", "--password", "court")
    assert short.exit_code != 0
    backup = cli.tmp / "backup.db"
    assert cli("db", "backup", str(backup)).exit_code == 0
    assert backup.stat().st_size > 0
    assert cli("db", "upgrade").exit_code == 0
