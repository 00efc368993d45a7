"""Turn the catalogue's specs into documents: URLs, body sections (HTML) and page plans (PDF).

Deterministic: the only inputs are the specs, the building blocks and the base URLs of the sites.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from .blocks import DOCTYPE_SECTIONS, GUIDE_EVALUATION_CHAPTERS, PDF_CHAPTERS, QUARTIERS, TOWNS, date_fr
from .blocks_themes import THEME_PARAGRAPHS
from .catalogue import FRESH, REPUBLISHED, SPECS, Spec
from .sites import SITE_BY_KEY

THEME_ORDER = list(THEME_PARAGRAPHS)
PARAS_PER_PDF_PAGE = 4


@dataclass
class Doc:
    key: str
    site: str
    path: str
    title: str
    published: dt.date
    doctype: str
    themes: list[str]
    kind: str  # "html" | "pdf"
    pages: int | None
    lead: str
    key_phrase: str
    town: str
    sections: list[tuple[str, list[str]]] = field(default_factory=list)  # HTML body after the lead
    pdf_pages: list[tuple[str, list[str]]] = field(default_factory=list)  # PDF content pages (after the cover)
    attachments: list[str] = field(default_factory=list)  # paths of PDFs linked from the main content
    feed_utm: bool = False
    spip_id: int | None = None
    listing: str = ""
    republished_from: str | None = None  # key of the original document (cross-centre copy)

    @property
    def content_type(self) -> str:
        return "application/pdf" if self.kind == "pdf" else "text/html"


def slugify(text: str, keep_case: bool = False, limit: int = 72) -> str:
    text = text.replace("œ", "oe").replace("Œ", "Oe").replace("’", "-").replace("'", "-")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")
    if not keep_case:
        text = text.lower()
    if len(text) > limit:
        text = text[:limit].rsplit("-", 1)[0]
    return text


def doc_path(spec: Spec, spip_id: int | None = None) -> str:
    d, pdf = spec.date, isinstance(spec.size, int)
    if spec.site == "rss":
        return f"/wp-content/uploads/{d.year}/{d.month:02d}/{slugify(spec.title)}.pdf" if pdf else \
            f"/{d.year}/{d.month:02d}/{slugify(spec.title)}/"
    if spec.site == "atom":
        return f"/medias/cahiers/{slugify(spec.title)}.pdf" if pdf else f"/ressources/{slugify(spec.title)}/"
    if spec.site == "spip":
        return "/" + slugify(spec.title, keep_case=True)
    if spec.site == "pdf":
        return f"/publications/{d.year}/{slugify(spec.title)}.pdf"
    return f"/actualites/{slugify(spec.title)}.html"


class _Rotation:
    """Hands out theme paragraphs in turn, so that two documents on one theme read differently."""

    def __init__(self) -> None:
        self.used: dict[str, int] = {}

    def take(self, theme: str) -> str:
        i = self.used.get(theme, 0)
        self.used[theme] = i + 1
        bank = THEME_PARAGRAPHS[theme]
        return bank[i % len(bank)]

    def variant(self, name: str, variants: list[str]) -> str:
        i = self.used.get(name, 0)
        self.used[name] = i + 1
        return variants[i % len(variants)]


def _context(spec: Spec, index: int, salt: int = 0) -> dict[str, object]:
    region = SITE_BY_KEY[spec.site].region
    towns = TOWNS[region]
    town = next((t for t in towns if t in spec.lead or t in spec.title), towns[(index + salt) % len(towns)])
    if salt:
        town = towns[(towns.index(town) + salt) % len(towns)]
    q, dq = QUARTIERS[(index * 7 + salt * 3) % len(QUARTIERS)]
    return {"ville": town, "q": q, "dq": dq, "n": 3 + (index * 11 + salt * 5) % 27, "annee": spec.date.year - 1,
            "limite": date_fr(spec.date + dt.timedelta(days=45)), "centre": SITE_BY_KEY[spec.site].short,
            "jour": date_fr(spec.date + dt.timedelta(days=-14 if spec.doctype == "actes_compte_rendu" else 21),
                            weekday=True)}


def _fill(template: str, ctx: dict[str, object]) -> str:
    return template.format_map(ctx)


def _theme_paragraphs(spec: Spec, count: int, rot: _Rotation) -> list[str]:
    themes = list(spec.themes)
    return [rot.take(themes[i % len(themes)]) for i in range(count)]


def html_sections(spec: Spec, index: int, rot: _Rotation) -> list[tuple[str, list[str]]]:
    ctx = _context(spec, index)
    n_theme, n_sections = {"s": (1, 1), "m": (2, 3), "l": (4, 99)}[spec.size]
    body = [_fill(p, ctx) for p in _theme_paragraphs(spec, n_theme, rot)]
    if spec.size == "l":
        body.append(_fill(rot.take("gouvernance_contrat_de_ville"), _context(spec, index, salt=1)))
    sections: list[tuple[str, list[str]]] = [("", body)]
    for heading, variants in DOCTYPE_SECTIONS.get(spec.doctype, [])[:n_sections]:
        sections.append((heading, [_fill(rot.variant(spec.doctype + heading, variants), ctx)]))
    return sections


def pdf_plan(spec: Spec, index: int) -> list[tuple[str, list[str]]]:
    """One (heading, paragraphs) per content page; the cover and the back cover are added by the PDF builder."""
    pages = int(spec.size)
    n_content = 0 if pages == 1 else pages - 1 - (1 if pages >= 4 else 0)
    if spec.key == "D02":
        plan = [("Sommaire", [f"{i + 1}. {title}" for i, (title, _) in enumerate(GUIDE_EVALUATION_CHAPTERS)])]
        for i, (title, themes) in enumerate(GUIDE_EVALUATION_CHAPTERS):
            paras = [_fill(THEME_PARAGRAPHS[t][(i + j) % len(THEME_PARAGRAPHS[t])], _context(spec, index, salt=i + j))
                     for j, t in enumerate((themes * PARAS_PER_PDF_PAGE)[:PARAS_PER_PDF_PAGE - 1])]
            plan.append((f"{i + 1}. {title}", paras))
        return plan[:n_content]
    pool = _pdf_pool(spec)
    chapters = PDF_CHAPTERS.get(spec.doctype, ["Présentation"])
    plan, k = [], 0
    for i in range(max(n_content, 1)):
        heading = chapters[i % len(chapters)] + (" (suite)" if i >= len(chapters) else "")
        paras = []
        for _ in range(PARAS_PER_PDF_PAGE - (1 if i == 0 else 0)):
            template = pool[k % len(pool)]
            paras.append(_fill(template, _context(spec, index, salt=k // len(pool) * 2 + k % 3)))
            k += 1
        plan.append((heading, paras))
    return plan if n_content else [("", plan[0][1][:2])]


def _pdf_pool(spec: Spec) -> list[str]:
    """The document's own themes first (interleaved, so a short PDF touches each), then its type, then neighbours."""
    banks = [THEME_PARAGRAPHS[t] for t in spec.themes]
    own = [bank[i] for i in range(max(len(b) for b in banks)) for bank in banks if i < len(bank)]
    sections = [p for _, paras in DOCTYPE_SECTIONS.get(spec.doctype, []) for p in paras]
    # Other themes' paragraphs in an order of this document's own (a stable hash), so two long PDFs differ.
    others = sorted((p for t in THEME_ORDER if t not in spec.themes for p in THEME_PARAGRAPHS[t]),
                    key=lambda p: hashlib.md5((spec.key + p).encode()).hexdigest())
    return own[:len(banks)] + sections[:1] + own[len(banks):] + sections[1:] + others


