"""What runs inside a document worker process for PDFs: pypdf text + metadata, optional OCR, text normalisation,
and the worker's task loop (``worker_main``; the process itself is ``document_worker.py``).

The worker imports only pypdf (python-docx / odfdo on its first office task; never trafilatura, Flask or
SQLAlchemy), which keeps it small under its ``RLIMIT_AS`` cap. Results travel back as plain
dicts: ``{"error": reason}`` or ``{"text", "title", "author", "created", "pages", "ocr", …}``.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
import warnings

from pypdf import PasswordType, PdfReader

OCR_MAX_PAGES = 10  # scanned reports can be hundreds of pages; the first ten carry title, summary, themes
OCR_DPI = 200
MAX_CHARS = 3_000_000  # text sent back per PDF; beyond that it is a book, not a document to tag
MIN_LETTERS = 10  # fewer letters than this (or than 3 per page) → "no text layer"

_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st",
              "\ufb06": "st", "\u00ad": "", "\x00": "", "\ufffe": "", "\ufeff": ""}
# A regex finds these (rare) characters in C; ``str.translate`` with a dict looked up every character (half of
# the cleaning's time).
_LIGATURE = re.compile("[" + "".join(f"\\u{ord(c):04x}" for c in _LIGATURES) + "]")
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A word cut at a line end: "renouvelle-\nment" → "renouvellement". Only before a lower-case letter, so
# compound names split at their hyphen ("Saint-\nDenis") keep it. (The word character is a look-behind, so
# the search starts from the rare "-" instead of every letter.)
_HYPHEN_BREAK = re.compile(r"(?<=\w)-[ \t]*\n[ \t]*(?=[a-zà-öø-ÿœ])")
_BLANK_LINES = re.compile(r"\n{3,}")
_JUNK_TITLE = re.compile(r"^(microsoft (word|powerpoint|excel)\b|untitled|sans titre|document\d*$|diapositive|"
                         r"présentation powerpoint|titre$|title$|\S+\.(docx?|odt|pdf|pptx?|indd|qxd|rtf|xlsx?)$)", re.I)
_PDF_DATE = re.compile(r"(?:D:)?(\d{4})(\d{2})?(\d{2})?")


def normalize(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _LIGATURE.sub(lambda m: _LIGATURES[m.group()], text)
    text = _CONTROL.sub(" ", text)
    text = _HYPHEN_BREAK.sub("", text)
    # str.split() also splits on no-break spaces: each line's spacing collapsed to single spaces.
    text = "\n".join([" ".join(line.split()) for line in text.split("\n")])
    return _BLANK_LINES.sub("\n\n", text).strip()


def letters(text: str) -> int:
    return sum(1 for c in text if c.isalpha())


def has_letters(text: str, minimum: int) -> bool:
    """``letters(text) >= minimum``, stopping as soon as it is known (the whole text was counted before)."""
    if minimum <= 0:
        return True
    count = 0
    for c in text:
        if c.isalpha():
            count += 1
            if count >= minimum:
                return True
    return False


def summary(text: str, limit: int = 300) -> str:
    # Flattening a prefix gives a prefix of the flattened text: when it is long enough, the (long) rest of the
    # text need not be split at all.
    flat = " ".join(text[: 4 * limit].split())
    if len(flat) <= limit:
        flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def first_line_title(text: str) -> str:
    for line in text.split("\n")[:40]:
        line = line.strip()
        if 5 <= len(line) <= 200 and letters(line) >= 4 and letters(line) >= 0.5 * len(line.replace(" ", "")):
            return line
    return ""


def junk_title(title: str) -> bool:
    """A producer's placeholder ("Microsoft Word - x.docx", "Document1", "Sans titre") or no real words."""
    return bool(_JUNK_TITLE.match(title)) or letters(title) < 3


def _clean_meta(value) -> str:
    if value is None:
        return ""
    try:
        return " ".join(str(value).replace("\x00", "").split())
    except Exception:
        return ""


