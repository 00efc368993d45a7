"""A document as a reference: the fields a reference manager wants, and their CSV, RIS and CSL-JSON forms.

One ``Citation`` is built per document from the store (authors, summary and dates live there, not in the
index); the three serializers and the document page's ``citation_*`` meta tags (read by the Zotero connector's
« Embedded Metadata » translator) all start from it, so every export says the same thing about a document.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field

# Document types → CSL types (Zotero maps CSL "report" to Rapport, "legislation" to Acte juridique…).
CSL_TYPES = {
    "etude_rapport": "report", "rapport_activite": "report", "note_synthese": "report",
    "actes_compte_rendu": "report", "guide_methodologique": "book", "revue_cahier": "periodical",
    "newsletter": "periodical", "veille_revue_de_presse": "periodical", "texte_officiel": "legislation",
    "media_audiovisuel": "motion_picture", "dossier_documentaire": "document", "fiche_experience": "document",
}
# CSL types → RIS reference types.
RIS_TYPES = {"report": "RPRT", "book": "BOOK", "periodical": "JFULL", "legislation": "STAT",
             "motion_picture": "VIDEO", "document": "GEN", "webpage": "ELEC"}
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("identifiant", "titre", "auteurs", "centre de ressources", "date", "type de document", "thèmes",
               "résumé", "langue", "adresse d'origine", "PDF", "page sur le site")


@dataclass
class Citation:
    id: str
    title: str
    page_url: str  # the document's page on this site, absolute
    url: str  # the original address at the centre's site
    publisher: str  # the centre's name
    doctype: str
    doctype_label: str
    authors: list[str] = field(default_factory=list)
    published: dt.date | None = None
    accessed: dt.date | None = None  # when the watch first found it
    abstract: str = ""
    keywords: list[str] = field(default_factory=list)  # theme labels
    language: str = ""
    pdf_url: str = ""
    is_pdf: bool = False

    @property
    def csl_type(self) -> str:
        return CSL_TYPES.get(self.doctype) or ("document" if self.is_pdf else "webpage")


def split_authors(raw: str | None) -> list[str]:
    """Authors as stored (« A. Martin ; B. Durand », one per line…): one name each, blanks dropped."""
    return [a.strip() for a in re.split(r"[;\n]| et ", raw or "") if a.strip()]


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


# -- CSV -----------------------------------------------------------------------------------------------------

def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character is escaped with a quote."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def to_csv(citations: list[Citation]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in citations:
        row = [c.id, c.title, " ; ".join(c.authors), c.publisher, c.published.isoformat() if c.published else "",
               c.doctype_label, " ; ".join(c.keywords), one_line(c.abstract), c.language, c.url, c.pdf_url,
               c.page_url]
        writer.writerow([safe_cell(v) for v in row])
    # A byte-order mark so that spreadsheet software opens the accents as UTF-8.
    return "\ufeff" + out.getvalue()


# -- RIS -----------------------------------------------------------------------------------------------------

def to_ris(citations: list[Citation]) -> str:
    """RIS as Zotero, EndNote and rispy read it: « TAG  - value » lines, one record ending with « ER  - »."""
    lines: list[str] = []

    def tag(name: str, value: str) -> None:
        value = one_line(value)
        if value:
            lines.append(f"{name}  - {value}")

    for c in citations:
        tag("TY", RIS_TYPES[c.csl_type])
        tag("ID", c.id)
        tag("TI", c.title)
        for author in c.authors:
            tag("AU", author)
        if c.published:
            tag("PY", str(c.published.year))
            tag("DA", c.published.strftime("%Y/%m/%d"))
        tag("PB", c.publisher)
        tag("AB", c.abstract)
        for keyword in c.keywords:
            tag("KW", keyword)
        tag("LA", c.language)
        tag("UR", c.url)
        tag("L1", c.pdf_url)
        tag("L2", c.page_url)
        if c.accessed:
            tag("Y2", c.accessed.strftime("%Y/%m/%d"))
        tag("M3", c.doctype_label)
        lines.append("ER  - ")
        lines.append("")
    return "\r\n".join(lines)


# -- CSL-JSON ------------------------------------------------------------------------------------------------

def _date_parts(day: dt.date) -> dict:
    return {"date-parts": [[day.year, day.month, day.day]]}


def csl_item(c: Citation) -> dict:
    item: dict = {"id": c.id, "type": c.csl_type, "title": c.title or "Document sans titre"}
    if c.authors:
        item["author"] = [{"literal": a} for a in c.authors]
    if c.published:
        item["issued"] = _date_parts(c.published)
    if c.accessed:
        item["accessed"] = _date_parts(c.accessed)
    for key, value in (("publisher", c.publisher), ("genre", c.doctype_label), ("abstract", one_line(c.abstract)),
                       ("language", c.language), ("URL", c.url), ("keyword", ", ".join(c.keywords))):
        if value:
            item[key] = value
    return item


def to_csl_json(citations: list[Citation]) -> str:
    return json.dumps([csl_item(c) for c in citations], ensure_ascii=False, indent=1)


# -- Highwire meta tags --------------------------------------------------------------------------------------

def meta_tags(c: Citation) -> list[tuple[str, str]]:
    """``citation_*`` (name, content) pairs for the document page, in the order Google Scholar documents."""
    tags = [("citation_title", c.title)]
    tags += [("citation_author", a) for a in c.authors]
    if c.published:
        tags.append(("citation_publication_date", c.published.strftime("%Y/%m/%d")))
    if c.accessed:
        tags.append(("citation_online_date", c.accessed.strftime("%Y/%m/%d")))
    tags.append(("citation_publisher", c.publisher))
    if c.csl_type == "report":
        tags.append(("citation_technical_report_institution", c.publisher))
    if c.pdf_url:
        tags.append(("citation_pdf_url", c.pdf_url))
    if c.language:
        tags.append(("citation_language", c.language))
    if c.keywords:
        tags.append(("citation_keywords", "; ".join(c.keywords)))
    tags.append(("citation_abstract_html_url", c.page_url))
    if c.abstract:
        tags.append(("citation_abstract", one_line(c.abstract)))
    return [(name, value) for name, value in tags if value]
