"""A deterministic French corpus for the search benchmark, and the store it is indexed from.

Sentences come from the demo network's building blocks (real politique-de-la-ville French), drawn with a seeded
generator; every document also gets proper nouns made of random syllables (a long tail of rare terms, as town,
association and people names give a real corpus). Lengths are log-normal around a median of ~1,000 words with
short news items and 20,000-word PDFs; 26 themes, 20 centres over 13 regions, ~100 departments, 1,500 QPV
codes, 17 types, 2015–2025 dates, 5 % of documents in English.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

from crpv_watch.items import IndexDocument

SEED = 20250401
REGIONS = ["11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"]
SYLLABLES = "ba be bi bo bou ca ce ci co cou da de di do dou fa fe fi fo ga gue gui go la le li lo lou ma me mi " \
            "mo mou na ne ni no nou pa pe pi po pou ra re ri ro rou sa se si so sou ta te ti to tou va ve vi vo " \
            "ville mont val bourg court ac an en in on eur ier ais ard".split()
ENGLISH = ("The neighbourhood policy supports community centres and local associations in deprived areas. "
           "Residents took part in workshops about housing, employment and health. ").split(". ")


@dataclass
class Corpus:
    docs: list[IndexDocument]
    queries: list[str]  # 1–3 words and phrases
    centres: dict[str, list[str]]  # centre id → region codes


def _sentences() -> tuple[list[str], list[str]]:
    from crpv_watch.demo.compose import build_docs

    sentences: set[str] = set()
    titles: list[str] = []
    for d in build_docs():
        titles.append(d.title)
        for _heading, paragraphs in d.sections or d.pdf_pages:
            for p in paragraphs:
                sentences.update(s for s in re.split(r"(?<=[.!?])\s+", p) if len(s.split()) >= 4)
    return sorted(sentences), titles


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def generate(n: int, seed: int = SEED) -> Corpus:
    from crpv_watch.search.synonyms import Synonyms
    from crpv_watch.tagging.thesaurus import Vocabulary

    rng = random.Random(seed)
    vocab = Vocabulary.load()
    pillar_of = Synonyms.from_vocabulary(vocab).pillar_of
    themes = sorted(vocab.themes)
    doctypes = sorted(vocab.doctypes)
    sentences, titles = _sentences()
    centres = {f"crpv-{i:02d}": [REGIONS[i % len(REGIONS)]] + ([REGIONS[(i + 5) % 13]] if i % 7 == 0 else [])
               for i in range(20)}
    departments = [f"{d:02d}" for d in range(1, 96) if d != 20] + ["2A", "2B", "971", "972", "973", "974", "976"]
    qpvs = [f"QN{rng.choice(departments).zfill(3)}{i:03d}M" for i in range(1500)]
    names = [_name(rng) for _ in range(20_000)]
    docs = []
    for i in range(n):
        words = max(60, min(30_000, int(rng.lognormvariate(6.9, 0.8))))  # median e^6.9 ≈ 1,000 words
        english = rng.random() < 0.05
        body: list[str] = []
        count = 0
        while count < words:
            s = rng.choice(ENGLISH) if english else rng.choice(sentences)
            if rng.random() < 0.15:  # a proper noun: the long tail of the lexicon
                s = f"{s} {rng.choice(names)}."
            body.append(s)
            count += len(s.split())
        base = rng.choice(titles)
        title = base if rng.random() < 0.5 else f"{base.split(':')[0]} : {rng.choice(sentences)[:60].rstrip(' ,;')}"
        published = None if rng.random() < 0.03 else dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3_950))
        doc_themes = rng.sample(themes, rng.choice((1, 1, 2, 2, 3)))
        centre = f"crpv-{int(rng.paretovariate(1.2)) % 20:02d}"
        docs.append(IndexDocument(
            id=f"b{i:06d}", url=f"https://{centre}.example/doc/{i}", title=title, text=" ".join(body),
            summary=" ".join(body[:2])[:400], centre=centre, region=list(centres[centre]), themes=doc_themes,
            pillars=sorted({p for p in map(pillar_of.get, doc_themes) if p}), doctype=rng.choice(doctypes),
            published=published, first_seen=dt.datetime(2025, 1, 1) + dt.timedelta(minutes=i),
            language="en" if english else "fr", content_type="application/pdf" if words > 4000 else "text/html",
            found_at=[{"url": f"https://{centre}.example/doc/{i}", "centre": centre}],
            departments=rng.sample(departments, rng.choice((0, 1, 1, 2))),
            qpvs=rng.sample(qpvs, rng.choice((0, 0, 1, 2))),
        ))
    return Corpus(docs=docs, queries=queries(sentences, seed), centres=centres)


def queries(sentences: list[str], seed: int = SEED, count: int = 200) -> list[str]:
    """1–3 content words, and 2–3-word phrases, taken from the corpus' own sentences."""
    from crpv_watch.text.analysis import FRENCH_STOP_WORDS

    rng = random.Random(seed + 1)
    out = []
    while len(out) < count:
        words = [w for w in re.findall(r"\w[\w'’-]*", rng.choice(sentences))
                 if w.lower() not in FRENCH_STOP_WORDS and len(w) > 3 and not w[0].isdigit()]
        if len(words) < 3:
            continue
        kind = rng.random()
        if kind < 0.25:
            start = rng.randrange(len(words) - 1)
            out.append('"' + " ".join(words[start:start + rng.choice((2, 3))]) + '"')
        else:
            out.append(" ".join(rng.sample(words, rng.choice((1, 1, 2, 2, 3)))).lower())
    return out


def fill_store(services, docs: list[IndexDocument], batch: int = 2_000) -> None:
    """The documents as store rows (documents, places, themes), inserted in bulk: the indexer reads them back."""
    from sqlalchemy import insert

    from crpv_watch.store.models import Document, DocumentTheme, Place

    now = dt.datetime(2025, 1, 1)
    with services.db.session() as session:
        for start in range(0, len(docs), batch):
            chunk = docs[start:start + batch]
            session.execute(insert(Document), [{
                "id": d.id, "canonical_url": d.url, "source_id": d.centre, "title": d.title, "summary": d.summary,
                "text": d.text, "content_type": d.content_type, "language": d.language, "published": d.published,
                "content_hash": d.id, "doctype": d.doctype, "status": "active", "first_seen_at": d.first_seen or now,
                "updated_at": now, "departments": d.departments, "qpvs": d.qpvs, "meta": {}, "doctype_explanation": [],
            } for d in chunk])
            session.execute(insert(Place), [{"document_id": d.id, "source_id": d.centre, "url": d.url}
                                            for d in chunk])
            session.execute(insert(DocumentTheme), [{"document_id": d.id, "theme_id": t, "score": 1.0,
                                                     "origin": "tagger", "explanation": []}
                                                    for d in chunk for t in d.themes])
            session.commit()


def stored_count(services) -> int:
    """Documents already in the store (a kept store filled by an earlier run is not filled again)."""
    from sqlalchemy import func, select

    from crpv_watch.store.models import Document

    with services.db.session() as session:
        return session.scalar(select(func.count()).select_from(Document))
