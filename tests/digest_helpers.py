"""Shared set-up of the digest tests: services with a few stored and indexed documents, and subscribers."""

from __future__ import annotations

import datetime as dt
import itertools

from conftest import fast_settings
from test_web_search import SOURCES_YAML

from crpv_watch.digest import subscriptions as subs
from crpv_watch.indexing.writer import Indexer
from crpv_watch.search.types import SearchRequest
from crpv_watch.services import Services
from crpv_watch.store import repo
from crpv_watch.store.models import Document, DocumentTheme, Place, utcnow

_n = itertools.count()


def make_services(tmp_path, **overrides) -> Services:
    sources = tmp_path / "sources.yaml"
    sources.write_text(SOURCES_YAML, encoding="utf-8")
    overrides.setdefault("mail_rate_per_minute", 0)
    overrides.setdefault("mail_retry_delay", 0)
    return Services(fast_settings(tmp_path, sources_path=sources, **overrides))


def add_doc(services, title, text="", *, centre="profession-banlieue", themes=(), seen=None, published=None,
            first_crawl=False, featured=False, status="active", doctype="fiche_experience") -> str:
    n = next(_n)
    url = f"http://127.0.0.1:9/{centre}/d{n}"
    seen = seen or utcnow()
    with services.db.session() as db:
        doc = Document(id=repo.document_id_for(url), canonical_url=url, source_id=centre, title=title, text=text,
                       summary=text[:120], content_hash=f"h{n}", doctype=doctype, language="fr",
                       published=published if published is not None else seen.date(), first_seen_at=seen,
                       from_first_crawl=first_crawl, featured=featured, status=status)
        doc.places = [Place(source_id=centre, url=url)]
        doc.themes = [DocumentTheme(theme_id=t, score=1.0) for t in themes]
        db.add(doc)
        repo.enqueue_index(db, [doc.id])
        doc_id = doc.id
    # As a crawl does: the document is searchable as soon as it is stored (alerts are matched by the search).
    Indexer(services).drain()
    return doc_id


def add_subscriber(services, email, *, q="", theme=(), region=(), centre=(), when=None, frequency="weekly"):
    req = SearchRequest(q=q, theme=list(theme), region=list(region), centre=list(centre))
    with services.db.session() as db:
        sub, alert = subs.subscribe(db, email, subs.alert_params(req), confirmed=True, frequency=frequency,
                                    now=when or utcnow() - dt.timedelta(days=1), source="test")
        return sub.id, alert.id
