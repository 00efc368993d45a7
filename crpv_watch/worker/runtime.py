"""Process models: the web alone (`serve`), web + scheduler + index writer (`run`), the crawling process without
web (`worker`, next to gunicorn in production) and the demo (`demo`).

`run` and `worker` start the same background: the crawl schedule, the index-queue drain (the one index writer
of the install), the heartbeat `/healthz` reads, the watch of the sources file and the crawls asked for from the
web. See docs/OPERATIONS.md."""

from __future__ import annotations

import logging
import os
import threading

import click

log = logging.getLogger(__name__)


def serve_web(services, host: str, port: int, background: bool = False) -> None:
    """The web on ``host:port``; with ``background`` (``run``), the scheduler and the index writer beside it."""
    from waitress import serve

    from ..web.app import create_app

    scheduler = None
    if background:
        scheduler = start_background(services, mode="run")
        jobs = [j for j in scheduler.get_jobs() if j.id.startswith("crawl:")]
        click.echo(f"Planificateur : {len(jobs)} tâche(s) de collecte.")
    try:
        app = create_app(services.settings, services)
        click.echo(f"crpv-watch : site servi sur http://{host}:{port}/  (Ctrl-C pour arrêter)")
        serve(app, host=host, port=port, threads=8, ident="crpv-watch")
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def crawl_job_for(services):
    """A crawl job for the scheduler; crawls of one process never overlap (one index writer)."""
    from ..crawl.run import CrawlRunner

    lock = threading.Lock()

    def crawl_job(source_id: str | list[str] | None = None) -> None:
        source_ids = [source_id] if isinstance(source_id, str) else (list(source_id) if source_id else None)
        with lock:
            runner = CrawlRunner(services)
            try:
                runner.run(source_ids)
            except Exception:
                log.exception("scheduled crawl of %s failed", source_ids or "all sources")
            finally:
                runner.close()

    return crawl_job


def start_background(services, mode: str = "run"):
    """Starts the scheduler with the crawl jobs and the upkeep jobs; returns it (call ``shutdown`` to stop)."""
    from ..crawl.run import interrupted_runs
    from .scheduler import CRAWL_EXECUTOR, add_upkeep_jobs, build_scheduler

    with services.db.session() as session:
        interrupted_runs(session)
    try:
        services.engine.remove_leftovers()  # generations and pointer files of a killed rebuild
    except Exception:
        log.exception("could not clear the leftovers of an interrupted index rebuild")
    crawl_job = crawl_job_for(services)

    scheduler = build_scheduler(services, crawl_job)

    def start_crawl(source_ids) -> None:
        # A one-off job in the crawls' own bounded pool: the upkeep pool stays free for the heartbeat and the drain.
        scheduler.add_job(crawl_job, args=[source_ids], name="Collecte demandée", executor=CRAWL_EXECUTOR,
                          misfire_grace_time=None)

    add_upkeep_jobs(scheduler, services, crawl_job, mode, start_crawl)
    scheduler.start()
    return scheduler


def run_worker(services, crawl_now: bool = False) -> None:
    """The crawling process of a production install: schedule, crawls, index writer; no web. Stops on
    SIGTERM/SIGINT."""
    import signal

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    scheduler = start_background(services, mode="worker")
    jobs = [j for j in scheduler.get_jobs() if j.id.startswith("crawl:")]
    click.echo(f"crpv-watch worker (pid {os.getpid()}) : {len(jobs)} tâche(s) de collecte, "
               f"index {services.settings.index_dir}", err=True)
    if crawl_now:
        from ..indexing import requests as crawl_requests

        crawl_requests.request_crawl(services, None, "worker --crawl-now")
    try:
        while not stop.wait(1.0):
            pass
    finally:
        click.echo("crpv-watch worker : arrêt.", err=True)
        scheduler.shutdown(wait=False)


def run_demo(ctx, host: str, port: int, demo_port: int, serve: bool = True) -> None:
    """The bundled demo network: served on 127.0.0.2…, crawled, indexed, then `run`."""
    from ..demo import DemoNetwork
    from .progress import crawl_with_progress

    settings = ctx.settings
    settings.ensure_dirs()
    network = DemoNetwork(port=demo_port)
    network.start()
    sources_file = settings.data_dir / "sources.demo.yaml"
    network.write_sources(sources_file)
    # Politeness still applies on loopback, but the demo sites are ours: a short delay keeps start-up quick.
    ctx.settings = settings.replace(sources_path=sources_file, crawl_delay=min(settings.crawl_delay, 0.05))
    ctx._services = None
    services = ctx.services
    click.echo("Réseau de démonstration : " + ", ".join(s["base_url"] for s in network.manifest["sites"]))
    try:
        crawl_with_progress(services)
        if serve:
            click.echo(f"Ouvrez http://{host}:{port}/")
            serve_web(services, host, port, background=True)
    finally:
        network.stop()