def _date(meta) -> str | None:
    """CreationDate as an ISO date, ignoring the 1970/1900 placeholders some producers write."""
    created = None
    try:
        created = meta.creation_date
    except Exception:  # pypdf raises on non-standard date strings; parse the raw value below
        created = None
    if created is None:
        raw = _clean_meta(meta.get("/CreationDate")) if hasattr(meta, "get") else ""
        m = _PDF_DATE.search(raw)
        if m:
            try:
                created = dt.datetime(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
            except ValueError:
                created = None
    if created is None or not (1990 <= created.year <= dt.date.today().year + 1):
        return None
    return created.date().isoformat()


def _metadata(reader) -> dict:
    out: dict = {}
    try:
        meta = reader.metadata
    except Exception:  # unreadable /Info: the text may still be fine
        return out
    if not meta:
        return out
    for key, attr in (("title", "title"), ("author", "author"), ("producer", "producer")):
        try:
            out[key] = _clean_meta(getattr(meta, attr))
        except Exception:
            out[key] = ""
    if junk_title(out.get("title", "")):
        out["title"] = ""
    out["created"] = _date(meta)
    return out


# -- OCR (optional: tesseract + pdftoppm) ---------------------------------------------------------------------

_ocr_lang: str | None | bool = False  # False = not probed yet


def ocr_language() -> str | None:
    """"fra" (or "eng") when tesseract and pdftoppm are installed, else None."""
    global _ocr_lang
    if _ocr_lang is False:
        _ocr_lang = None
        tesseract, pdftoppm = shutil.which("tesseract"), shutil.which("pdftoppm")
        if tesseract and pdftoppm:
            try:
                out = subprocess.run([tesseract, "--list-langs"], capture_output=True, text=True, timeout=20).stdout
                langs = set(out.split())
                _ocr_lang = "fra" if "fra" in langs else ("eng" if "eng" in langs else None)
            except (OSError, subprocess.SubprocessError):
                _ocr_lang = None
    return _ocr_lang or None


def ocr(body: bytes, max_pages: int, deadline: float) -> str:
    lang = ocr_language()
    if not lang:
        return ""
    with tempfile.TemporaryDirectory(prefix="crpv-ocr-") as tmp:
        pdf = os.path.join(tmp, "in.pdf")
        with open(pdf, "wb") as fh:
            fh.write(body)
        budget = max(1.0, deadline - time.monotonic())
        subprocess.run(["pdftoppm", "-r", str(OCR_DPI), "-gray", "-png", "-f", "1", "-l", str(max_pages), pdf,
                        os.path.join(tmp, "p")], capture_output=True, timeout=budget, check=False)
        texts = []
        for name in sorted(n for n in os.listdir(tmp) if n.endswith(".png")):
            budget = deadline - time.monotonic()
            if budget <= 1:
                break
            res = subprocess.run(["tesseract", os.path.join(tmp, name), "stdout", "-l", lang], capture_output=True,
                                 text=True, timeout=budget, check=False)
            texts.append(res.stdout)
    return normalize("\n\n".join(texts))


# -- extraction ---------------------------------------------------------------------------------------------

def extract(body: bytes, soft_deadline: float = 30.0, ocr_pages: int = OCR_MAX_PAGES) -> dict:
    start = time.monotonic()
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        encrypted = reader.is_encrypted
    except MemoryError:
        raise
    except Exception as exc:
        if _is_limit(exc):
            return {"error": f"memory: decompression limit ({exc})"[:300]}
        return {"error": f"broken: {type(exc).__name__}: {exc}"[:300]}
    if encrypted:
        try:
            opened = reader.decrypt("")
        except MemoryError:
            raise
        except Exception as exc:  # unsupported algorithm, damaged /Encrypt dictionary
            return {"error": f"encrypted: cannot decrypt ({type(exc).__name__}: {exc})"[:300]}
        if opened == PasswordType.NOT_DECRYPTED:
            return {"error": "encrypted: a password is required"}
    try:
        pages = len(reader.pages)
    except MemoryError:
        raise
    except Exception as exc:
        return {"error": f"broken: page tree unreadable ({type(exc).__name__}: {exc})"[:300]}
    meta = _metadata(reader)
    texts: list[str] = []
    failed = 0
    last_error: Exception | None = None
    size = 0
    truncated = False
    for index in range(pages):
        if time.monotonic() - start > soft_deadline or size > MAX_CHARS:
            truncated = True
            break
        try:
            page_text = reader.pages[index].extract_text() or ""
        except MemoryError:
            raise
        except Exception as exc:  # one bad page (broken font, bad stream) must not lose the others
            failed += 1
            last_error = exc
            continue
        texts.append(page_text)
        size += len(page_text)
    text = normalize("\n\n".join(texts))[:MAX_CHARS]
    used_ocr = False
    if not has_letters(text, max(MIN_LETTERS, 3 * len(texts))):
        if pages and failed >= pages:
            if _is_limit(last_error):  # pypdf's own decompression-bomb guard
                return {"error": f"memory: decompression limit ({last_error})"[:300]}
            return {"error": f"broken: no page could be read ({type(last_error).__name__}: {last_error})"[:300]}
        deadline = start + max(soft_deadline * 1.5, 5.0)  # OCR may use part of the hard timeout's margin
        ocr_text = ocr(body, ocr_pages, deadline) if ocr_language() else ""
        if letters(ocr_text) < MIN_LETTERS:
            return {"error": f"no text layer ({letters(text)} letters on {pages} pages)"}
        text, used_ocr = ocr_text, True
    return {
        "text": text,
        "title": meta.get("title") or first_line_title(text),
        "author": meta.get("author", ""),
        "producer": meta.get("producer", ""),
        "created": meta.get("created"),
        "pages": pages,
        "ocr": used_ocr,
        "truncated": truncated,
        "encrypted": bool(encrypted),
    }


def _is_limit(exc: Exception | None) -> bool:
    return exc is not None and type(exc).__name__ == "LimitReachedError"


def _limit_memory(memory_mb: int) -> None:
    if memory_mb <= 0:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = memory_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def run_pdf_task(task: dict) -> dict:
    return extract(task["body"], task.get("soft_deadline", 30.0), task.get("ocr_pages", OCR_MAX_PAGES))


def worker_main(conn, run=run_pdf_task) -> None:
    """Serve tasks until told to stop (None) or the pipe closes; ``run(task)`` does one file's work."""
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # pypdf logs every malformed object it repairs
    warnings.simplefilter("ignore")
    conn.send({"ready": os.getpid()})
    limit = None
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        if task.get("memory_mb") != limit:
            limit = task.get("memory_mb")
            _limit_memory(int(limit or 0))
        if task.get("sleep"):  # tests: a worker that hangs
            time.sleep(task["sleep"])
        cpu = time.process_time()
        try:
            result = run(task)
        except MemoryError:
            result = {"error": f"memory: over the {limit} MB limit", "recycle": True}
        except RecursionError:
            result = {"error": "broken: recursion too deep (reference loop?)", "recycle": True}
        except Exception as exc:  # anything else pypdf throws is a broken file, not a worker problem
            result = {"error": f"broken: {type(exc).__name__}: {exc}"[:300]}
        task = None
        result["cpu"] = time.process_time() - cpu  # the task's CPU seconds in this worker (bench/crawl.py)
        try:
            conn.send(result)
        except MemoryError:
            conn.send({"error": "memory: result too large", "recycle": True})
        except (OSError, BrokenPipeError):
            return
