"""The parsers against real third-party material in ../shared/corpora (skipped when it is absent).

PDFs: every file through extract_pdf — no exception other than PdfError, no hang, bounded memory, text where
the oracles (expected-text files, PYPDF_PROFILE.tsv, SELECTION.json) say pypdf finds text. Feeds: every
feed through parse_feed without an exception, plus the bozo oracle of feedparser's own test feeds.
"""

from __future__ import annotations

import collections
import csv
import json
import re
import resource
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from crpv_watch.crawl import parse_pdf
from crpv_watch.crawl.parse_feed import parse_feed
from crpv_watch.crawl.parse_pdf import PdfError, extract_pdf

pytestmark = pytest.mark.shared
MIN_PROFILE_CHARS = 200  # pages where pypdf 7.1.1 found at least this much text must give us text


@pytest.fixture
def corpora(shared_dir) -> Path:
    shared = shared_dir / "corpora"
    if not shared.is_dir():
        pytest.skip(f"{shared} is absent")
    return shared


_PDF_CACHE: dict[Path, dict] = {}  # shared_dir is function-scoped; the ~280 PDFs are run once per session


@pytest.fixture
def pdf_results(corpora, tmp_path_factory):
    """{relative path: ("ok", ExtractedDocument) | ("error", reason)} for every PDF of the corpora."""
    if corpora not in _PDF_CACHE:
        _PDF_CACHE[corpora] = _run_pdfs(corpora, tmp_path_factory.mktemp("pdf"))
    return _PDF_CACHE[corpora]


def _run_pdfs(corpora: Path, data_dir: Path) -> dict:
    from conftest import fast_settings

    # The slowest file (pdfjs bug1978317.pdf, one page) takes 15 s of CPU alone; with the other test processes on
    # the same two cores it passed 30 s. 90 s still tells a slow file from a hung one.
    settings = fast_settings(data_dir, pdf_timeout=90.0, pdf_memory_mb=1024, pdf_workers=2)
    files = sorted(corpora.rglob("*.pdf"))
    crashes: list[str] = []

    def one(path: Path):
        rel = str(path.relative_to(corpora))
        try:
            return rel, ("ok", extract_pdf(f"https://corpus.example/{rel}", path.read_bytes(), settings))
        except PdfError as err:
            return rel, ("error", err.reason)
        except Exception as exc:  # noqa: BLE001 - the point is to count them
            crashes.append(f"{rel}: {type(exc).__name__}: {exc}")
            return rel, ("crash", str(exc))

    start = time.monotonic()
    with ThreadPoolExecutor(settings.pdf_workers) as ex:  # one thread per worker keeps the pool busy
        results = dict(ex.map(one, files))
    elapsed = time.monotonic() - start
    parse_pdf.shutdown()
    counts = collections.Counter(kind if kind != "error" else value.split(":")[0].split(" (")[0]
                                 for kind, value in results.values())
    print(f"\n{len(files)} PDFs in {elapsed:.1f} s: {dict(counts)}")
    assert not crashes, crashes
    return results


def test_every_pdf_opens_or_fails_cleanly(pdf_results):
    assert len(pdf_results) >= 250
    for rel, (kind, value) in pdf_results.items():
        assert kind in ("ok", "error"), rel
        if kind == "error":
            assert value.startswith(parse_pdf.REASONS), (rel, value)
            assert not value.startswith("timeout"), (rel, value)  # nothing in the corpora should hang
    # Workers (reaped children) stayed under their address-space cap; the largest RSS is what they used.
    max_child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert max_child_mb < 1100, max_child_mb
    assert pdf_results["pdfjs-test-subset/pdfs/bomb_giant.pdf"][0] == "error"


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def test_expected_text_files(pdf_results, corpora):
    """pypdf's own expected-text files: our (normalised) text holds their words."""
    pairs = {"pypdf-resources/resources/crazyones.txt": "pypdf-resources/resources/crazyones.pdf",
             # jpeg.txt is a hex dump of the image, not text: not an oracle for us.
             "pypdf-resources/resources/multicolumn-lorem-ipsum.txt":
                 "pypdf-sample-files/026-latex-multicolumn/multicolumn.pdf"}
    matched = 0
    for txt, pdf in pairs.items():
        expected = collections.Counter(_words((corpora / txt).read_text(encoding="utf-8", errors="replace")))
        kind, doc = pdf_results[pdf]
        if not expected:
            continue
        assert kind == "ok", (pdf, doc)
        got = collections.Counter(_words(doc.text))
        recall = sum((expected & got).values()) / sum(expected.values())
        assert recall >= 0.9, (pdf, recall)
        matched += 1
    assert matched == len(pairs)


def _profiles(corpora: Path):
    for tsv, prefix in ((corpora / "pypdf-resources/PYPDF_PROFILE.tsv", "pypdf-resources/"),
                        (corpora / "pdfminer-samples/PYPDF_PROFILE.tsv", "pdfminer-samples/"),
                        (corpora / "pypdf-sample-files/PYPDF_PROFILE.tsv", "pypdf-sample-files/")):
        if tsv.exists():
            with tsv.open(encoding="utf-8") as fh:
                for row in csv.DictReader(fh, delimiter="\t"):
                    yield prefix + row["path"], row
    selection = corpora / "pdfjs-test-subset/SELECTION.json"
    if selection.exists():
        for item in json.loads(selection.read_text(encoding="utf-8")):
            yield "pdfjs-test-subset/" + item["file"], {
                "pypdf_status": item.get("pypdf_status"), "encrypted": str(item.get("encrypted")),
                "chars_first3pages": str(item.get("chars_first3pages") or 0), "decrypt_empty_pw": ""}


