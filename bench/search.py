"""Search speed: ours through the Flask app, against naive Whoosh, SQLite FTS5 and tantivy (docs/PERFORMANCE.md).

    .venv/bin/python bench/search.py [--sizes 10000,50000] [--quick] [--queries 200]
                                     [--engines ours,postgresql,naive,fts5,tantivy] [--postgres-url URL]
                                     [--procs N]  (processes of a rebuild: PostgreSQL analysis, ours segments)
                                     [--keep DIR]  (build once in DIR, reuse the corpus spec and indexes later)

Per size: a deterministic French corpus (bench/search_corpus.py) is written to a SQLite store and indexed through
the project's own code (``Indexer.rebuild``: store → ``to_index_document`` → ``SearchEngine.rebuild``); the other
engines index the same documents. Each engine is then queried from a fresh child process (so its peak RSS is the
query process's own): ours through ``create_app(settings, services)``'s test client on ``/api/search``:
  full    q + top 10 + total + every facet count + highlights (the page's and the API's request)
  browse  empty q with facet selections (counts + newest 10)
and, inside the same process, the parts: ``plain`` (parse + top 10, no counts), ``counts`` (top 10 + total + all
counts, snippets from summaries), ``highlights`` (snippets of the top 10 from the store's text), ``mlt``.
``postgresql`` is the same app with ``search_backend = "postgresql"``: store and search index in one PostgreSQL
database (``--postgres-url`` names a server the bench may create databases on, reused with ``--keep``; without
it a throwaway cluster is started, tests/pg_cluster.py, and its indexes are built again on every run). With
``--keep`` a filled store is reused when a run stopped while indexing (a 100k store takes minutes to fill).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PARTS = ("plain", "counts", "highlights", "full", "browse", "mlt")


class Clock:
    """Wall time and this thread's CPU time of each measured call: on a shared, loaded machine the CPU time is
    what the same call costs when it has a core to itself."""

    def __init__(self):
        self.wall: dict[str, list[float]] = {p: [] for p in PARTS}
        self.cpu: dict[str, list[float]] = {p: [] for p in PARTS}

    def time(self, part: str, fn, *args, **kw):
        w, c = time.perf_counter(), time.thread_time()
        result = fn(*args, **kw)
        self.cpu[part].append(time.thread_time() - c)
        self.wall[part].append(time.perf_counter() - w)
        return result

    def report(self) -> dict:
        return {p: {**pct(self.wall[p]), **{"cpu_" + k: v for k, v in pct(self.cpu[p]).items()}}
                for p in PARTS if self.wall[p]}


def pct(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered) * 1000, 2),
            "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 2)}


def peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def filters_for(corpus, count: int, seed: int = 7) -> list[dict[str, list[str]]]:
    rng = random.Random(seed)
    themes = sorted({t for d in corpus.docs[:2000] for t in d.themes})
    types = sorted({d.doctype for d in corpus.docs[:2000]})
    out: list[dict[str, list[str]]] = [{}]
    while len(out) < count:
        f: dict[str, list[str]] = {}
        if rng.random() < 0.6:
            f["theme"] = rng.sample(themes, rng.choice((1, 1, 2)))
        if rng.random() < 0.4:
            f["centre"] = [rng.choice(sorted(corpus.centres))]
        if rng.random() < 0.3:
            f["year"] = [str(rng.randint(2016, 2025))]
        if rng.random() < 0.3:
            f["type"] = [rng.choice(types)]
        out.append(f)
    return out


def _services(data_dir: Path, centres: dict[str, list[str]], database_url: str | None = None):
    from crpv_watch.services import Services
    from crpv_watch.settings import Settings

    backend = {"search_backend": "postgresql", "database_url": database_url} if database_url else {}
    settings = Settings(data_dir=data_dir, secret_key="bench", **backend)
    services = Services(settings)
    # The generated centres are not in sources.yaml: the indexer (regions) and the labels read these.
    services.__dict__["sources"] = [SimpleNamespace(id=c, region=r, name=c.upper()) for c, r in centres.items()]
    return services


def _cpu_with_workers() -> float:
    """CPU seconds of this process and of its finished child processes (a parallel rebuild's workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def build_ours(corpus, data_dir: Path, database_url: str | None = None, procs: int | None = None) -> dict:
    from search_corpus import fill_store, stored_count

    from crpv_watch.indexing.writer import Indexer

    services = _services(data_dir, corpus.centres, database_url)
    if procs and hasattr(services.engine, "rebuild_procs"):
        services.engine.rebuild_procs = procs
    if procs and hasattr(services.engine, "rebuild_parts"):  # Whoosh: processes writing one segment each
        services.engine.rebuild_parts = procs
    procs = getattr(services.engine, "rebuild_procs", None) or getattr(services.engine, "rebuild_parts", None)
    t = time.perf_counter()
    stored = stored_count(services)
    if stored and stored != len(corpus.docs):
        raise RuntimeError(f"the kept store holds {stored} of {len(corpus.docs)} documents: delete it (or its "
                           f"database) and run again")
    if not stored:  # a store filled by a run stopped while indexing is reused
        fill_store(services, corpus.docs)
    stored = time.perf_counter() - t
    t, cpu = time.perf_counter(), _cpu_with_workers()
    count = Indexer(services).rebuild()
    took, cpu = time.perf_counter() - t, _cpu_with_workers() - cpu
    size = sum(f.stat().st_size for f in services.settings.index_dir.rglob("*") if f.is_file())
    if database_url:
        with services.db.engine.connect() as conn:
            size = conn.exec_driver_sql("SELECT pg_total_relation_size('search_documents') "
                                        "+ pg_total_relation_size('search_words')").scalar_one()
    services.close()
    return {"docs": count, "index_s": round(took, 1), "docs_per_s": round(count / took, 1), "procs": procs,
            "docs_per_cpu_s": round(count / cpu, 1), "loadavg_after": os.getloadavg()[0],
            "store_fill_s": round(stored, 1), "index_mb": round(size / 2**20, 1)}


def child_ours(data_dir: Path, spec: dict, database_url: str | None = None) -> dict:
    from crpv_watch.search.hits import build_hits
    from crpv_watch.search.types import SearchRequest
    from crpv_watch.web.app import create_app

    services = _services(data_dir, spec["centres"], database_url)
    app = create_app(services.settings, services)
    client = app.test_client()
    engine = services.engine
    t = time.perf_counter()
    client.get("/api/search")  # opens the index and builds the per-generation facet data
    first = time.perf_counter() - t
    clock = Clock()
    text_for = engine.text_for
    plain, cold = _pg_parts(engine) if database_url else _whoosh_parts(engine)

    def counts(q):
        engine.text_for = None  # snippets from the stored summaries: the counts and the total, not the store
        try:
            engine.search(SearchRequest(q=q))
        finally:
            engine.text_for = text_for

    def get(params):
        response = client.get("/api/search", query_string=params)
        assert response.status_code == 200, response.status_code

    for q in spec["queries"]:
        cold()
        parsed, stored = clock.time("plain", plain, q)
        cold()
        clock.time("counts", counts, q)
        clock.time("highlights", build_hits, stored, parsed, text_for)
        cold()
        clock.time("full", get, {"q": q})
    for f in spec["filters"]:
        clock.time("browse", get, f)
    for doc_id in spec["mlt_ids"]:
        clock.time("mlt", engine.more_like_this, doc_id)
    return {"first_request_ms": round(first * 1000, 1), "rss_mb": peak_rss_mb(), **clock.report()}


def _whoosh_parts(engine):
    """``plain`` (parse + top 10 by the engine's own route, no counts) and ``cold`` for the Whoosh engine."""
    from crpv_watch.search.matching import has_phrase, matching_docs, scoring_query
    from crpv_watch.search.query import parse
    from crpv_watch.search.topk import top_docs

    def plain(q):
        with engine._read_lock:
            searcher = engine._current()
            data = engine._facet_data(searcher)
            parsed = parse(q, searcher.schema, context=engine._query_context(data, searcher))
            if parsed is None:
                top = []
            elif has_phrase(parsed):  # the engine's route: phrase documents as a filter, ranked by the words
                data = engine._facet_data(searcher)
                cache = engine._score_data(searcher)
                allow = set(matching_docs(searcher, parsed, data.all_docs, cache))
                top = top_docs(searcher, scoring_query(parsed), 10, allow, cache) if allow else []
            else:  # the engine's scoring (search/topk.py: Whoosh's matcher tree a posting list at a time)
                top = top_docs(searcher, parsed, 10, None, engine._score_data(searcher))
            return parsed, [(searcher.stored_fields(docnum), score) for score, docnum in top]

    def cold():
        """Each part starts without the decoded posting lists the previous part of the same query left in the
        engine's per-generation cache (search/topk.py): every measure is a first search of its words."""
        with engine._read_lock:
            engine._score_data(engine._current()).drop_postings()

    return plain, cold


def _pg_parts(engine):
    """``plain`` for the PostgreSQL engine, by its own route without counts: parse, the matching documents with
    their first-stage scores (``rank_terms``), the best candidates ranked by ``ts_rank`` over their full terms,
    the top 10's fields. Nothing to make cold (PostgreSQL's buffers are the server's)."""
    from crpv_watch.search import pg_terms
    from crpv_watch.search.pg_facets import CANDIDATES, candidates
    from crpv_watch.search.query import parse
    from crpv_watch.store import fulltext

    def plain(q):
        with engine._reading() as conn:
            data = engine._facet_data(conn)
            parsed = parse(q, engine.schema, context=engine._context(data))
            rank = pg_terms.rank_query(parsed) if parsed is not None else None
            if rank is None:
                return parsed, []
            clause = fulltext.condition(engine._condition(conn, parsed, q))
            numbers, first = fulltext.matched_numbers(conn, clause, rank)
            chosen = candidates(data, data.mask_of(numbers), data.scores_of(numbers, first), CANDIDATES)
            rows = fulltext.exact_ranks(conn, data.docnums[chosen].tolist(), rank, None)[:10]
            fields = fulltext.stored(conn, [r[1] for r in rows])
        return parsed, [(fields[r[1]], r[2]) for r in rows if r[1] in fields]

    return plain, lambda: None


def child_other(kind: str, path: Path, spec: dict) -> dict:
    from search_others import Fts5, NaiveWhoosh, Tantivy

    engine = {"naive": NaiveWhoosh, "fts5": Fts5, "tantivy": Tantivy}[kind](path)
    t = time.perf_counter()
    engine.open()
    first = time.perf_counter() - t
    clock = Clock()
    # The naive setup takes seconds a query with every facet: a sample of the queries is enough to rank it.
    limit = spec["naive_queries"] if kind == "naive" else len(spec["queries"])
    for q in spec["queries"][:limit]:
        for part, fn in (("plain", engine.plain), ("full", engine.full), ("highlights", engine.highlights)):
            clock.time(part, fn, q)
    for f in spec["filters"][:limit]:
        clock.time("browse", engine.browse, f)
    return {"first_request_ms": round(first * 1000, 1), "rss_mb": peak_rss_mb(), **clock.report()}


def build_other(kind: str, corpus, path: Path) -> dict:
    from search_others import Fts5, NaiveWhoosh, Tantivy

    engine = {"naive": NaiveWhoosh, "fts5": Fts5, "tantivy": Tantivy}[kind](path)
    t = time.perf_counter()
    engine.index(corpus.docs)
    took = time.perf_counter() - t
    return {"docs": len(corpus.docs), "index_s": round(took, 1), "docs_per_s": round(len(corpus.docs) / took, 1)}


def run_child(kind: str, path: Path, spec_path: Path, timeout: float, database_url: str | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, str(path), str(spec_path)]
    env = {**os.environ, "BENCH_DATABASE_URL": database_url} if database_url else None
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_database(server_url: str, size: int, fresh: bool) -> str:
    """The URL of the bench's database for ``size`` on the server (dropped and created again when ``fresh``,
    created when missing)."""
    import psycopg

    name = f"crpv_bench_{size}"
    admin = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if fresh and exists:
            conn.execute(f'DROP DATABASE "{name}"')
        if fresh or not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="utf-8")
                  if line.startswith("model name")), platform.processor())
    return {"cpu": model, "nproc": os.cpu_count(), "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d %H:%M"), "loadavg": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="corpus sizes, comma-separated (e.g. 10000,50000)")
    parser.add_argument("--quick", action="store_true", help="2,000 documents, 40 queries: a smoke run")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--naive-queries", type=int, default=20, help="queries run on the naive Whoosh setup")
    parser.add_argument("--engines", default="ours,naive,fts5,tantivy")
    parser.add_argument("--workdir", default=None, help="keep the indexes here (default: a temporary directory)")
    parser.add_argument("--keep", default=None, metavar="DIR",
                        help="build the corpora and indexes in DIR once and reuse them on later runs (the spec and "
                             "every engine's index are kept; delete DIR after a change to the indexing code)")
    parser.add_argument("--postgres-url", default=None,
                        help="a PostgreSQL server the bench may create databases on (postgresql+psycopg://user@host:port/"
                             "postgres); default: a throwaway cluster for this run")
    parser.add_argument("--procs", type=int, default=None,
                        help="processes of a rebuild (PostgreSQL: analysing documents; ours: writing one index "
                             "segment each; default: one per core)")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "PATH", "SPEC"), help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=3600.0, help="per query-process timeout (s)")
    args = parser.parse_args()
    if args.child:
        kind, path, spec = args.child
        spec = json.loads(Path(spec).read_text(encoding="utf-8"))
        if kind in ("ours", "postgresql"):
            result = child_ours(Path(path), spec, os.environ.get("BENCH_DATABASE_URL") if kind == "postgresql" else None)
        else:
            result = child_other(kind, Path(path), spec)
        print(json.dumps(result))
        return

    from search_corpus import generate

    sizes = [2000] if args.quick else [int(s) for s in args.sizes.split(",")]
    nq = 40 if args.quick else args.queries
    engines = [e for e in args.engines.split(",") if e]
    if "tantivy" in engines:
        try:
            import tantivy  # noqa: F401
        except ImportError:
            print("tantivy not installed (pip install tantivy): skipped", flush=True)
            engines.remove("tantivy")
    server = None
    if "postgresql" in engines and not args.postgres_url:
        sys.path.insert(0, str(ROOT / "tests"))
        from pg_cluster import PgCluster

        server = PgCluster().start()
        args.postgres_url = server.url()
    report = {"machine": machine(), "runs": []}
    print(json.dumps(report["machine"]), flush=True)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            spec_path = base / f"spec-{size}-{nq}.json"
            corpus = None

            def corpus_of(size=size):
                nonlocal corpus
                if corpus is None:
                    t = time.perf_counter()
                    corpus = generate(size)
                    print(f"(corpus of {size} generated in {time.perf_counter() - t:.0f} s)", flush=True)
                return corpus

            print(f"\n## {size} documents", flush=True)
            if not (args.keep and spec_path.exists()):
                rng = random.Random(size)
                docs = corpus_of().docs
                spec = {"queries": corpus.queries[:nq], "filters": filters_for(corpus, max(20, nq // 4)),
                        "centres": corpus.centres, "mlt_ids": [d.id for d in rng.sample(docs, 20)],
                        "naive_queries": args.naive_queries}
                spec_path.write_text(json.dumps(spec), encoding="utf-8")
            run = {"size": size, "engines": {}}
            for kind in engines:
                path = base / f"{kind}-{size}"
                built_path = base / f"{kind}-{size}.built.json"
                # With --keep the database stays: its filled store is reused if a run stopped while indexing.
                database_url = bench_database(args.postgres_url, size, fresh=not args.keep or server is not None) \
                    if kind == "postgresql" else None
                if kind == "postgresql" and server is not None:
                    built_path = base / "unused"
                try:
                    if args.keep and built_path.exists():
                        built = {**json.loads(built_path.read_text(encoding="utf-8")), "reused": True}
                    else:
                        built = build_ours(corpus_of(), path, database_url, args.procs) \
                            if kind in ("ours", "postgresql") \
                            else build_other(kind, corpus_of(), path)
                        if args.keep:
                            built_path.write_text(json.dumps(built), encoding="utf-8")
                    measured = run_child(kind, path, spec_path, args.timeout, database_url)
                except Exception as exc:  # one engine failing must not lose the others' figures
                    built, measured = {"error": repr(exc)}, {}
                run["engines"][kind] = {**built, **measured}
                print(f"{kind}: {json.dumps(run['engines'][kind])}", flush=True)
            report["runs"].append(run)
            del corpus
    if server is not None:
        server.stop()
    print("\n" + json.dumps(report))


if __name__ == "__main__":
    main()
