"""parse_pdf: text + metadata through the worker pool, encryption, broken files, timeouts, memory cap, OCR."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import time
from pathlib import Path

import pytest

from crpv_watch.crawl import parse_pdf, pdf_text
from crpv_watch.crawl.parse_pdf import PdfError, extract_pdf

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
TEXT = ("Le contrat de ville engage l’État, les collectivités et les bailleurs : « cœur de quartier ». "
        "Les conseils citoyens participent au renouvelle-\nment urbain et à l’évaluation des actions.")


def make_pdf(paragraphs: list[str], title: str | None = None, author: str | None = None,
             created: dt.datetime | None = None, pages: int = 1) -> bytes:
    fpdf = pytest.importorskip("fpdf")
    if not Path(FONT).exists():
        pytest.skip(f"{FONT} is absent (Debian fonts-dejavu-core)")
    pdf = fpdf.FPDF()
    pdf.add_font("DejaVu", fname=FONT)
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    if created:
        pdf.set_creation_date(created)
    for _ in range(pages):
        pdf.add_page()
        pdf.set_font("DejaVu", size=12)
        for p in paragraphs:
            pdf.multi_cell(0, 8, p)
            pdf.ln(4)
    return bytes(pdf.output())


def encrypt(body: bytes, user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(body)))
    writer.encrypt(user_password=user_password, owner_password="proprietaire", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(autouse=True, scope="module")
def _stop_pool():
    yield
    parse_pdf.shutdown()


@pytest.fixture(scope="module")
def doc_pdf() -> bytes:
    created = dt.datetime(2023, 11, 20, 10, 0, tzinfo=dt.UTC)
    return make_pdf(["Rapport annuel 2023", TEXT], title="Rapport annuel du CRPV", author="CRPV Essonne",
                    created=created)


def test_text_and_metadata(doc_pdf, settings):
    doc = extract_pdf("https://crpv.example.fr/docs/rapport.pdf?utm_source=x", doc_pdf, settings)
    assert doc.title == "Rapport annuel du CRPV"
    assert doc.author == "CRPV Essonne"
    assert doc.published == dt.date(2023, 11, 20)
    assert doc.pages == 1
    assert doc.content_type == "application/pdf"
    assert doc.canonical_url == "https://crpv.example.fr/docs/rapport.pdf"
    assert "l’État" in doc.text and "« cœur de quartier »" in doc.text
    assert "renouvellement urbain" in doc.text  # de-hyphenated at the line end
    assert doc.language == "fr"
    assert doc.summary and len(doc.summary) <= 301
    assert not doc.ocr


def test_title_falls_back_to_first_line(settings):
    body = make_pdf(["Guide de la participation des habitants", TEXT])
    doc = extract_pdf("https://s.fr/guide.pdf", body, settings)
    assert doc.title == "Guide de la participation des habitants"
    assert doc.pages == 1


def test_encrypted_with_empty_user_password_is_opened(doc_pdf, settings):
    doc = extract_pdf("https://s.fr/e.pdf", encrypt(doc_pdf, ""), settings)
    assert "cœur de quartier" in doc.text
    assert doc.meta.get("encrypted")


def test_encrypted_with_password_fails(doc_pdf, settings):
    with pytest.raises(PdfError) as err:
        extract_pdf("https://s.fr/p.pdf", encrypt(doc_pdf, "secret"), settings)
    assert err.value.reason.startswith("encrypted")


@pytest.mark.parametrize("body", [b"", b"not a pdf at all", b"%PDF-1.4\n1 0 obj\n<<"])
def test_garbage_is_broken(body, settings):
    with pytest.raises(PdfError) as err:
        extract_pdf("https://s.fr/x.pdf", body, settings)
    assert err.value.reason.startswith(parse_pdf.REASONS)


def test_truncated_pdf_is_broken_or_partial(doc_pdf, settings):
    try:
        doc = extract_pdf("https://s.fr/t.pdf", doc_pdf[: len(doc_pdf) // 2], settings)
    except PdfError as err:
        assert err.reason.startswith(("broken", "no text layer"))
    else:  # pypdf may recover part of it (non-strict mode): then it must be real text
        assert "contrat" in doc.text


def _image_only_pdf() -> bytes:
    fpdf = pytest.importorskip("fpdf")
    from PIL import Image, ImageDraw

    img = Image.new("L", (1200, 400), 255)
    ImageDraw.Draw(img).rectangle((100, 100, 1100, 300), outline=0, width=8)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.image(buf, x=10, y=10, w=190)
    return bytes(pdf.output())


def test_no_text_layer(settings):
    if pdf_text.ocr_language():
        pytest.skip("OCR is available here: an image-only PDF goes to tesseract (see test_ocr)")
    with pytest.raises(PdfError) as err:
        extract_pdf("https://s.fr/scan.pdf", _image_only_pdf(), settings)
    assert err.value.reason.startswith("no text layer")


def test_ocr(settings):
    if not (shutil.which("tesseract") and shutil.which("pdftoppm")):
        pytest.skip("OCR needs tesseract (tesseract-ocr, tesseract-ocr-fra) and pdftoppm (poppler-utils)")
    from PIL import Image, ImageDraw, ImageFont

    fpdf = pytest.importorskip("fpdf")
    img = Image.new("L", (1700, 500), 255)
    ImageDraw.Draw(img).text((50, 150), "Quartiers prioritaires : cohésion sociale", fill=0,
                             font=ImageFont.truetype(FONT, 60))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.image(buf, x=10, y=10, w=190)
    doc = extract_pdf("https://s.fr/scan.pdf", bytes(pdf.output()), settings)
    assert doc.ocr and "prioritaires" in doc.text


def test_timeout_kills_and_replaces_worker(doc_pdf, settings, monkeypatch):
    """A task that hangs is killed at the deadline (not waited for); the next call gets a fresh worker."""
    parse_pdf.shutdown()
    extract_pdf("https://s.fr/warm.pdf", doc_pdf, settings.replace(pdf_workers=1))
    (old_pid,) = parse_pdf._pool.workers
    monkeypatch.setattr(parse_pdf, "_TEST_SLEEP", 30.0)
    start = time.monotonic()
    with pytest.raises(PdfError) as err:
        extract_pdf("https://s.fr/hang.pdf", doc_pdf, settings.replace(pdf_timeout=0.5))
    assert err.value.reason.startswith("timeout")
    assert time.monotonic() - start < 5
    monkeypatch.setattr(parse_pdf, "_TEST_SLEEP", 0.0)
    assert "cœur" in extract_pdf("https://s.fr/ok.pdf", doc_pdf, settings).text
    assert old_pid not in parse_pdf._pool.workers
    with pytest.raises(ProcessLookupError):
        os.kill(old_pid, 0)  # killed and reaped


def balloon_pdf(inflated_mb: int = 60) -> bytes:
    """A small PDF whose page inflates to tens of megabytes of text: what balloons a parser."""
    import zlib

    line = b"BT /F1 12 Tf 10 10 Td (politique de la ville quartiers) Tj ET\n"
    stream = zlib.compress(line * ((inflated_mb << 20) // len(line)), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_memory_cap(doc_pdf, settings):
    """An address-space cap turns allocation failure into PdfError("memory"), not a crash or a hang."""
    parse_pdf.shutdown()
    with pytest.raises(PdfError) as err:
        extract_pdf("https://s.fr/m.pdf", balloon_pdf(), settings.replace(pdf_memory_mb=150))
    assert err.value.reason.startswith("memory")
    # The worker that hit the cap is recycled; with a normal cap the same pool works again.
    assert extract_pdf("https://s.fr/m.pdf", doc_pdf, settings).pages == 1


def test_pool_reuses_and_recycles_workers(doc_pdf, settings, monkeypatch):
    monkeypatch.setattr(parse_pdf, "RECYCLE_AFTER", 3)
    parse_pdf.shutdown()
    pids = set()
    for _ in range(6):
        extract_pdf("https://s.fr/r.pdf", doc_pdf, settings.replace(pdf_workers=1))
        pids.update(parse_pdf._pool.workers)
    assert 2 <= len(pids) <= 3  # one worker per 3 files, not one per file
    parse_pdf.shutdown()
    assert parse_pdf._pool is None


def test_worker_survives_parent_threads(doc_pdf, settings):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as ex:
        docs = list(ex.map(lambda _: extract_pdf("https://s.fr/c.pdf", doc_pdf, settings), range(8)))
    assert all("cœur" in d.text for d in docs)
    assert len(parse_pdf._pool.workers) <= settings.pdf_workers
    assert os.getpid()  # the parent is still here