def test_text_where_the_profiles_say_there_is_text(pdf_results, corpora):
    with_text = matched = 0
    misses = []
    for rel, row in _profiles(corpora):
        if rel not in pdf_results or row.get("pypdf_status") != "ok":
            continue
        if int(row.get("chars_first3pages") or 0) >= MIN_PROFILE_CHARS:
            with_text += 1
            kind, value = pdf_results[rel]
            if kind == "ok" and len(value.text) >= MIN_PROFILE_CHARS // 2:
                matched += 1
            else:
                misses.append((rel, value if kind == "error" else len(value.text)))
    print(f"\ntext oracle: {matched}/{with_text} PDFs with text according to the profiles; misses: {misses}")
    assert with_text >= 60
    assert matched / with_text >= 0.97, misses


def test_password_protected_files_are_encrypted_errors(pdf_results, corpora):
    checked = 0
    for rel, row in _profiles(corpora):
        if rel in pdf_results and row.get("encrypted") == "True" and row.get("decrypt_empty_pw") == "0":
            kind, value = pdf_results[rel]
            assert kind == "error" and value.startswith("encrypted"), (rel, value)
            checked += 1
    assert checked >= 10


def test_french_pdfs_keep_their_accents(pdf_results):
    kind, doc = pdf_results["french-public-sector-samples/JORF_2023-06-21_n142_extrait_albert-api.pdf"]
    assert kind == "ok"
    assert "République française" in doc.text or "RÉPUBLIQUE FRANÇAISE" in doc.text
    assert doc.language == "fr"


# -- feeds ----------------------------------------------------------------------------------------------------

FEED_DIRS = ("feed-rs-fixtures", "rss-parser-fixtures", "feedparser-tests")


def _feed_files(corpora: Path) -> list[Path]:
    out = []
    for name in FEED_DIRS:
        for path in (corpora / name).rglob("*"):
            if path.is_file() and path.suffix.lower() not in (".md", ".json", ".tsv", ".rst", ".txt") \
                    and not path.name.startswith("LICENSE"):
                out.append(path)
    return sorted(out)


def test_every_feed_parses_without_exception(corpora):
    files = _feed_files(corpora)
    assert len(files) >= 2000
    entries = bozo = 0
    for path in files:
        feed = parse_feed(f"https://corpus.example/{path.name}", path.read_bytes())
        entries += len(feed.entries)
        bozo += bool(feed.bozo)
        for e in feed.entries:
            assert e.url.lower().startswith(("http://", "https://")), (path, e.url)
    print(f"\n{len(files)} feeds, {entries} entries, {bozo} with bozo")


def test_feed_oracles(corpora):
    fr = corpora / "feed-rs-fixtures/feed-rs/fixture"
    enc = parse_feed("https://x/", (fr / "rss2/rss_2.0_encoding_1.xml").read_bytes())
    assert enc.title == "RSS Feed do Site Inovação Tecnológica"
    invalid = parse_feed("https://x/", (fr / "rss2/rss_2.0_invalid_1.xml").read_bytes())
    assert invalid.bozo and not invalid.entries
    rp = corpora / "rss-parser-fixtures/test"
    assert parse_feed("https://x/", (rp / "input/unrecognized.rss").read_bytes()).bozo
    uol = parse_feed("https://x/", (rp / "input/uolNoticias.rss").read_bytes())
    assert uol.entries and "ç" in " ".join(e.title + e.summary for e in uol.entries)
    # Item counts against rss-parser's expected output (items without any link are dropped on our side).
    same = total = 0
    for expected in sorted((rp / "output").glob("*.json")):
        source = next((rp / "input").glob(expected.stem + ".*"), None)
        if source is None:
            continue
        items = json.loads(expected.read_bytes().decode("utf-8", errors="replace")).get("feed", {}).get("items", [])
        linked = [i for i in items if i.get("link") or i.get("guid") or i.get("enclosure")]
        total += 1
        same += len(parse_feed("https://x/", source.read_bytes()).entries) == len(linked)
    assert total >= 25 and same / total >= 0.8, (same, total)


def test_feedparser_bozo_oracle(corpora):
    base = corpora / "feedparser-tests"
    agree = total = 0
    disagree = []
    with (base / "EXPECTATIONS.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            oracle = row["bozo_oracle"]
            if row["http_served"] == "True" or not oracle.startswith(("bozo=True", "bozo=False")) \
                    or "strict XML parser" in oracle:
                continue
            feed = parse_feed("https://x/", (base / row["path"]).read_bytes())
            want = oracle.startswith("bozo=True")
            # "not a feed" is our own flag for feeds with no entries and no RSS/Atom root.
            got = bool(feed.bozo) and not feed.bozo.startswith("not a feed")
            total += 1
            if got == want:
                agree += 1
            else:
                disagree.append(row["path"])
    print(f"\nfeedparser bozo oracle: {agree}/{total}")
    assert total >= 1500 and agree / total >= 0.97, disagree[:20]
