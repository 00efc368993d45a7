"""Benchmark: build (not send) the digests of 10,000 subscriptions over a 50,000-document store, 500 of them new
this week. Goal: ≤ 60 s. Usage: .venv/bin/python bench/digest.py [--subscribers N] [--documents N] [--new N]

The candidates (the week's new documents) are read from the store; each distinct alert is matched by the search
engine itself (the site's own parser and facets), so the index is built first (timed apart).
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crpv_watch.digest.sender import DigestSender  # noqa: E402
from crpv_watch.indexing.writer import Indexer  # noqa: E402
from crpv_watch.services import Services  # noqa: E402
from crpv_watch.settings import Settings  # noqa: E402
from crpv_watch.store.models import Alert, Document, DocumentTheme, Subscriber, utcnow  # noqa: E402

WORDS = ("jardin partagé habitants quartier médiation sociale emploi jeunes insertion numérique école réussite "
         "éducative santé mentale logement rénovation urbaine conseil citoyen participation sport culture "
         "sécurité tranquillité mobilité transport commerce entreprise formation apprentissage parentalité "
         "famille seniors isolement alimentation solidarité association bailleur contrat ville cohésion "
         "territoire diagnostic évaluation observatoire transition écologique énergie climat").split()
REGIONS = ["11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93"]


def sources_yaml(n: int) -> str:
    lines = ["sources:"]
    for i in range(n):
        lines += [f"  - id: centre-{i}", f"    name: Centre {i}", f"    homepage: http://127.0.0.1:9/c{i}/",
                  f'    start_urls: ["http://127.0.0.1:9/c{i}/ressources"]', f'    region: "{REGIONS[i % len(REGIONS)]}"']
    return "\n".join(lines) + "\n"


def vocabulary_words(services, rng: random.Random) -> list[str]:
    """The thesaurus' keywords, word by word: a few thousand real words of the field, shuffled for a Zipf draw."""
    words = set(WORDS)
    for theme in services.vocabulary.themes.values():
        for phrase in (theme.label, *theme.keywords):
            words.update(w for w in phrase.lower().replace("'", " ").split() if len(w) > 3)
    out = sorted(words)
    rng.shuffle(out)
    return out


def populate(services, documents: int, new: int, subscribers: int, rng: random.Random) -> None:
    words = vocabulary_words(services, rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]  # Zipf: a few common words, many rare ones

    def draw(k: int) -> list[str]:
        return rng.choices(words, weights, k=k)

    themes = list(services.vocabulary.themes)
    doctypes = list(services.vocabulary.doctypes)
    now = utcnow()
    today = dt.date.today()
    engine = services.db.engine
    batch, theme_rows = [], []
    for n in range(documents):
        fresh = n >= documents - new
        seen = now - dt.timedelta(hours=rng.uniform(1, 120)) if fresh else now - dt.timedelta(days=rng.uniform(40, 900))
        text = " ".join(draw(rng.randint(150, 400)))
        doc_id = f"d{n:07d}"
        batch.append({"id": doc_id, "canonical_url": f"http://127.0.0.1:9/doc/{n}", "source_id": f"centre-{n % 20}",
                      "title": " ".join(draw(6)).capitalize(), "summary": text[:200],
                      "text": text, "content_hash": doc_id, "doctype": rng.choice(doctypes), "language": "fr",
                      "published": (seen.date() if rng.random() < 0.9 else today - dt.timedelta(days=60)),
                      "first_seen_at": seen, "updated_at": seen, "from_first_crawl": (not fresh) or rng.random() < 0.1,
                      "featured": fresh and rng.random() < 0.02, "status": "active", "meta": {},
                      "doctype_explanation": [], "departments": [], "qpvs": [], "ocr": False,
                      "content_type": "text/html", "author": ""})
        for t in rng.sample(themes, rng.randint(1, 3)):
            theme_rows.append({"document_id": doc_id, "theme_id": t, "score": 1.0, "origin": "tagger",
                               "explanation": []})
        if len(batch) >= 5000:
            with engine.begin() as conn:
                conn.execute(insert(Document), batch)
                conn.execute(insert(DocumentTheme), theme_rows)
            batch, theme_rows = [], []
    if batch:
        with engine.begin() as conn:
            conn.execute(insert(Document), batch)
            conn.execute(insert(DocumentTheme), theme_rows)
    confirmed = now - dt.timedelta(days=10)
    with engine.begin() as conn:
        conn.execute(insert(Subscriber), [
            {"id": i + 1, "email": f"abonne{i}@example.org", "status": "active", "frequency": "weekly",
             "created_at": confirmed, "confirmed_at": confirmed, "consent_at": confirmed, "consent_source": "bench",
             "bounce_count": 0, "last_bounce": "", "unsubscribed_at": None, "last_digest_at": None}
            for i in range(subscribers)])
        alerts = []
        for i in range(subscribers):
            for _ in range(rng.randint(1, 3)):
                kind = rng.random()
                params: dict = {}
                if kind < 0.4:
                    params["theme"] = rng.sample(themes, rng.randint(1, 2))
                elif kind < 0.6:
                    params["region"] = [rng.choice(REGIONS)]
                elif kind < 0.7:
                    params["centre"] = [f"centre-{rng.randrange(20)}"]
                if rng.random() < 0.4:
                    params["q"] = " ".join(rng.sample(words[:300], rng.randint(1, 2)))
                if rng.random() < 0.05:
                    params["q"] = f'"{rng.choice(words[:50])} {rng.choice(words[:50])}"'
                alerts.append({"subscriber_id": i + 1, "params": params, "active": True, "created_at": confirmed,
                               "name": "", "source": "bench"})
        conn.execute(insert(Alert), alerts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--documents", type=int, default=50_000)
    parser.add_argument("--new", type=int, default=500)
    args = parser.parse_args()
    rng = random.Random(20261127)
    with tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "sources.yaml"
        sources.write_text(sources_yaml(20))
        services = Services(Settings(data_dir=Path(tmp) / "data", sources_path=sources, secret_key="bench",
                                     mail_url=f"maildir://{tmp}/mail"))
        t0 = time.perf_counter()
        populate(services, args.documents, args.new, args.subscribers, rng)
        t1 = time.perf_counter()
        print(f"store: {args.documents} documents ({args.new} new), {args.subscribers} subscribers in {t1 - t0:.1f} s")
        Indexer(services).rebuild()
        print(f"index built in {time.perf_counter() - t1:.1f} s")
        start, cpu = time.perf_counter(), time.process_time()
        report = DigestSender(services).run(force=True, dry_run=True)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        counts = [c for _, c, _ in report.previews]
        print(f"digests built and rendered (HTML + text), none sent: {len(counts)} in {elapsed:.1f} s "
              f"({elapsed / max(len(counts), 1) * 1000:.2f} ms each); documents per digest: "
              f"mean {sum(counts) / max(len(counts), 1):.1f}, max {max(counts, default=0)}, "
              f"empty {sum(1 for c in counts if c == 0)}; CPU time {cpu:.1f} s")
        print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
              f"{dt.date.today().isoformat()}; goal ≤ 60 s: {'OK' if elapsed <= 60 else 'MISSED'}")
        services.close()


if __name__ == "__main__":
    main()
