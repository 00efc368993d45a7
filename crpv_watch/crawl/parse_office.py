"""DOCX and ODT attachments → ExtractedDocument, read in the PDF worker pool (``parse_pdf.py``).

Calls for projects and "fiches" are often published as word-processing files. They run in the same sandboxed
worker processes as PDFs — same address-space cap, same timeout, same recycling — and the worker checks the
zip package before any library parses it (``office_text.py``: zip bombs, huge XML parts, DTDs).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from crpv_watch.crawl import parse_pdf, pdf_text
from crpv_watch.items import ExtractedDocument
from crpv_watch.text.dedup import canonicalize

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_TYPE = "application/vnd.oasis.opendocument.text"
MEDIA_TYPES = {"docx": DOCX_TYPE, "odt": ODT_TYPE}
_FORMAT_OF_TYPE = {DOCX_TYPE: "docx", ODT_TYPE: "odt"}
_GENERIC = {"", "application/octet-stream", "binary/octet-stream", "application/zip", "application/x-zip-compressed",
            "application/force-download", "application/x-download", "application/download", "application/unknown"}


class OfficeError(parse_pdf.PdfError):
    """A DOCX/ODT whose text cannot be had; ``reason`` starts with hostile, broken, no text, timeout, memory."""


def office_format(content_type: str, url: str, body: bytes) -> str | None:
    """"docx" or "odt" when the response is one: its media type, or a zip package behind a .docx/.odt URL
    served with a generic type (download handlers send application/octet-stream)."""
    if content_type in _FORMAT_OF_TYPE:
        return _FORMAT_OF_TYPE[content_type]
    path = urlsplit(url).path.lower()
    if content_type in _GENERIC and body.startswith(b"PK\x03\x04") and path.endswith((".docx", ".odt")):
        return path.rsplit(".", 1)[1]
    return None


def extract_office(url: str, body: bytes, settings, fmt: str) -> ExtractedDocument:
    result = parse_pdf.run_in_worker({"body": bytes(body), "format": fmt,
                                      "memory_mb": int(getattr(settings, "pdf_memory_mb", 1024))}, settings)
    if "error" in result:
        raise OfficeError(result["error"])
    text = result["text"]
    fmt = result.get("format") or fmt  # what the package really is, whatever the URL said
    return ExtractedDocument(
        url=url,
        canonical_url=canonicalize(url),
        title=result.get("title") or "",
        text=text,
        content_type=MEDIA_TYPES[fmt],
        summary=pdf_text.summary(text),
        published=dt.date.fromisoformat(result["created"]) if result.get("created") else None,
        author=result.get("author") or "",
        language=parse_pdf.language(text[: parse_pdf.LANGUAGE_SAMPLE]),
        meta={"format": fmt, **({"truncated": True} if result.get("truncated") else {})},
    )
