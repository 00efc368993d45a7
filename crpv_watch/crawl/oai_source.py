"""A source's OAI-PMH endpoints: each catalogue record becomes a document (mixed into ``run.SourceCrawl``).

Incremental: after a complete harvest the day of the repository's ``responseDate`` is kept in the source's hub
validators and sent as ``from`` next time (day granularity, which every repository accepts; records of that day
are seen again and found unchanged by their hash). A record's place is its ``GetRecord`` address, stable whatever
the record links to, so a deleted record finds its document. Full text is fetched, politely like every fetch,
when the record links an open PDF or page; ``dc:subject`` and ``dc:type`` are aligned by
``tagging/dc_alignment.py``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from ..items import ExtractedDocument, FetchResult
from ..store import repo
from ..store.ingest import body_hash, ingest, record_deleted, record_unchanged
from . import discover, parse_html, parse_pdf
from .extract import extract_html
from .oai_harvest import HarvestError, OaiRecord, get_record_url, harvest

log = logging.getLogger(__name__)
LANGUAGES = {"fre": "fr", "fra": "fr", "fr": "fr", "french": "fr", "francais": "fr", "français": "fr",
             "eng": "en", "en": "en", "english": "en", "ger": "de", "deu": "de", "spa": "es", "ita": "it"}


def record_date(values: list[str]) -> dt.date | None:
    """The first ``dc:date`` read as a day: « 2021-01-20 », « 2021-01 », « 2021 » (first day of the period)."""
    for value in values:
        match = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value.strip())
        if match:
            try:
                return dt.date(int(match[1]), int(match[2] or 1), int(match[3] or 1))
            except ValueError:
                continue
    return None


def full_text_links(record: OaiRecord) -> list[str]:
    """Open documents a record points at (identifiers and relations that are web addresses), PDFs first."""
    urls = [v for name in ("identifier", "relation") for v in record.dc.get(name, [])
            if v.startswith(("http://", "https://"))]
    return sorted(dict.fromkeys(urls), key=lambda u: not u.lower().split("?")[0].endswith(".pdf"))


class OaiHarvesting:
    """Needs the SourceCrawl attributes: source, fetcher, runner, services, report, ref, first_crawl, hub_cache."""

    def _harvest_oai(self) -> None:
        for endpoint in self.source.oai_pmh:
            key = f"oai:{endpoint.url}|{endpoint.set or ''}"
            since = (self.hub_cache.get(key) or {}).get("from")
            started = ""
            try:
                for page in harvest(lambda url: self._fetch(url, kind="feed"), endpoint.url,
                                    metadata_prefix=endpoint.metadata_prefix, set_spec=endpoint.set, since=since):
                    started = started or page.response_date
                    for record in page.records:
                        try:
                            self._oai_record(endpoint, record)
                        except Exception as exc:  # one failing record never stops the harvest
                            log.exception("%s: OAI record %s", self.source.id, record.identifier)
                            self._error(record.identifier, "pipeline", f"{type(exc).__name__}: {exc}")
                        self._emit("document")
            except HarvestError as exc:
                self._error(endpoint.url, "fetch", str(exc), candidate=False)
                continue
            if started[:10]:
                self.hub_cache[key] = {"from": started[:10]}

    def _oai_record(self, endpoint, record: OaiRecord) -> None:
        place_url = get_record_url(endpoint.url, record.identifier, endpoint.metadata_prefix)
        self.seen.add(place_url)
        if record.deleted:
            with self.services.db.session() as session:
                removed = record_deleted(session, place_url)
            if removed:
                self.report.removed += 1
            else:
                self._skip("deleted record")
            return
        with self.services.db.session() as session:
            known = repo.known_place(session, place_url)
        if known and known[2] == body_hash(record.xml):
            with self.services.db.session() as session:
                record_unchanged(session, place_url)
            self.report.unchanged += 1
            return
        extracted = self._oai_document(record, place_url)
        if not (extracted.title or extracted.text).strip():
            return self._skip("no text")
        tagger = self.runner.tagger
        tags = tagger.tag(extracted, default_themes=self.source.themes)
        unmatched = self.runner.alignment.align(tags, record.dc.get("subject", []), record.dc.get("type", []))
        tags.pillars = tagger.pillars_for(tags.themes, {})
        extracted.meta["oai"]["keywords"] = unmatched
        res = FetchResult(url=place_url, final_url=place_url, status=200, body=record.xml,
                          content_type="application/xml")
        with self.runner.store_lock, self.services.db.session() as session:
            result = ingest(session, source=self.ref, url=place_url, fetch=res, extracted=extracted, tags=tags,
                            first_crawl=self.first_crawl, ranks=self.ranks)
        bucket = {"new": "new", "updated": "updated", "unchanged": "unchanged", "duplicate": "duplicates"}
        setattr(self.report, bucket[result.outcome], getattr(self.report, bucket[result.outcome]) + 1)

    def _oai_document(self, record: OaiRecord, place_url: str) -> ExtractedDocument:
        description = "\n\n".join(record.dc.get("description", []))
        language = LANGUAGES.get(record.first("language").strip().lower())
        links = full_text_links(record)
        doc = ExtractedDocument(
            url=place_url, canonical_url=place_url, title=record.first("title"), text=description,
            summary=description[:600], published=record_date(record.dc.get("date", [])),
            author=" ; ".join(record.dc.get("creator", [])), language=language,
            meta={"oai": {"identifier": record.identifier, "datestamp": record.datestamp,
                          "subjects": record.dc.get("subject", []), "types": record.dc.get("type", []),
                          "links": links}})
        full = self._full_text(links)
        if full is not None and len(full.text) > len(doc.text):
            doc.text = full.text if not description else f"{description}\n\n{full.text}"
            doc.content_type, doc.pages = full.content_type, full.pages
            doc.language = doc.language or full.language
            doc.meta["oai"]["full_text_from"] = full.url
        return doc

    def _full_text(self, links: list[str]) -> ExtractedDocument | None:
        """The text of the first open document the record links (robots.txt and the source's rules apply)."""
        for url in links[:2]:
            if not discover.allowed_by_patterns(url, self.source) or not self.fetcher.allowed(url, self.source):
                continue
            if discover.unsupported_type(url):
                continue
            res = self._fetch(url, kind="any")
            if not res.ok:
                continue
            try:
                if res.content_type == "application/pdf":
                    extracted = parse_pdf.extract_pdf(res.final_url, res.body, self.settings)
                elif res.content_type in ("text/html", "application/xhtml+xml"):
                    page = parse_html.parse_html(res.final_url, res.body, res.encoding)
                    if page.noindex:
                        continue
                    extracted = extract_html(page)
                else:
                    continue
            except parse_pdf.PdfError:
                continue
            extracted.url = url
            if extracted.text.strip():
                return extracted
        return None
