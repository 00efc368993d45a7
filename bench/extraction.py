"""Main-text extraction quality, each corpus scored with its own benchmark's metric.

    .venv/bin/python bench/extraction.py            # both corpora, ours and plain trafilatura, a table
    .venv/bin/python bench/extraction.py --json     # the same figures as JSON
    .venv/bin/python bench/extraction.py --write    # also update the "## Extraction" figures in docs/QUALITY.md
    .venv/bin/python bench/extraction.py --record   # write tests/data/extraction_figures.json (the guard's floor)
    .venv/bin/python bench/extraction.py --wcxb     # also the WCXB subset (word-level F1, public-sector pages)

Each corpus is also scored on a fixed dev/test split of its pages (``split_of``: the SHA-1 of "corpus/id",
even = dev): parameters of ``crawl/extract.py`` are tuned on dev only; test is reported as it comes.

"ours" is the project's own path, ``extract_html(parse_html(url, body, None))``, on the raw bytes (our decoder
picks the charset); the baseline is plain ``trafilatura.extract`` called the way each benchmark calls it, in the
same process, on the same pages. Both metrics are re-implemented here from their upstream sources (cited at
each function) and checked against the published figures: ``--check-metric`` re-scores the prediction files
shipped with the article benchmark (``output/*.json``) and must reproduce its README table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import os
import platform
import random
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = Path(os.environ.get("CRPV_WATCH_SHARED", ROOT.parent / "shared"))
AEB_DIR = SHARED / "corpora" / "article-extraction-benchmark"
TEB_DIR = SHARED / "corpora" / "trafilatura-eval-subset"
WCXB_DIR = SHARED / "corpora" / "wcxb-subset"
FIGURES_PATH = ROOT / "tests" / "data" / "extraction_figures.json"
QUALITY_PATH = ROOT / "docs" / "QUALITY.md"
PERFORMANCE_PATH = ROOT / "docs" / "PERFORMANCE.md"
N_BOOTSTRAP = 1000


# -- metric 1: scrapinghub/article-extraction-benchmark, evaluate.py @ 4a3bc979 (MIT) ------------------------
# 4-word shingles of \w+ tokens; per page TP/FP/FN are multiset counts normalised by their sum (so long pages
# weigh no more than short ones); P = mean over pages with tp+fp > 0, R = mean over pages with tp+fn > 0,
# F1 = harmonic mean of those two means (not a mean of per-page F1s); accuracy = identical token lists;
# "±" = standard deviation of 1000 bootstrap resamples of the pages.

_TOKEN_RE = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)


def _tokenize(text: str | None) -> list[str]:
    return _TOKEN_RE.findall(text or "")


def _shingles(text: str | None, n: int = 4) -> Counter:
    tokens = _tokenize(text)
    return Counter(tuple(tokens[i: i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i: i + n])


def shingle_tp_fp_fn(true: str | None, pred: str | None, n: int = 4) -> tuple[float, float, float]:
    t, p = _shingles(true, n), _shingles(pred, n)
    tp = fp = fn = 0.0
    for key in set(t) | set(p):
        tc, pc = t.get(key, 0), p.get(key, 0)
        tp += min(tc, pc)
        fp += max(0, pc - tc)
        fn += max(0, tc - pc)
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s > 0 else (tp, fp, fn)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def _aeb_prf(rows: list[tuple[float, float, float]]) -> dict[str, float]:
    precision = statistics.mean([_precision(*r) for r in rows if r[0] + r[1] > 0])
    recall = statistics.mean([_recall(*r) for r in rows if r[0] + r[2] > 0])
    return {"f1": 2 * precision * recall / (precision + recall), "precision": precision, "recall": recall}


def aeb_score(truths: list[str], preds: list[str | None], n_bootstrap: int = N_BOOTSTRAP) -> dict[str, float]:
    rows = [shingle_tp_fp_fn(t, p) for t, p in zip(truths, preds, strict=True)]
    accuracies = [float(_tokenize(t) == _tokenize(p)) for t, p in zip(truths, preds, strict=True)]
    metrics = _aeb_prf(rows)
    metrics["accuracy"] = statistics.mean(accuracies)
    rng = random.Random(0)  # upstream draws unseeded; a fixed seed keeps our "±" stable from run to run
    samples: dict[str, list[float]] = {}
    for _ in range(n_bootstrap):
        idx = [rng.randint(0, len(rows) - 1) for _ in rows]
        for key, value in _aeb_prf([rows[i] for i in idx]).items():
            samples.setdefault(key, []).append(value)
        samples.setdefault("accuracy", []).append(statistics.mean(accuracies[i] for i in idx))
    for key, values in samples.items():
        metrics[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
    metrics["pages"] = len(rows)
    return metrics


# -- metric 2: adbar/trafilatura, tests/eval_common.py (count_item, ConfusionMatrix) @ e90b0ef (Apache-2.0) --
# Per page, "with" snippets must appear and "without" snippets must not, as whitespace-normalised substrings
# of the output: tp = with found, fn = with missing, fp = without found, tn = without missing. Counts are
# summed over the corpus; P, R, accuracy = (tp+tn)/all and F1 = 2tp / (2tp+fp+fn) on the sums.

def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def snippet_counts(item: dict, result: str | None) -> tuple[int, int, int, int]:
    if isinstance(result, str):
        resn = _norm(result)
        tp = sum(1 for w in item["with"] if _norm(w) in resn)
        fp = sum(1 for w in item["without"] if _norm(w) in resn)
    else:
        tp = fp = 0
    return tp, fp, len(item["with"]) - tp, len(item["without"]) - fp


def snippet_score(counts: list[tuple[int, int, int, int]]) -> dict[str, float]:
    tp, fp, fn, tn = (sum(c[i] for c in counts) for i in range(4))
    total = tp + fp + fn + tn
    return {"precision": tp / (tp + fp) if tp + fp else 0.0, "recall": tp / (tp + fn) if tp + fn else 0.0,
            "accuracy": (tp + tn) / total if total else 0.0,
            "f1": 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0,
            "pages": len(counts), "tp": tp, "fp": fp, "fn": fn, "tn": tn}


# -- metric 3 (optional): WCXB word_f1 (its README's evaluation snippet): lower-cased \w+ bags, mean per page ---

def word_f1(true: str, pred: str | None) -> tuple[float, float, float]:
    t, p = Counter(_TOKEN_RE.findall((true or "").lower())), Counter(_TOKEN_RE.findall((pred or "").lower()))
    if not t:
        return (1.0, 1.0, 1.0) if not p else (0.0, 0.0, 0.0)
    if not p:
        return 0.0, 0.0, 0.0
    common = sum((t & p).values())
    precision, recall = common / sum(p.values()), common / sum(t.values())
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


# -- corpora ------------------------------------------------------------------------------------------------

def aeb_pages(limit: int | None = None) -> list[dict]:
    truth = json.loads((AEB_DIR / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)[:limit] if limit else sorted(truth)
    return [{"corpus": "aeb", "id": k, "url": truth[k].get("url") or f"https://example.org/{k}",
             "path": str(AEB_DIR / "html" / f"{k}.html.gz"), "truth": truth[k].get("articleBody", "")} for k in keys]


def teb_pages(lang: str | None = "fr", limit: int | None = None) -> list[dict]:
    data = json.loads((TEB_DIR / "tests" / "evaldata.subset.json").read_text(encoding="utf-8"))
    langs = json.loads((TEB_DIR / "tests" / "subset_langs.json").read_text(encoding="utf-8"))
    keys = sorted(k for k in data if lang is None or langs[k]["lang_guess"] == lang)[:limit]
    return [{"corpus": "teb", "id": k, "url": k if k.startswith("http") else f"https://example.org/{data[k]['file']}",
             "path": str(TEB_DIR / langs[k]["path"]), "item": data[k]} for k in keys]


def wcxb_pages() -> list[dict]:
    out = []
    for split in ("dev", "test"):
        for gt_path in sorted((WCXB_DIR / split / "ground-truth").glob("*.json")):
            gt = json.loads(gt_path.read_text(encoding="utf-8"))
            html = WCXB_DIR / split / "html" / f"{gt_path.stem}.html.gz"
            if html.exists():
                out.append({"corpus": "wcxb", "id": f"{split}/{gt_path.stem}", "url": gt.get("url") or "https://example.org/",
                            "path": str(html), "truth": (gt.get("ground_truth") or gt).get("main_content", "")})
    return out


def split_of(page: dict) -> str:
    """"dev" or "test": a fixed half of each corpus, whatever order or subset the pages come in."""
    digest = hashlib.sha1(f"{page['corpus']}/{page['id']}".encode()).hexdigest()
    return "dev" if int(digest, 16) % 2 == 0 else "test"


def _read(path: str) -> bytes:
    raw = Path(path).read_bytes()
    return gzip.decompress(raw) if path.endswith(".gz") else raw


# -- the two extractors -------------------------------------------------------------------------------------

def ours(url: str, body: bytes) -> str:
    from crpv_watch.crawl.extract import extract_html
    from crpv_watch.crawl.parse_html import parse_html

    return extract_html(parse_html(url, body, None)).text


def baseline(corpus: str, body: bytes) -> str | None:
    import trafilatura

    if corpus == "teb":  # tests/eval_common.py EXTRACT_OPTS, the "standard" (fast=False) runner, on bytes
        return trafilatura.extract(body, fast=False, include_comments=False, include_tables=True,
                                   include_formatting=False)
    # extractors/run_trafilatura.py of the article benchmark: the page decoded as UTF-8, comments off
    return trafilatura.extract(body.decode("utf-8", errors="replace"), include_comments=False)


def _run_page(page: dict, names: tuple[str, ...] = ("ours", "trafilatura")) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        body = _read(page["path"])
        out: dict = {"id": page["id"]}
        runners = {"ours": lambda: ours(page["url"], body), "trafilatura": lambda: baseline(page["corpus"], body)}
        # Half the pages run the baseline first: what one extractor leaves behind (allocations, CPU caches)
        # must not favour the other.
        if int(hashlib.sha1(page["id"].encode()).hexdigest(), 16) % 4 >= 2:
            names = names[::-1]
        for name in names:
            fn = runners[name]
            clear_caches()
            start = time.perf_counter()
            try:
                out[name] = fn()
            except Exception as exc:  # a crash scores as an empty output, as both upstream scripts do
                out[name] = None
                out[f"{name}_error"] = repr(exc)
            out[f"{name}_s"] = time.perf_counter() - start
        return out


_WARM_UP = (b"<html lang='fr'><head><title>Essai</title></head><body><main><h1>Essai</h1>"
            + b"<p>Le contrat de ville 2024 mobilise les habitants des quartiers prioritaires.</p>" * 20
            + b"</main></body></html>")


_CACHES: list = []


def warm_up() -> None:
    """Both extractors once on a small page before any timing: imports and model loading (trafilatura,
    htmldate, py3langid's model) happen once per process in a crawl, not once per page."""
    import functools
    import gc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours("https://example.org/essai", _WARM_UP)
        baseline("aeb", _WARM_UP)
        baseline("teb", _WARM_UP)
    _CACHES[:] = [o for o in gc.get_objects() if isinstance(o, functools._lru_cache_wrapper)
                  and getattr(o, "__module__", "").split(".")[0] in ("trafilatura", "htmldate", "courlan", "justext")]


def clear_caches() -> None:
    """trafilatura memoises string functions (lru_cache on trim, line processing…): whichever extractor ran
    second on a page found the first one's results cached and looked 30 % faster. Each timed call starts cold."""
    for cache in _CACHES:
        cache.cache_clear()


def run_pages(pages: list[dict], workers: int) -> list[dict]:
    if workers <= 1:
        warm_up()
        return [_run_page(p) for p in pages]
    with ProcessPoolExecutor(workers, initializer=warm_up) as pool:
        return list(pool.map(_run_page, pages, chunksize=4))


def score(corpus: str, pages: list[dict], results: list[dict], n_bootstrap: int = N_BOOTSTRAP,
          names: tuple[str, ...] = ("ours", "trafilatura")) -> dict:
    out = {}
    for name in names:
        preds = [r[name] for r in results]
        if corpus == "teb":
            s = snippet_score([snippet_counts(p["item"], pred) for p, pred in zip(pages, preds, strict=True)])
        elif corpus == "aeb":
            s = aeb_score([p["truth"] for p in pages], preds, n_bootstrap)
        else:
            prf = [word_f1(p["truth"], pred) for p, pred in zip(pages, preds, strict=True)]
            s = {k: statistics.mean(x[i] for x in prf) for i, k in enumerate(("precision", "recall", "f1"))}
            s["pages"] = len(prf)
        s["seconds"] = sum(r[f"{name}_s"] for r in results)
        s["errors"] = sum(1 for r in results if f"{name}_error" in r)
        out[name] = s
    return out


# The guard test's fixed subset: the first pages of each corpus in sorted-id order, ours only (≈ 20 s).
GUARD_AEB, GUARD_TEB, GUARD_WCXB = 30, 10, 20


def guard_figures() -> dict[str, float]:
    out = {}
    for corpus, pages in (("aeb", aeb_pages(GUARD_AEB)), ("teb", teb_pages("fr", GUARD_TEB)),
                          ("wcxb", wcxb_pages()[:GUARD_WCXB])):
        results = [_run_page(p, ("ours",)) for p in pages]
        out[f"{corpus}_f1"] = round(score(corpus, pages, results, 0, ("ours",))["ours"]["f1"], 4)
    return out


def check_metric() -> dict[str, float]:
    """Re-score the prediction files shipped with the article benchmark: must match its README table."""
    truth = json.loads((AEB_DIR / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)
    out = {}
    for path in sorted((AEB_DIR / "output").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        preds = data["output"] if set(data) == {"version", "output"} else data
        out[path.stem] = round(aeb_score([truth[k].get("articleBody", "") for k in keys],
                                         [preds[k].get("articleBody", "") for k in keys], 0)["f1"], 3)
    return out


# -- report -------------------------------------------------------------------------------------------------

def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import trafilatura

    return {"nproc": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(),
            "trafilatura": trafilatura.__version__, "date": dt.date.today().isoformat()}


def run_all(workers: int = 2, wcxb: bool = False, aeb_limit: int | None = None, teb_limit: int | None = None,
            n_bootstrap: int = N_BOOTSTRAP) -> dict:
    corpora = {"aeb": aeb_pages(aeb_limit), "teb": teb_pages("fr", teb_limit)}
    if wcxb:
        corpora["wcxb"] = wcxb_pages()
    figures: dict = {"machine": machine()}
    start = time.perf_counter()
    for corpus, pages in corpora.items():
        results = run_pages(pages, workers)
        figures[corpus] = score(corpus, pages, results, n_bootstrap)
        figures.setdefault("time_ratio", {})[corpus] = (figures[corpus]["ours"]["seconds"]
                                                        / figures[corpus]["trafilatura"]["seconds"])
        for part in ("dev", "test"):
            idx = [i for i, p in enumerate(pages) if split_of(p) == part]
            figures[f"{corpus}_{part}"] = score(corpus, [pages[i] for i in idx], [results[i] for i in idx], 0)
    figures["machine"]["wall_seconds"] = f"{time.perf_counter() - start:.0f}"
    figures["machine"]["load"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    from crpv_watch.crawl import extract

    figures["settings"] = extract.settings()
    return figures


TITLES = {"aeb": "article-extraction-benchmark (181 pages, shingle F1)",
          "teb": "trafilatura eval, 26 French pages (with/without snippets)",
          "wcxb": "WCXB subset (word-level F1, mean per page)"}


def split_rows(figures: dict) -> list[tuple[str, str, int, float, float]]:
    """(corpus, split, pages, ours F1, trafilatura F1) for each split half that was scored."""
    return [(c, part, s["ours"]["pages"], s["ours"]["f1"], s["trafilatura"]["f1"])
            for c in ("aeb", "teb", "wcxb") for part in ("dev", "test") if (s := figures.get(f"{c}_{part}"))]


def table(figures: dict) -> str:
    lines = [f"{'corpus':<60} {'extractor':<12} {'F1':>6} {'P':>6} {'R':>6} {'acc':>6} {'s':>6}"]
    for corpus in ("aeb", "teb", "wcxb"):
        for name, s in figures.get(corpus, {}).items():
            acc = f"{s['accuracy']:.3f}" if "accuracy" in s else "-"
            f1 = f"{s['f1']:.3f}" + (f" ± {s['f1_std']:.3f}" if s.get("f1_std") else "")
            lines.append(f"{TITLES[corpus]:<60} {name:<12} {f1:>6} {s['precision']:6.3f} {s['recall']:6.3f} {acc:>6} "
                         f"{s['seconds']:6.1f}")
    lines.append("")
    lines.append(f"{'corpus':<8} {'split':<6} {'pages':>5} {'ours F1':>8} {'trafilatura F1':>15}")
    lines += [f"{c:<8} {part:<6} {n:>5} {ours_f1:8.3f} {base_f1:15.3f}" for c, part, n, ours_f1, base_f1 in split_rows(figures)]
    lines.append("time ours / trafilatura: " + ", ".join(f"{c} {r:.2f}×" for c, r in figures.get("time_ratio", {}).items()))
    return "\n".join(lines)


def _replace_between(path: Path, begin: str, end: str, rows: list[str]) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        path.write_text(head + begin + "\n" + "\n".join(rows) + "\n" + end + rest.split(end, 1)[1], encoding="utf-8")


def write_quality(figures: dict) -> None:
    """Replace the text between the extraction figure markers of docs/QUALITY.md (read right before writing,
    so that another section edited meanwhile is kept)."""
    begin, end = "<!-- extraction-figures:begin -->", "<!-- extraction-figures:end -->"
    text = QUALITY_PATH.read_text(encoding="utf-8") if QUALITY_PATH.exists() else ""
    if begin not in text or end not in text:
        raise SystemExit(f"{QUALITY_PATH}: the {begin} … {end} markers of the Extraction section are missing")
    m = figures["machine"]
    rows = [f"Run {m['date']} on {m['nproc']} × {m['cpu']}, Python {m['python']}, trafilatura {m['trafilatura']}, "
            f"{m['wall_seconds']} s wall time (`bench/extraction.py`, 2 worker processes).", "",
            "| corpus (its own metric) | pages | extractor | F1 | precision | recall | accuracy |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for corpus in ("aeb", "teb", "wcxb"):
        for name, s in figures.get(corpus, {}).items():
            f1 = f"**{s['f1']:.3f}**" if name == "ours" else f"{s['f1']:.3f}"
            if s.get("f1_std"):
                f1 += f" ± {s['f1_std']:.3f}"
            acc = f"{s['accuracy']:.3f}" if "accuracy" in s else "–"
            label = "crpv-watch `extract_html`" if name == "ours" else f"trafilatura {m['trafilatura']} (plain)"
            rows.append(f"| {TITLES[corpus]} | {s['pages']} | {label} | {f1} | {s['precision']:.3f} | "
                        f"{s['recall']:.3f} | {acc} |")
    rows += ["", "Split halves (`split_of`: SHA-1 of \"corpus/id\", even = dev; settings tuned on dev only):", "",
             "| corpus | split | pages | crpv-watch F1 | trafilatura F1 |", "| --- | --- | --- | --- | --- |"]
    rows += [f"| {c} | {part} | {n} | {ours_f1:.3f} | {base_f1:.3f} |" for c, part, n, ours_f1, base_f1 in split_rows(figures)]
    ratios = figures.get("time_ratio", {})
    rows += ["", "Time, ours (parse_html + extract_html) / plain trafilatura, same pages, same processes: "
             + ", ".join(f"{c} **{r:.2f}×**" for c, r in ratios.items()) + f" (load average {m.get('load', '?')})."]
    _replace_between(PERFORMANCE_PATH, "<!-- extraction-performance:begin -->", "<!-- extraction-performance:end -->",
                     [f"Run {m['date']} on {m['nproc']} × {m['cpu']}, Python {m['python']}, trafilatura "
                      f"{m['trafilatura']}, load average {m.get('load', '?')} (1, 5, 15 min) at the end of the run:", "",
                      "| corpus | pages | ours (s) | plain trafilatura (s) | ratio |", "| --- | --- | --- | --- | --- |"]
                     + [f"| {TITLES[c]} | {figures[c]['ours']['pages']} | {figures[c]['ours']['seconds']:.1f} | "
                        f"{figures[c]['trafilatura']['seconds']:.1f} | **{ratios[c]:.2f}×** |" for c in ratios])
    _replace_between(QUALITY_PATH, begin, end, rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", action="store_true", help="update the figures in docs/QUALITY.md")
    parser.add_argument("--record", action="store_true", help="write the guard test's floor")
    parser.add_argument("--wcxb", action="store_true", help="also the WCXB subset")
    parser.add_argument("--check-metric", action="store_true", help="re-score the benchmark's own output/*.json")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    if not AEB_DIR.is_dir() or not TEB_DIR.is_dir():
        print(f"skipped: the corpora are absent ({SHARED}/corpora); they live in ../shared next to the project",
              file=sys.stderr)
        return 0
    if args.check_metric:
        print(json.dumps(check_metric(), indent=2))
        return 0
    figures = run_all(args.workers, args.wcxb)
    print(json.dumps(figures, indent=2) if args.json else table(figures))
    if args.record:
        corpora = [c for c in ("aeb", "teb", "wcxb") if c in figures]
        record = {"subset": {"aeb_pages": GUARD_AEB, "teb_pages": GUARD_TEB, "wcxb_pages": GUARD_WCXB,
                             **guard_figures()},
                  "full": {c: {k: round(v, 4) for k, v in figures[c]["ours"].items() if isinstance(v, float)}
                           for c in corpora},
                  "baseline": {c: round(figures[c]["trafilatura"]["f1"], 4) for c in corpora},
                  "test_split": {c: {"ours": round(figures[f"{c}_test"]["ours"]["f1"], 4),
                                     "trafilatura": round(figures[f"{c}_test"]["trafilatura"]["f1"], 4)}
                                 for c in corpora},
                  "time_ratio": {c: round(figures["time_ratio"][c], 2) for c in corpora},
                  "machine": figures["machine"],
                  "settings": figures["settings"], "date": figures["machine"]["date"]}
        FIGURES_PATH.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"recorded {FIGURES_PATH}", file=sys.stderr)
    if args.write:
        write_quality(figures)
        print(f"updated {QUALITY_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
