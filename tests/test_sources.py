"""sources.yaml: the repository's file is valid, and every kind of mistake is reported with file:line and field."""

from __future__ import annotations

import re
import textwrap

import pytest

from crpv_watch.settings import PROJECT_ROOT
from crpv_watch.sources.load import Source, SourcesError, load_sources, validate_sources

SOURCES_YAML = PROJECT_ROOT / "sources.yaml"
STATUSES = ("verified_page", "verified_code", "inferred", "memory", "historical")


def write(tmp_path, text: str):
    path = tmp_path / "sources.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_repository_sources_are_valid():
    assert validate_sources(SOURCES_YAML) == []
    sources = load_sources(SOURCES_YAML)
    assert all(isinstance(s, Source) for s in sources)
    ids = [s.id for s in sources]
    assert len(ids) == len(set(ids)) == 17
    assert sum(s.enabled for s in sources) == 12
    assert "reseau-crpv" in ids
    assert not any(s.private_hosts for s in sources)
    pb = next(s for s in sources if s.id == "profession-banlieue")
    assert pb.region == ["11"] and pb.departments == ["93"] and pb.feeds
    assert next(s for s in sources if s.id == "resovilles").region == ["53", "52"]


def test_every_url_carries_its_confidence_and_only_seen_sites_are_enabled():
    lines = SOURCES_YAML.read_text(encoding="utf-8").splitlines()
    url_lines = [ln for ln in lines if '"http' in ln and not ln.lstrip().startswith("#")
                 and (ln.strip().startswith("- \"http") or "homepage:" in ln)]
    assert url_lines
    for line in url_lines:
        assert re.search(r"#\s*(" + "|".join(STATUSES) + ")", line), line
    homepage_status = {}
    current = None
    for line in lines:
        if m := re.match(r"\s*- id: (\S+)", line):
            current = m.group(1)
        elif "homepage:" in line and current and not line.lstrip().startswith("#"):
            homepage_status[current] = re.search(r"#\s*(\w+)", line).group(1)
    for source in load_sources(SOURCES_YAML):
        seen = homepage_status[source.id] in ("verified_page", "verified_code")
        assert source.enabled == seen, source.id


def test_every_centre_of_the_shared_list_is_listed(shared_dir):
    import yaml

    centres = yaml.safe_load((shared_dir / "domain" / "crpv_centres.yaml").read_text(encoding="utf-8"))
    text = SOURCES_YAML.read_text(encoding="utf-8")
    loaded = {s.id for s in load_sources(SOURCES_YAML)}
    for centre in centres["centres"]:
        if centre.get("url"):
            assert centre["id"] in loaded, centre["id"]
        else:  # no known website: listed, commented out
            assert f"# - id: {centre['id']}" in text


BROKEN = """\
    sources:
      - id: alpha
        name: "Alpha"
        homepage: "ftp://alpha.example/"
        region: 84
        feeds: "https://alpha.example/feed"
        shedule: weekly
        themes: [sante, jeunese]
        enabled: yes
        max_pages: 0
        exclude: ["(unclosed"]
      - id: alpha
        name: "Alpha bis"
        homepage: "https://alpha.example/"
        region: ["99"]
        schedule: "0 25 * * *"
        crawl_delay: "2s"
        start_urls: ["https://alpha.example/list", "not a url"]
      - name: "No id"
        homepage: "https://x.example/"
        schedule: sometimes
        feeds: ["https://x.example/feed"]
"""


