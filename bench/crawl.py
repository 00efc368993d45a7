"""Crawl throughput on the demo network, delays off: pages/s, the time of each stage, the pipeline's own
overhead per HTML page, PDF extraction against raw pypdf on the same files, peak RSS.

    .venv/bin/python bench/crawl.py               # one crawl of the demo network + the PDF comparison
    .venv/bin/python bench/crawl.py --json        # the figures as JSON
    .venv/bin/python bench/crawl.py --profile     # also a pyinstrument profile of the crawl (if installed)

How the stages are timed: the crawl's stage functions are wrapped (in this process only) and their time is
added to the candidate being processed, per thread. "Overhead" is a candidate's wall time in
``SourceCrawl._process`` minus its fetch, parse+extract and tagging time: robots/filters checks, canonical-URL
and dedup lookups, the store transaction with its index-queue entry, bookkeeping. Tagging is reported apart.
Index writes happen in batches after each source (``Indexer.drain``) and are reported per document.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crpv_watch import indexer as indexer_mod  # noqa: E402
from crpv_watch.crawl import parse_html, parse_pdf  # noqa: E402
from crpv_watch.crawl import run as run_mod  # noqa: E402
from crpv_watch.demo import DemoNetwork  # noqa: E402
from crpv_watch.services import Services  # noqa: E402
from crpv_watch.settings import Settings  # noqa: E402

_local = threading.local()


def _timed(stage: str, fn):
    def wrapper(*args, **kwargs):
        rec = getattr(_local, "rec", None)
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            if rec is not None:
                rec[stage] += time.perf_counter() - start
                rec[stage + "_cpu"] += time.thread_time() - cpu
    return wrapper


def instrument(records: list, pdf_bodies: dict, drains: list) -> None:
    process, fetch = run_mod.SourceCrawl._process, run_mod.SourceCrawl._fetch

    def timed_process(self, c):
        _local.rec = rec = defaultdict(float)
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            return process(self, c)
        finally:
            rec["total"] = time.perf_counter() - start
            rec["total_cpu"] = time.thread_time() - cpu
            records.append(dict(rec))
            _local.rec = None

    def timed_fetch(self, url, **kwargs):
        rec = getattr(_local, "rec", None)
        start, cpu = time.perf_counter(), time.thread_time()
        res = fetch(self, url, **kwargs)
        if rec is not None:
            rec["fetch"] += time.perf_counter() - start
            rec["fetch_cpu"] += time.thread_time() - cpu
            rec["kind_" + ("pdf" if res.content_type == "application/pdf" else "html" if res.ok else "other")] = 1
            if res.ok and res.content_type == "application/pdf":
                pdf_bodies[url] = res.body
        return res

    drain = indexer_mod.Indexer.drain

    def timed_drain(self, *a, **kw):
        start = time.perf_counter()
        done = drain(self, *a, **kw)
        drains.append((done, time.perf_counter() - start))
        return done

    run_mod.SourceCrawl._process, run_mod.SourceCrawl._fetch = timed_process, timed_fetch
    indexer_mod.Indexer.drain = timed_drain
    parse_html.parse_html = _timed("extract", parse_html.parse_html)
    run_mod.extract_html = _timed("extract", run_mod.extract_html)
    parse_pdf.extract_pdf = _timed("extract", parse_pdf.extract_pdf)
    run_mod.ingest = _timed("store", run_mod.ingest)


def profile_threads() -> list:
    """pyinstrument follows one thread: each source's crawl thread gets its own profiler (pyinstrument is a
    bench-only dependency: `pip install pyinstrument`)."""
    from pyinstrument import Profiler

    sessions: list = []
    source_run = run_mod.SourceCrawl.run

    def profiled(self):
        profiler = Profiler(interval=0.0005)
        profiler.start()
        try:
            return source_run(self)
        finally:
            sessions.append(profiler.stop())

    run_mod.SourceCrawl.run = profiled
    return sessions


def raw_pypdf(bodies: list[bytes]) -> tuple[int, float, float]:
    """(pages, wall seconds, CPU seconds) of plain pypdf text extraction, in this process."""
    from pypdf import PdfReader

    pages, start, cpu = 0, time.perf_counter(), time.process_time()
    for body in bodies:
        reader = PdfReader(io.BytesIO(body), strict=False)
        for page in reader.pages:
            page.extract_text()
            pages += 1
    return pages, time.perf_counter() - start, time.process_time() - cpu


def _workers_cpu() -> float:
    """CPU seconds used so far by the live PDF workers (/proc/PID/stat utime + stime)."""
    total = 0.0
    pool = parse_pdf._pool
    for pid in list(pool.workers) if pool else []:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


def pipeline_pdf(bodies: list[bytes], settings: Settings) -> tuple[int, float, float]:
    """The same through ``parse_pdf.extract_pdf`` (worker pool, metadata, cleaning, language): wall seconds and
    CPU seconds of this process plus the worker's. Worker start-up is paid once per pool and kept out."""
    parse_pdf.extract_pdf("http://bench/warm.pdf", bodies[0], settings)
    pages, start, cpu, wcpu = 0, time.perf_counter(), time.process_time(), _workers_cpu()
    for n, body in enumerate(bodies):
        pages += parse_pdf.extract_pdf(f"http://bench/{n}.pdf", body, settings).pages or 0
    return pages, time.perf_counter() - start, time.process_time() - cpu + _workers_cpu() - wcpu


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPU (nproc), Python {platform.python_version()}, {platform.system()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=18850)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--repeat", type=int, default=5, help="PDF comparison rounds (best kept)")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="hosts crawled in parallel (default 1: with threads, a stage's wall time also counts "
                             "the GIL waits caused by the others, which blurs the per-page overhead)")
    args = parser.parse_args()

    records: list[dict] = []
    pdf_bodies: dict[str, bytes] = {}
    drains: list[tuple[int, float]] = []
    instrument(records, pdf_bodies, drains)
    with tempfile.TemporaryDirectory() as tmp, DemoNetwork(port=args.port) as net:
        sources = net.write_sources(Path(tmp) / "sources.yaml")
        settings = Settings(data_dir=Path(tmp) / "data", sources_path=sources, crawl_delay=0.0, retry_base_delay=0.0,
                            secret_key="bench", crawl_concurrency=args.concurrency)
        services = Services(settings)
        services.db  # noqa: B018 - migrations and vocabulary outside the timed crawl
        services.vocabulary  # noqa: B018
        net._warm_pdfs()  # the demo builds its PDFs lazily: not the crawler's time
        runner = run_mod.CrawlRunner(services)
        runner.tagger.tag = _timed("tag", runner.tagger.tag)
        sessions = profile_threads() if args.profile else None
        start = time.perf_counter()
        report = runner.run()
        wall = time.perf_counter() - start
        runner.close()
        bodies = list(pdf_bodies.values())
        best_raw = best_pipe = None
        for _ in range(args.repeat):
            raw = raw_pypdf(bodies)
            pipe = pipeline_pdf(bodies, settings)
            best_raw = raw if best_raw is None or raw[1] < best_raw[1] else best_raw
            best_pipe = pipe if best_pipe is None or pipe[1] < best_pipe[1] else best_pipe
        services.close()
        parse_pdf.shutdown()  # workers reaped, so that RUSAGE_CHILDREN sees their peak

    html = [r for r in records if r.get("kind_html") and r.get("extract")]
    pdf = [r for r in records if r.get("kind_pdf") and r.get("extract")]
    documents = len(html) + len(pdf)

    def mean_ms(rows, key):
        return round(1000 * sum(r.get(key, 0.0) for r in rows) / max(1, len(rows)), 2)

    def overhead(suffix: str, tagging: bool) -> float:
        spent = [r["total" + suffix] - r.get("fetch" + suffix, 0) - r.get("extract" + suffix, 0)
                 - (0 if tagging else r.get("tag" + suffix, 0)) for r in html]
        return round(1000 * sum(spent) / max(1, len(spent)), 2)

    indexed = sum(n for n, _ in drains)
    figures = {
        "date": dt.date.today().isoformat(),
        "concurrency": args.concurrency,
        "machine": machine(),
        "documents": documents, "html": len(html), "pdf": len(pdf), "run_status": report.status,
        "wall_s": round(wall, 2),
        "pages_per_s": round(documents / wall, 1),
        "html_ms_wall": {k: mean_ms(html, k) for k in ("total", "fetch", "extract", "tag", "store")},
        "html_ms_cpu": {k: mean_ms(html, k + "_cpu") for k in ("total", "fetch", "extract", "tag", "store")},
        "pdf_ms_wall": {k: mean_ms(pdf, k) for k in ("total", "fetch", "extract", "tag", "store")},
        "overhead_ms_per_html_page_wall": overhead("", False),
        "overhead_ms_per_html_page_cpu": overhead("_cpu", False),
        "overhead_ms_per_html_page_cpu_incl_tagging": overhead("_cpu", True),
        "index_ms_per_document": round(1000 * sum(t for _, t in drains) / max(1, indexed), 2),
        "pdf_files": len(bodies),
        "raw_pypdf_pages_per_s": round(best_raw[0] / best_raw[1], 1),
        "pipeline_pdf_pages_per_s": round(best_pipe[0] / best_pipe[1], 1),
        "pdf_ratio_wall": round((best_pipe[0] / best_pipe[1]) / (best_raw[0] / best_raw[1]), 3),
        "raw_pypdf_pages_per_cpu_s": round(best_raw[0] / best_raw[2], 1),
        "pipeline_pdf_pages_per_cpu_s": round(best_pipe[0] / best_pipe[2], 1),
        "pdf_ratio_cpu": round((best_pipe[0] / best_pipe[2]) / (best_raw[0] / best_raw[2]), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_pdf_worker_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:>42}: {value}")
    if sessions:
        from pyinstrument.renderers import ConsoleRenderer
        from pyinstrument.session import Session

        combined = sessions[0]
        for other in sessions[1:]:
            combined = Session.combine(combined, other)
        print(ConsoleRenderer(unicode=True, color=False, short_mode=False).render(combined), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
