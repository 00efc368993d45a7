"""What runs inside a document worker for word-processing files: DOCX (python-docx) and ODT (odfdo).

Both formats are zip packages of XML parts, so a hostile file is a zip bomb, a huge XML part or an XML part
with a DTD (entity expansion, external entities). The package is checked before either library opens it:
member count, declared sizes and compression ratios (``zipfile`` never reads past a member's declared size, so
the declared sizes bound what is inflated), and no DOCTYPE in any XML part's prolog (neither format uses one).
What passes still runs under the worker's address-space cap and the pool's timeout, as PDFs do
(``parse_pdf.py``). Results are plain dicts, ``{"error": reason}`` or ``{"text", "title", "author", …}``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from crpv_watch.crawl.pdf_text import MAX_CHARS, first_line_title, junk_title, letters, normalize

FORMATS = ("docx", "odt")
MAX_MEMBERS = 5_000
MAX_TOTAL_BYTES = 300_000_000  # declared uncompressed size of the whole package
MAX_XML_BYTES = 60_000_000  # one XML part: a 600-page report's document.xml is ~20 MB
# Deflate tops out near 1,000:1 on a run of one byte; real documents' XML compresses 5–20:1, a blank
# image or a repeated table 100:1 at most. Only members bigger than BOMB_MIN_BYTES are judged.
MAX_RATIO = 200
BOMB_MIN_BYTES = 1_000_000
PROLOG_BYTES = 65_536  # where an XML part's DOCTYPE would have to be: before its root element
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


class Hostile(Exception):
    """A package that breaks a limit: reported as ``hostile: …``, never opened by the libraries."""


def _check_package(zf: zipfile.ZipFile) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise Hostile(f"{len(infos)} members in the package (limit {MAX_MEMBERS})")
    total = 0
    for info in infos:
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise Hostile(f"package expands to more than {MAX_TOTAL_BYTES // 1_000_000} MB")
        if info.file_size > BOMB_MIN_BYTES and info.file_size > MAX_RATIO * max(1, info.compress_size):
            raise Hostile(f"zip bomb: {info.filename} expands {info.file_size // max(1, info.compress_size)}:1")
        if info.filename.lower().endswith((".xml", ".rels")):
            if info.file_size > MAX_XML_BYTES:
                raise Hostile(f"XML part {info.filename} is {info.file_size // 1_000_000} MB")
            _check_prolog(zf, info)


def _check_prolog(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    with zf.open(info) as fh:
        head = fh.read(PROLOG_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    root = _ROOT_START.search(head)
    prolog = head if root is None else head[: root.start()]
    if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
        raise Hostile(f"XML part {info.filename} declares a DTD (entity expansion)")
    if root is None and len(head) == PROLOG_BYTES:
        raise Hostile(f"XML part {info.filename} has no root element in its first {PROLOG_BYTES} bytes")


def sniff_format(zf: zipfile.ZipFile) -> str | None:
    names = set(zf.namelist())
    if "word/document.xml" in names:
        return "docx"
    if "mimetype" in names and "content.xml" in names:
        with zf.open("mimetype") as fh:
            if fh.read(100).strip() == _ODT_MIMETYPE:
                return "odt"
    return None


def _date(value) -> str | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, dt.date) or not (1990 <= value.year <= dt.date.today().year + 1):
        return None
    return (value.date() if isinstance(value, dt.datetime) else value).isoformat()


def _clean(value) -> str:
    return " ".join(str(value or "").replace("\x00", "").split())


def _docx(body: bytes) -> dict:
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(body))
    blocks: list[str] = []

    def walk(container) -> None:  # paragraphs and tables in reading order; tables cell by cell
        for item in container.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    for cell in row.cells:
                        walk(cell)
            else:
                blocks.append(item.text)

    walk(document)
    props = document.core_properties
    return {"text": "\n".join(blocks), "title": _clean(props.title), "author": _clean(props.author),
            "created": _date(props.created)}


def _odt(body: bytes) -> dict:
    import odfdo

    document = odfdo.Document(io.BytesIO(body))
    blocks = [el.text_recursive or "" for el in document.body.get_elements("//text:h|//text:p")]
    meta = document.meta
    return {"text": "\n".join(blocks), "title": _clean(meta.get_title()),
            "author": _clean(meta.get_initial_creator() or meta.get_creator()),
            "created": _date(meta.get_creation_date())}


def extract(body: bytes, expected: str | None = None) -> dict:
    """Text and metadata of a DOCX or ODT file, whatever its URL or media type said it was."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(body))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        return {"error": f"broken: not a zip package ({exc})"[:300]}
    with zf:
        try:
            _check_package(zf)
            fmt = sniff_format(zf)
        except Hostile as exc:
            return {"error": f"hostile: {exc}"[:300]}
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:  # RuntimeError: encrypted member
            return {"error": f"broken: {type(exc).__name__}: {exc}"[:300]}
    if fmt is None:
        return {"error": f"broken: not a {expected or 'DOCX or ODT'} document"}
    try:
        found = _docx(body) if fmt == "docx" else _odt(body)
    except MemoryError:
        raise
    except Exception as exc:  # damaged parts, invalid XML: a broken file, not a worker problem
        return {"error": f"broken: {type(exc).__name__}: {exc}"[:300]}
    text = normalize(found["text"])[:MAX_CHARS]
    if letters(text) < 10:
        return {"error": "no text: the document has no words"}
    title = found["title"] if not junk_title(found["title"]) else first_line_title(text)
    return {"text": text, "title": title, "author": found["author"], "created": found["created"],
            "format": fmt, "truncated": len(found["text"]) > MAX_CHARS}