def date_shift(today: dt.date) -> dt.timedelta:
    """How far the catalogue's dates move so that its newest document is about ten days old today: whole weeks,
    so that weekdays named in the texts stay right. The demo's charts and « new this month » then have data."""
    newest = max([s.date for s in SPECS] + [d for _k, d in REPUBLISHED])
    return dt.timedelta(weeks=((today - dt.timedelta(days=10)) - newest).days // 7)


def build_docs(today: dt.date | None = None) -> list[Doc]:
    """All unique documents of the catalogue, plus the republished copies (``republished_from`` set), dated
    relative to ``today`` (default: the real today)."""
    shift = date_shift(today or dt.date.today())
    rot = _Rotation()
    docs: list[Doc] = []
    spip_id = 11
    for index, spec in enumerate(dataclasses.replace(s, date=s.date + shift) for s in SPECS):
        pdf = isinstance(spec.size, int)
        sid = None
        if spec.site == "spip":
            spip_id += 1
            sid = spip_id
        ctx = _context(spec, index)
        doc = Doc(key=spec.key, site=spec.site, path=doc_path(spec), title=spec.title, published=spec.date,
                  doctype=spec.doctype, themes=list(spec.themes), kind="pdf" if pdf else "html",
                  pages=int(spec.size) if pdf else None, lead=spec.lead, key_phrase=spec.key_phrase,
                  town=str(ctx["ville"]), feed_utm=bool(spec.extra.get("feed_utm")), spip_id=sid,
                  listing=spec.listing)
        if pdf:
            doc.pdf_pages = pdf_plan(spec, index)
        else:
            doc.sections = html_sections(spec, index, rot)
        docs.append(doc)
    by_key = {d.key: d for d in docs}
    for spec in SPECS:
        by_key[spec.key].attachments = [by_key[k].path for k in spec.attach]
    for original, date in ((k, d + shift) for k, d in REPUBLISHED):
        src = by_key[original]
        docs.append(Doc(key=original + "-copie", site="portail", path=doc_path(
            Spec(original, "portail", date, src.doctype, tuple(src.themes), "m", src.title, src.lead, src.key_phrase)),
            title=src.title, published=date, doctype=src.doctype, themes=list(src.themes), kind="html",
            pages=None, lead=src.lead, key_phrase=src.key_phrase, town=src.town, sections=src.sections,
            republished_from=original))
    return docs


def fresh_doc(n: int, today: dt.date) -> Doc:
    """The n-th document added by ``publish_new`` (0-based), on the RSS site."""
    doctype, themes, size, title, lead, key_phrase = FRESH[n % len(FRESH)]
    if n >= len(FRESH):
        title = f"{title} ({n // len(FRESH) + 1})"
        key_phrase = f"publication complémentaire numéro {n}"
        lead = f"{lead} Il s’agit de la publication complémentaire numéro {n}."
    spec = Spec(f"N{n:02d}", "rss", today, doctype, themes, size, title, lead, key_phrase)
    index = len(SPECS) + n
    return Doc(key=spec.key, site="rss", path=doc_path(spec), title=title, published=today, doctype=doctype,
               themes=list(themes), kind="html", pages=None, lead=lead, key_phrase=key_phrase,
               town=str(_context(spec, index)["ville"]), sections=html_sections(spec, index, _Rotation()))
