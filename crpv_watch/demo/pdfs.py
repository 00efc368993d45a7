"""PDFs of the demo network, made with fpdf2 and the DejaVu TrueType fonts (a real, Unicode text layer).

Each PDF has exactly ``doc.pages`` pages: a cover, one page per planned chapter, a back cover from four pages
up. Built on first request and kept per process (``build_pdf`` is cached); bytes are identical between runs.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

from fpdf import FPDF

from .blocks import MONTHS, date_fr
from .compose import Doc
from .sites import SITE_BY_KEY

FONT_DIRS = [os.environ.get("CRPV_WATCH_DEJAVU_DIR", ""), str(Path(__file__).parent / "assets"),
             "/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF"]
DOCTYPE_LABELS = {
    "guide_methodologique": "Guide méthodologique", "etude_rapport": "Étude", "actes_compte_rendu": "Actes",
    "rapport_activite": "Rapport d’activité", "revue_cahier": "Les cahiers", "newsletter": "Lettre d’information",
    "note_synthese": "Note de synthèse", "dossier_documentaire": "Dossier documentaire",
    "fiche_experience": "Fiche expérience",
}
UNICODE_RANGE = "U+0020-017F, U+2010-2044, U+20AC, U+2122"  # Latin-1, Latin Extended-A (œ), ’ « » – …, €
BOTTOM = 297 - 22  # lowest y (mm) that body text may reach on an A4 page
_lock = threading.Lock()
_cache: dict[tuple, bytes] = {}


class FontMissing(RuntimeError):
    pass


def font_path(name: str) -> str:
    for folder in FONT_DIRS:
        if folder and (Path(folder) / name).is_file():
            return str(Path(folder) / name)
    raise FontMissing(f"{name} not found in {', '.join(f for f in FONT_DIRS if f)} (set CRPV_WATCH_DEJAVU_DIR)")


def build_pdf(doc: Doc, updates: tuple[str, ...] = ()) -> bytes:
    """The PDF of ``doc`` (with the text of ``updates`` on its cover), built once per process."""
    key = (doc.key, doc.path, doc.title, doc.pages, doc.published, doc.lead, updates)
    with _lock:  # one build at a time keeps the cache simple; a build takes 0.1–0.6 s
        if key not in _cache:
            _cache[key] = _build(doc, updates)
        return _cache[key]


def _build(doc: Doc, updates: tuple[str, ...]) -> bytes:
    site = SITE_BY_KEY[doc.site]
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_margins(20, 20, 20)
    # A unicode_range makes fpdf2 load only the glyphs French text needs: 4x faster, same DejaVu font.
    pdf.add_font("DejaVu", "", font_path("DejaVuSans.ttf"), unicode_range=UNICODE_RANGE)
    pdf.add_font("DejaVu", "B", font_path("DejaVuSans-Bold.ttf"), unicode_range=UNICODE_RANGE)
    created = dt.datetime(doc.published.year, doc.published.month, doc.published.day, 9, 0, tzinfo=dt.UTC)
    pdf.set_creation_date(created)
    pdf.set_title(doc.title)
    pdf.set_author(site.short)
    pdf.set_subject(doc.lead)
    pdf.set_creator(f"{site.short} – service communication")
    pdf.set_lang("fr-FR")
    total = doc.pages or 1

    def footer() -> None:
        pdf.set_xy(20, 297 - 15)
        pdf.set_font("DejaVu", "", 8)
        pdf.cell(0, 5, f"{site.short} – {doc.title[:70]} – page {pdf.page_no()}/{total}", align="C")

    widths: dict[tuple[str, float, str], float] = {}

    def wrap(text: str, style: str, size: float) -> list[str]:
        """Greedy line breaking with cached word widths (fpdf2's multi_cell is quadratic on long lines)."""
        def width(word: str) -> float:
            key = (style, size, word)
            if key not in widths:
                widths[key] = pdf.get_string_width(word)
            return widths[key]
        lines, current, used, space = [], [], 0.0, width(" ")
        for word in text.split():
            w = width(word)
            if current and used + space + w > pdf.epw:
                lines.append(" ".join(current))
                current, used = [word], w
            else:
                used += (space if current else 0.0) + w
                current.append(word)
        if current:
            lines.append(" ".join(current))
        return lines

    def para(text: str, size: float = 10.5, bold: bool = False, height: float = 5.4, gap: float = 2.5) -> bool:
        style = "B" if bold else ""
        pdf.set_font("DejaVu", style, size)
        lines = wrap(text, style, size)
        if pdf.get_y() + height * len(lines) > BOTTOM:
            return False
        for line in lines:
            pdf.cell(0, height, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)
        return True

    # Cover.
    pdf.add_page()
    para(site.name, 10, bold=True, gap=14)
    para(DOCTYPE_LABELS.get(doc.doctype, "Publication"), 12, gap=4)
    para(doc.title, 20, bold=True, height=9, gap=6)
    para(f"{MONTHS[doc.published.month - 1].capitalize()} {doc.published.year} – publié le {date_fr(doc.published)}",
         10, gap=8)
    para(doc.lead, 12, height=6.2, gap=6)
    for update in updates:
        para(update, 10, bold=True)
    if total == 1:
        for _, paras in doc.pdf_pages:
            for text in paras:
                para(text)
    footer()
    # Chapters, one per page.
    content = doc.pdf_pages if total > 1 else []
    for heading, paras in content:
        pdf.add_page()
        if heading:
            para(heading, 15, bold=True, height=7.5, gap=5)
        for text in paras:
            if not para(text):
                break
        footer()
    # Back cover.
    if total >= 4:
        pdf.add_page()
        pdf.set_y(200)
        para(site.name, 11, bold=True)
        para(f"Toutes les publications de {site.short} sont librement téléchargeables sur son site. "
             "Reproduction autorisée avec mention de la source.", 9.5)
        footer()
    if pdf.page_no() != total:
        raise AssertionError(f"{doc.key}: {pdf.page_no()} pages instead of {total}")
    return bytes(pdf.output())
