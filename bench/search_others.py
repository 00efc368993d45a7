"""The engines ours is compared with, on the same corpus and queries (bench/search.py).

- naive Whoosh: default ``open_dir`` (mmap), body stored, ``groupedby`` facets, ``len(results)`` for the total,
  a searcher per request, Whoosh's French ``LanguageAnalyzer`` and ``hit.highlights``;
- SQLite FTS5 (stdlib): words folded and stemmed in Python with our stemmer (an approximation of the French
  analysis: no elision, no hyphen handling), facets as GROUP BY over a temp table of the matches, ``snippet()``;
- tantivy (``pip install tantivy``): a Rust engine, French stemming and ASCII folding, terms aggregations.

Each offers ``index(docs)``, ``plain(q)``, ``full(q)`` (top 10 + total + all facet counts + highlights),
``browse(filters)`` (empty query, counts and newest 10) and ``highlights(q)``.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from pathlib import Path

FACETS = {"theme": "themes", "pillar": "pillars", "centre": "centre", "region": "region",
          "department": "departments", "qpv": "qpvs", "type": "type", "year": "year", "language": "language"}
MULTI = {"themes", "pillars", "region", "departments", "qpvs"}


def _values(doc, field: str) -> list[str]:
    if field == "themes":
        return list(doc.themes)
    if field == "pillars":
        return list(doc.pillars)
    if field == "region":
        return list(doc.region)
    if field == "departments":
        return list(doc.departments)
    if field == "qpvs":
        return list(doc.qpvs)
    if field == "centre":
        return [doc.centre]
    if field == "type":
        return [doc.doctype]
    if field == "year":
        return [str(doc.published.year)] if doc.published else []
    return [doc.language or ""]


class NaiveWhoosh:
    name = "naive Whoosh"

    def __init__(self, path: Path):
        self.path = path

    def index(self, docs) -> None:
        from whoosh import index
        from whoosh.analysis import LanguageAnalyzer
        from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema

        fr = LanguageAnalyzer("fr")
        fields = {name: KEYWORD(stored=True, commas=True) if name in MULTI else ID(stored=True)
                  for name in FACETS.values()}
        schema = Schema(id=ID(unique=True, stored=True), title=TEXT(analyzer=fr, stored=True),
                        summary=TEXT(analyzer=fr, stored=True), body=TEXT(analyzer=fr, stored=True),
                        published=NUMERIC(stored=True, sortable=True), **fields)
        self.path.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(self.path), schema)
        writer = ix.writer()
        for d in docs:
            extra = {f: ",".join(_values(d, f)) for f in FACETS.values()}
            writer.add_document(id=d.id, title=d.title, summary=d.summary, body=d.text,
                                published=int(d.published.strftime("%Y%m%d")) if d.published else 0,
                                **{k: v for k, v in extra.items() if v})
        writer.commit()

    def open(self) -> None:
        from whoosh import index
        from whoosh.qparser import MultifieldParser

        self.ix = index.open_dir(str(self.path))
        self.parser = MultifieldParser(["title", "summary", "body"], self.ix.schema,
                                       fieldboosts={"title": 3.0, "summary": 2.0, "body": 1.0})

    def _facets(self):
        from whoosh import sorting

        return {name: sorting.FieldFacet(field, allow_overlap=field in MULTI) for name, field in FACETS.items()}

    def plain(self, q: str):
        with self.ix.searcher() as s:
            return [hit["id"] for hit in s.search(self.parser.parse(q), limit=10)]

    def full(self, q: str):
        with self.ix.searcher() as s:
            results = s.search(self.parser.parse(q), limit=10, groupedby=self._facets())
            counts = {name: {k: len(v) for k, v in results.groups(name).items()} for name in FACETS}
            return len(results), counts, [hit.highlights("body") for hit in results]

    def highlights(self, q: str):
        with self.ix.searcher() as s:
            return [hit.highlights("body") for hit in s.search(self.parser.parse(q), limit=10)]

    def browse(self, filters: dict[str, list[str]]):
        from whoosh import query

        with self.ix.searcher() as s:
            q = query.And([query.Or([query.Term(FACETS[k], v) for v in vs]) for k, vs in filters.items()]) \
                if filters else query.Every()
            results = s.search(q, limit=10, groupedby=self._facets(), sortedby="published", reverse=True)
            return len(results), {name: {k: len(v) for k, v in results.groups(name).items()} for name in FACETS}


_WORD = re.compile(r"\w+", re.UNICODE)


class Fts5:
    name = "SQLite FTS5"

    def __init__(self, path: Path):
        self.path = path
        from crpv_watch.text.analysis import FRENCH_STOP_WORDS, stem_word

        self._stop, self._stem, self._cache = FRENCH_STOP_WORDS, stem_word, {}

    def _terms(self, text: str) -> str:
        out = []
        cache = self._cache
        for w in _WORD.findall(text.lower()):
            t = cache.get(w)
            if t is None:
                folded = "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))
                t = "" if w in self._stop else self._stem(folded)
                cache[w] = t
            if t:
                out.append(t)
        return " ".join(out)

    def index(self, docs) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path)
        db.executescript("""
            CREATE VIRTUAL TABLE fts USING fts5(title, summary, body, tokenize='unicode61 remove_diacritics 2');
            CREATE TABLE docs(rowid INTEGER PRIMARY KEY, id TEXT, published INTEGER);
            CREATE TABLE facet(rowid INTEGER, name TEXT, value TEXT);
        """)
        for n, d in enumerate(docs, 1):
            db.execute("INSERT INTO fts(rowid, title, summary, body) VALUES (?, ?, ?, ?)",
                       (n, self._terms(d.title), self._terms(d.summary), self._terms(d.text)))
            db.execute("INSERT INTO docs VALUES (?, ?, ?)",
                       (n, d.id, int(d.published.strftime("%Y%m%d")) if d.published else 0))
            db.executemany("INSERT INTO facet VALUES (?, ?, ?)",
                           [(n, name, v) for name, field in FACETS.items() for v in _values(d, field)])
        db.execute("CREATE INDEX facet_rowid ON facet(rowid, name, value)")
        db.execute("CREATE INDEX facet_value ON facet(name, value, rowid)")
        db.execute("CREATE INDEX docs_published ON docs(published)")
        db.commit()
        db.close()

    def open(self) -> None:
        self.db = sqlite3.connect(self.path, check_same_thread=False)

    def _match(self, q: str) -> str:
        parts = []
        for m in re.finditer(r'"([^"]*)"|(\S+)', q):
            terms = self._terms(m.group(1) or m.group(2) or "")
            if terms:
                parts.append('"' + terms + '"' if m.group(1) else " AND ".join(f'"{t}"' for t in terms.split()))
        return " AND ".join(parts) or '""'

    def plain(self, q: str):
        return self.db.execute("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, 3.0, 2.0, 1.0) LIMIT 10",
                               (self._match(q),)).fetchall()

    def full(self, q: str):
        db = self.db
        db.execute("DROP TABLE IF EXISTS temp.m")
        db.execute("CREATE TEMP TABLE m AS SELECT rowid AS r, bm25(fts, 3.0, 2.0, 1.0) AS s FROM fts "
                   "WHERE fts MATCH ?", (self._match(q),))
        total = db.execute("SELECT count(*) FROM m").fetchone()[0]
        counts = db.execute("SELECT name, value, count(*) FROM facet JOIN m ON facet.rowid = m.r "
                            "GROUP BY name, value").fetchall()
        return total, counts, self.highlights(q)

    def highlights(self, q: str):
        return self.db.execute("SELECT snippet(fts, 2, '<mark>', '</mark>', '…', 40) FROM fts WHERE fts MATCH ? "
                               "ORDER BY bm25(fts, 3.0, 2.0, 1.0) LIMIT 10", (self._match(q),)).fetchall()

    def browse(self, filters: dict[str, list[str]]):
        db = self.db
        where = " AND ".join(
            f"rowid IN (SELECT rowid FROM facet WHERE name = '{k}' AND value IN ({','.join('?' * len(vs))}))"
            for k, vs in filters.items()) or "1"
        args = [v for vs in filters.values() for v in vs]
        db.execute("DROP TABLE IF EXISTS temp.b")
        db.execute(f"CREATE TEMP TABLE b AS SELECT rowid AS r FROM docs WHERE {where}", args)
        counts = db.execute("SELECT name, value, count(*) FROM facet JOIN b ON facet.rowid = b.r "
                            "GROUP BY name, value").fetchall()
        top = db.execute("SELECT id FROM docs JOIN b ON docs.rowid = b.r ORDER BY published DESC LIMIT 10").fetchall()
        return len(counts), top


class Tantivy:
    name = "tantivy"

    def __init__(self, path: Path):
        self.path = path

    def _schema(self):
        import tantivy

        b = tantivy.SchemaBuilder()
        b.add_text_field("id", stored=True, tokenizer_name="raw")
        for f in ("title", "summary", "body"):
            b.add_text_field(f, stored=True, tokenizer_name="fr", index_option="position")
        for f in FACETS.values():
            b.add_text_field(f, stored=False, tokenizer_name="raw", fast=True)
        b.add_integer_field("published", stored=True, fast=True, indexed=True)
        return b.build()

    def _open(self, create: bool):
        import tantivy

        self.path.mkdir(parents=True, exist_ok=True)
        ix = tantivy.Index(self._schema(), path=str(self.path))
        fr = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.lowercase())
              .filter(tantivy.Filter.ascii_fold()).filter(tantivy.Filter.stemmer("french")).build())
        ix.register_tokenizer("fr", fr)
        return ix

    def index(self, docs) -> None:
        import tantivy

        ix = self._open(True)
        writer = ix.writer(heap_size=200_000_000, num_threads=2)
        for d in docs:
            doc = tantivy.Document(id=d.id, title=d.title, summary=d.summary, body=d.text,
                                   published=int(d.published.strftime("%Y%m%d")) if d.published else 0)
            for f in FACETS.values():
                for v in _values(d, f):
                    doc.add_text(f, v)
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()

    def open(self) -> None:
        self.ix = self._open(False)
        self.ix.reload()
        self.searcher = self.ix.searcher()
        self.aggs = {name: {"terms": {"field": field, "size": 2000}} for name, field in FACETS.items()}

    def _query(self, q: str):
        query, _errors = self.ix.parse_query_lenient(q, ["title", "summary", "body"],
                                                     field_boosts={"title": 3.0, "summary": 2.0})
        return query

    def plain(self, q: str):
        return self.searcher.search(self._query(q), 10).hits

    def full(self, q: str):
        query = self._query(q)
        result = self.searcher.search(query, 10, count=True)
        counts = self.searcher.aggregate(query, self.aggs)
        return result.count, counts, self._snippets(query, result.hits)

    def _snippets(self, query, hits):
        import tantivy

        gen = tantivy.SnippetGenerator.create(self.searcher, query, self.ix.schema, "body")
        return [gen.snippet_from_doc(self.searcher.doc(addr)).to_html() for _score, addr in hits]

    def highlights(self, q: str):
        query = self._query(q)
        return self._snippets(query, self.searcher.search(query, 10).hits)

    def browse(self, filters: dict[str, list[str]]):
        import tantivy

        if filters:
            clauses = [(tantivy.Occur.Must, tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, tantivy.Query.term_query(self.ix.schema, FACETS[k], v)) for v in vs]))
                for k, vs in filters.items()]
            query = tantivy.Query.boolean_query(clauses)
        else:
            query = tantivy.Query.all_query()
        result = self.searcher.search(query, 10, count=True, order_by_field="published",
                                      order=tantivy.Order.Desc)
        return result.count, json.dumps(self.searcher.aggregate(query, self.aggs))[:10]
