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

The PDF comparison (``compare_pdf``): the crawl's PDF bodies go through raw pypdf in a pypdf-only subprocess
and through ``parse_pdf.extract_pdf``, rounds interleaved, best of ``--repeat`` each. The pipeline's CPU is
this process's plus what the workers report per task; "overhead per file" is the difference of the two.
"""

from __future__ import annotations

import argparse
import datetime as dt
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

from crpv_watch.crawl import parse_html, parse_pdf  # noqa: E402
from crpv_watch.crawl import run as run_mod  # noqa: E402
from crpv_watch.demo import DemoNetwork  # noqa: E402
from crpv_watch.indexing import writer as indexer_mod  # noqa: E402
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


# Raw pypdf runs in a subprocess like the pipeline's workers: a fresh interpreter that imports only pypdf, with
# pypdf's logging and warnings silenced as in ``pdf_text.worker_main`` (in the crawl process, pypdf would run
# against a 300 MB heap and log every repaired object). Each round times exactly what ``pdf_text.extract``
# asks of pypdf for the text: ``PdfReader(BytesIO(body), strict=False)`` and ``extract_text()`` on every page.
_RAW_SCRIPT = r"""
import io, json, logging, pickle, sys, time, warnings
from pypdf import PdfReader
logging.getLogger("pypdf").setLevel(logging.CRITICAL)
warnings.simplefilter("ignore")
bodies = pickle.load(open(sys.argv[1], "rb"))
for line in sys.stdin:
    pages, start, cpu = 0, time.perf_counter(), time.process_time()
    for body in bodies:
        reader = PdfReader(io.BytesIO(body), strict=False)
        for page in reader.pages:
            page.extract_text()
            pages += 1
    print(json.dumps([pages, time.perf_counter() - start, time.process_time() - cpu]), flush=True)
"""


class RawPypdf:
    """(pages, wall seconds, CPU seconds) of plain pypdf text extraction, one round per call."""

    def __init__(self, bodies: list[bytes], tmp: str):
        import pickle
        import subprocess

        path = Path(tmp) / "bodies.pickle"
        path.write_bytes(pickle.dumps(bodies))
        self.proc = subprocess.Popen([sys.executable, "-c", _RAW_SCRIPT, str(path)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def __call__(self) -> tuple[int, float, float]:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        pages, wall, cpu = json.loads(self.proc.stdout.readline())
        return pages, wall, cpu

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


class WorkerCpu:
    """Sums the CPU time the PDF workers report for each task (``result["cpu"]``: ``time.process_time`` in the
    worker, from the task received to the result sent). /proc/PID/stat ticks (10 ms) were too coarse for rounds
    of ~0.2 s, and counted a worker's start-up when one was replaced during a round."""

    def __init__(self):
        self.total = 0.0
        run = parse_pdf._Pool.run

        def counted(pool, task, timeout):
            result = run(pool, task, timeout)
            self.total += result.get("cpu", 0.0)
            return result

        parse_pdf._Pool.run = counted


def _workers_peak_rss_mb() -> float:
    """Peak RSS of the live PDF workers (VmHWM). RUSAGE_CHILDREN would also count the raw-pypdf subprocess,
    whose peak is the crawl process's own at fork time."""
    peak = 0
    pool = parse_pdf._pool
    for pid in list(pool.workers) if pool else []:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError, IndexError):
            pass
    return round(peak / 1024, 1)


def pipeline_pdf(bodies: list[bytes], settings: Settings, workers: WorkerCpu) -> tuple[int, float, float]:
    """The same through ``parse_pdf.extract_pdf`` (worker pool, metadata, cleaning, language): wall seconds and
    CPU seconds of this process plus the workers'."""
    pages, start, cpu, wcpu = 0, time.perf_counter(), time.process_time(), workers.total
    for n, body in enumerate(bodies):
        pages += parse_pdf.extract_pdf(f"http://bench/{n}.pdf", body, settings).pages or 0
    return pages, time.perf_counter() - start, time.process_time() - cpu + workers.total - wcpu


def compare_pdf(bodies: list[bytes], settings: Settings, rounds: int, tmp: str) -> dict:
    """Raw pypdf and the pipeline on the same files, rounds interleaved; best of ``rounds`` for each (CPU and
    wall taken apart). Worker start-up is a pool cost, paid once: it is kept out (a warm-up round starts every
    worker, and recycling is off during the measurement)."""
    workers = WorkerCpu()
    raw = RawPypdf(bodies, tmp)
    recycle, parse_pdf.RECYCLE_AFTER = parse_pdf.RECYCLE_AFTER, 1 << 30
    try:
        for _ in range(2):  # warm-up: every worker started and through every file, raw likewise
            pipeline_pdf(bodies, settings, workers)
            raw()
        raws, pipes = [], []
        for _ in range(rounds):
            raws.append(raw())
            pipes.append(pipeline_pdf(bodies, settings, workers))
    finally:
        parse_pdf.RECYCLE_AFTER = recycle
        raw.close()
    pages = raws[0][0]
    raw_wall, raw_cpu = min(r[1] for r in raws), min(r[2] for r in raws)
    pipe_wall, pipe_cpu = min(p[1] for p in pipes), min(p[2] for p in pipes)
    per_round = sorted(r[2] / p[2] for r, p in zip(raws, pipes, strict=True))
    return {
        "pdf_files": len(bodies), "pdf_pages": pages, "pipeline_pdf_pages": pipes[0][0],
        "raw_pypdf_pages_per_s": round(pages / raw_wall, 1),
        "pipeline_pdf_pages_per_s": round(pipes[0][0] / pipe_wall, 1),
        "pdf_ratio_wall": round(raw_wall / pipe_wall, 3),
        "raw_pypdf_pages_per_cpu_s": round(pages / raw_cpu, 1),
        "pipeline_pdf_pages_per_cpu_s": round(pipes[0][0] / pipe_cpu, 1),
        "pdf_ratio_cpu": round(raw_cpu / pipe_cpu, 3),
        "pdf_ratio_cpu_median_round": round(per_round[len(per_round) // 2], 3),
        "pdf_overhead_ms_per_file_cpu": round(1000 * (pipe_cpu - raw_cpu) / max(1, len(bodies)), 2),
        # Extrapolation, not a measurement: the pipeline's cost beyond pypdf is per file, so the CPU ratio
        # reaches 0.9 for files of at least this many pages (at this corpus's pypdf cost per page).
        "pdf_pages_per_file_for_ratio_0.9": round(9 * (pipe_cpu - raw_cpu) / max(1, len(bodies)) / (raw_cpu / pages), 1),
    }


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
    parser.add_argument("--repeat", type=int, default=7, help="PDF comparison rounds (best kept)")
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
        pdf_figures = compare_pdf(bodies, settings, args.repeat, tmp)
        worker_peak = _workers_peak_rss_mb()
        services.close()
        parse_pdf.shutdown()

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
        **pdf_figures,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_pdf_worker_mb": worker_peak,
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
