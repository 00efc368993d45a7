"""Canonical URLs, exact content hashes and simhash fingerprints.

Canonical URLs decide what is fetched at all (two links to the same article with different tracking
parameters must be one candidate); the text hash catches exact copies at other URLs; simhash catches the
same article republished with small edits (a date, a signature, a different footer line).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

# Tracking parameters added by newsletters (Mailchimp, AT Internet/Xiti), social networks and ad tools;
# they never change the content served.
_TRACKING_EXACT = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "xtor", "igshid", "_hsenc", "_hsmi"}
_TRACKING_PREFIXES = ("utm_", "at_", "pk_")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Typographic variants that differ between two copies of one text (a CMS "smart quotes" filter on one site).
_CHAR_MAP = str.maketrans({
    "\u2019": "'", "\u2018": "'", "\u201a": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2011": "-", "\u2212": "-",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u00ad": "",
    "\u0153": "oe", "\u0152": "oe", "\u00e6": "ae", "\u00c6": "ae",
})
_WORD_RE = re.compile(r"\w+")
_MASK63 = (1 << 63) - 1


def _is_tracking(key: str) -> bool:
    k = key.lower()
    return k in _TRACKING_EXACT or k.startswith(_TRACKING_PREFIXES)


def canonicalize(url: str) -> str:
    """A stable form of ``url``: same document → same string (as far as the URL alone can tell)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # malformed port or IPv6 literal: leave the URL alone rather than invent one
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    netloc = host
    if parts.hostname and ":" in host:  # IPv6 literal needs its brackets back
        netloc = f"[{host}]"
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    path = re.sub(r"/{2,}", "/", parts.path)
    if not path and netloc:
        path = "/"
    # Keep each pair's raw spelling (re-encoding would turn %2F into / and change the URL served).
    pairs = [p for p in parts.query.split("&") if p and not _is_tracking(p.split("=", 1)[0])]
    query = "&".join(sorted(pairs))
    return urlunsplit((scheme, netloc, path, query, ""))


_PUNCT_BMP: dict[int, str] = {}


def _punctuation_table() -> dict[int, str]:
    """Every punctuation character (Unicode category P*) of the BMP mapped to a space: str.translate then runs
    in C, where a per-character Python loop took seconds on a 300-page PDF's text."""
    if not _PUNCT_BMP:
        _PUNCT_BMP.update({i: " " for i in range(0x10000) if unicodedata.category(chr(i)).startswith("P")})
    return _PUNCT_BMP


def normalize_text(text: str) -> str:
    """The text as compared for duplicates: case, accents kept; quotes, dashes, spacing, punctuation ignored."""
    text = unicodedata.normalize("NFC", text or "").translate(_CHAR_MAP).casefold()
    # French typography puts (narrow) spaces before ; : ! ? — drop punctuation entirely so spacing can't differ.
    text = text.translate(_punctuation_table())
    if text and max(text) > "\uffff":  # punctuation outside the BMP (rare): the exact, slow way
        text = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text)
    return " ".join(text.split())


def hash_normalized(normalized: str) -> str:
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def text_hash(text: str) -> str:
    return hash_normalized(normalize_text(text))


def simhash(text: str) -> int:
    """63-bit simhash over word 3-shingles (63 bits so the value fits a signed 64-bit database column)."""
    return simhash_normalized(normalize_text(text))


def simhash_normalized(normalized: str) -> int:
    words = _WORD_RE.findall(normalized)
    if not words:
        return 0
    blake2b = hashlib.blake2b
    # Same shingles, same 64-bit blake2b hashes as ever (stored simhashes stay comparable); only the counting
    # of the 63 bit columns changed.
    digests = [blake2b(" ".join(words[i:i + 3]).encode("utf-8"), digest_size=8).digest()
               for i in range(max(1, len(words) - 2))]
    counts = _bit_counts(digests)
    half = len(digests)
    value = 0
    for count in counts:  # bit 62 (most significant of the 63 kept) first
        value = (value << 1) | (1 if 2 * count > half else 0)
    return value & _MASK63


_CHUNK = 1 << 15  # digests per numpy batch: bounds the bit matrix (64 bytes per shingle) on book-sized texts


def _bit_counts(digests: list[bytes]) -> list[int]:
    """How many digests have each of their 63 low bits set, most significant first."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy comes with py3langid; the pure-Python way is 3x slower
        rows = [format(int.from_bytes(d, "big") & _MASK63, "063b") for d in digests]
        return [column.count("1") for column in zip(*rows, strict=True)]
    total = np.zeros(64, dtype=np.int64)
    for start in range(0, len(digests), _CHUNK):
        chunk = np.frombuffer(b"".join(digests[start:start + _CHUNK]), dtype=np.uint8)
        total += np.unpackbits(chunk).reshape(-1, 64).sum(axis=0, dtype=np.int64)
    return total[1:].tolist()  # bit 63 (the first, big-endian) is dropped: 63-bit values


def hamming(a: int, b: int) -> int:
    return bin((a ^ b) & _MASK63).count("1")


def near_duplicate(a: int, b: int, max_distance: int = 3) -> bool:
    return hamming(a, b) <= max_distance