def test_broken_file_reports_every_problem_with_line_and_field(tmp_path):
    path = write(tmp_path, BROKEN)
    problems = validate_sources(path)
    found = {(p.line, p.field) for p in problems}
    expected = {
        (4, "homepage"),  # ftp scheme
        (5, "region"),  # integer instead of a quoted code
        (6, "feeds"),  # string instead of a list
        (7, "shedule"),  # unknown key
        (8, "themes"),  # unknown theme id
        (9, "enabled"),  # "yes" is a string in YAML 1.2
        (10, "max_pages"),
        (11, "exclude"),  # invalid regex
        (12, "id"),  # duplicate
        (15, "region"),  # unknown region code
        (16, "schedule"),  # invalid cron
        (17, "crawl_delay"),
        (18, "start_urls"),  # invalid URL
        (19, "id"),  # missing id
        (21, "schedule"),
    }
    assert expected <= found, sorted(found)
    with pytest.raises(SourcesError) as err:
        load_sources(path)
    message = str(err.value)
    assert len(err.value.problems) == len(problems)
    assert message.startswith(f"{len(problems)} problèmes dans {path} :\n")
    assert (f"{path}, ligne 7 : champ « shedule » de la source « alpha » : clé inconnue (vouliez-vous dire "
            "« schedule » ?)") in message
    assert (f"{path}, ligne 12 : champ « id » de la source « alpha » : identifiant en double (déjà défini "
            "ligne 2)") in message
    assert "vouliez-vous dire « jeunesse » ?" in message
    assert (f"{path}, ligne 5 : champ « region » de la source « alpha »" in message
            and 'mettez-le entre guillemets : "84"' in message)
    assert f"{path}, ligne 16 : champ « schedule » de la source « alpha » : expression cron invalide" in message
    assert f"{path}, ligne 15 : champ « region » de la source « alpha » : code INSEE inconnu « 99 »" in message
    assert f"{path}, ligne 19 : champ « id » de la source n° 3 : clé obligatoire absente" in message


def test_bad_yaml_reports_the_parser_line(tmp_path):
    path = write(tmp_path, """\
        sources:
          - id: a
            name: "A"
            homepage: [https://a.example/
        """)
    problems = validate_sources(path)
    assert len(problems) == 1
    assert str(problems[0]).startswith(f"{path}, ligne ")
    assert problems[0].line >= 4 and "YAML invalide" in problems[0].message
    with pytest.raises(SourcesError, match="YAML invalide"):
        load_sources(path)


def test_duplicate_yaml_key_is_an_error_not_a_silent_override(tmp_path):
    path = write(tmp_path, """\
        sources:
          - id: a
            name: "A"
            homepage: "https://a.example/"
            homepage: "https://b.example/"
        """)
    [problem] = validate_sources(path)
    assert problem.line == 5 and "clé en double" in problem.message
    assert 'détail technique : while constructing a mapping found duplicate key "homepage"' in problem.message


def test_valid_minimal_and_full_entries(tmp_path):
    path = write(tmp_path, """\
        version: 1
        sources:
          - id: demo-centre
            name: "Centre de démonstration"
            homepage: "http://127.0.0.1:8001/"
            region: "84"
            feeds: ["http://127.0.0.1:8001/feed.xml"]
            start_urls: []
            include: ['^http://127\\.0\\.0\\.1:8002/.*\\.pdf$']
            exclude: ['/tag/']
            themes: [participation_habitants]
            schedule: "30 6 * * 1-5"
            enabled: true
            private_hosts: [127.0.0.1]
            crawl_delay: 0
            max_pages: 5
            max_depth: 2
          - id: minimal
            name: "Minimal"
            homepage: "https://minimal.example/"
            enabled: false
        """)
    assert validate_sources(path) == []
    demo, minimal = load_sources(path)
    assert demo.region == ["84"] and demo.schedule == "30 6 * * 1-5" and demo.private_hosts == ["127.0.0.1"]
    assert demo.crawl_delay == 0.0 and demo.max_pages == 5 and demo.max_depth == 2
    assert minimal.schedule == "daily" and minimal.feeds == [] and minimal.private_hosts == []


def test_a_homepage_only_source_is_valid(tmp_path):
    # Its feeds are autodiscovered from the homepage (sitemaps as the last resort): see test_crawl_discovery.
    path = write(tmp_path, """\
        sources:
          - id: accueil
            name: "Accueil seul"
            homepage: "https://accueil.example/"
        """)
    assert validate_sources(path) == []
    [source] = load_sources(path)
    assert source.enabled and source.feeds == [] and source.start_urls == []


def test_top_level_mistakes(tmp_path):
    path = write(tmp_path, """\
        source:
          - id: a
        """)
    fields = {p.field for p in validate_sources(path)}
    assert {"source", "sources"} <= fields
    assert "vouliez-vous dire « sources » ?" in str(validate_sources(path)[0])


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_sources(tmp_path / "absent.yaml")
