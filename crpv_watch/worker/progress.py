"""Progress on the terminal: crawls (one bar per source on stderr, then the summary table) and index rebuilds."""

from __future__ import annotations

import threading

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..text.wording import word

COLUMNS = ("new", "updated", "unchanged", "duplicates", "skipped", "removed")
COLUMN_TITLES = ("nouveaux", "mis à jour", "inchangés", "doublons", "ignorés", "retirés")


def crawl_with_progress(services, source_ids: list[str] | None = None, quiet: bool = False):
    """Run a crawl, drawing per-source progress on stderr; returns the CrawlReport. ``quiet`` (``--json``)
    only drops the summary table: progress stays on stderr, so stdout carries nothing but the report."""
    from ..crawl.run import CrawlRunner

    console = Console(stderr=True)
    if not console.is_terminal:
        console.width = max(console.width, 130)  # logs and CI: let the summary table breathe
    bars = Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[status]}"), TimeElapsedColumn(), console=console,
                    disable=not console.is_terminal)
    tasks: dict[str, int] = {}
    lock = threading.Lock()

    def on_event(source_id: str, event: str, data: dict) -> None:
        with lock:
            if source_id not in tasks:
                tasks[source_id] = bars.add_task(source_id, total=None, status="")
            status = f"{data['new']} nouveaux, {data['errors']} erreurs"
            bars.update(tasks[source_id], completed=data["done"], total=max(data["total"], 1), status=status)
            if event == "finish":
                bars.update(tasks[source_id], status=status + " ✓")
            if bars.disable and event == "finish":  # no live bars (not a terminal): one line
                console.print(f"{source_id} : terminé, {data['done']} documents vus, {status}")

    runner = CrawlRunner(services, progress=on_event)
    try:
        with bars:
            report = runner.run(source_ids)
    finally:
        runner.close()
    if not quiet:
        console.print(summary_table(report))
    return report


def summary_table(report) -> Table:
    table = Table(title=f"Collecte n° {report.run_id} : {word(report.status, 'run_status')}, "
                        f"{report.documents_total} documents dans l'index")
    table.add_column("source", no_wrap=True)
    table.add_column("requêtes", justify="right")
    for name in COLUMN_TITLES:
        table.add_column(name, justify="right")
    table.add_column("erreurs", justify="right")
    for s in report.sources:
        table.add_row(s.id, str(s.fetched), *(str(getattr(s, c)) for c in COLUMNS), str(len(s.errors)))
    return table


def rebuild_with_bar(services) -> int:
    """``index_rebuild.rebuild_with_progress`` with a bar on stderr on a terminal, plain lines otherwise (one per
    hundred documents, as before). The caller holds the writer lock."""
    import getpass

    import click

    from ..indexing.rebuild import rebuild_with_progress

    console = Console(stderr=True)
    try:
        user = getpass.getuser()
    except Exception:
        user = ""
    if not console.is_terminal:
        printed = {0}

        def lines(done: int, _total: int) -> None:
            if done % 100 == 0 and done not in printed:
                printed.add(done)
                click.echo(f"… {done} documents", err=True)

        return rebuild_with_progress(services, user=user, origin="cli", on_progress=lines)
    bar = Progress(TextColumn("Reconstruction de l'index"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=console, transient=False)
    with bar:
        task = bar.add_task("rebuild", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, 1))

        return rebuild_with_progress(services, user=user, origin="cli", on_progress=update)
