"""Scheduled work: each source's crawl on its own schedule (APScheduler, Europe/Paris)."""

from __future__ import annotations

import logging
import zlib

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger(__name__)


def trigger_for(schedule: str, source_id: str, tz: str) -> CronTrigger:
    """daily / weekly / a cron expression. Named schedules are spread over the night by a hash of the id, so
    that twenty sources do not all start at the same minute."""
    spread = zlib.crc32(source_id.encode())
    if schedule == "daily":
        return CronTrigger(hour=2 + spread % 4, minute=spread % 60, timezone=tz)
    if schedule == "weekly":
        return CronTrigger(day_of_week="sun", hour=2 + spread % 4, minute=spread % 60, timezone=tz)
    return CronTrigger.from_crontab(schedule, timezone=tz)


CRAWL_EXECUTOR = "crawls"
DIGEST_EXECUTOR = "digests"


def executors(settings) -> dict:
    """Crawls (minutes each, possibly many at once) and the digest run get pools of their own: whatever they do,
    the default pool stays free for the upkeep jobs (heartbeat, index-queue drain, requests), which then keep
    their period."""
    from apscheduler.executors.pool import ThreadPoolExecutor

    return {"default": ThreadPoolExecutor(max_workers=5),
            CRAWL_EXECUTOR: ThreadPoolExecutor(max_workers=max(1, settings.crawl_pool_size)),
            DIGEST_EXECUTOR: ThreadPoolExecutor(max_workers=1)}


def build_scheduler(services, crawl_job) -> BackgroundScheduler:
    """``crawl_job(source_id)`` runs one source's crawl; jobs coalesce and tolerate a missed start by an hour."""
    tz = services.settings.timezone
    scheduler = BackgroundScheduler(timezone=tz, executors=executors(services.settings),
                                    job_defaults={"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1})
    for source in services.sources:
        if source.enabled:
            scheduler.add_job(crawl_job, trigger_for(source.schedule, source.id, tz), args=[source.id],
                              id=f"crawl:{source.id}", name=f"Collecte {source.id}", replace_existing=True,
                              executor=CRAWL_EXECUTOR)
    add_digest_job(scheduler, services)
    return scheduler


# -- alert digests --------------------------------------------------------------------------------------------
DIGEST_JOB_ID = "digest:send"
DIGEST_JOBSTORE = "digests"
_digest_services = None  # the persistent store keeps a textual reference to run_digest_job, never the services


def run_digest_job() -> None:
    from ..digest.sender import DigestSender

    if _digest_services is None:
        log.warning("digest job fired before add_digest_job: skipped")
        return
    try:
        report = DigestSender(_digest_services).run()
        log.info("digests: %s", report.to_json())
    except Exception:
        log.exception("digest run failed")


def add_digest_job(scheduler, services) -> None:
    """Every day at the time of ``digest_cron`` (weekly digests go out on its day; daily ones every day), in a
    job store kept in the database, so that a run missed while the process was down is made up at start
    (within ``misfire_grace_time``, coalesced into one). Sending twice in a period is impossible anyway: the
    sender keys each digest by (subscriber, period)."""
    global _digest_services
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    from ..digest.sender import parse_cron

    _digest_services = services
    settings = services.settings
    _weekday, hour, minute = parse_cron(settings.digest_cron)
    trigger = CronTrigger(hour=hour, minute=minute, timezone=settings.timezone)
    store = SQLAlchemyJobStore(url=settings.database_url, tablename="apscheduler_jobs")
    store.start(scheduler, DIGEST_JOBSTORE)
    existing = store.lookup_job(DIGEST_JOB_ID)
    scheduler.add_jobstore(store, DIGEST_JOBSTORE)
    if existing is not None and str(existing.trigger) == str(trigger):
        return  # keep its next run time: a run missed while we were down is then caught up at start
    scheduler.add_job("crpv_watch.worker.scheduler:run_digest_job", trigger, id=DIGEST_JOB_ID, name="Lettres de veille",
                      jobstore=DIGEST_JOBSTORE, replace_existing=True, coalesce=True, misfire_grace_time=6 * 3600,
                      max_instances=1, executor=DIGEST_EXECUTOR)


# -- upkeep jobs of the crawling process (``run`` and ``worker``) ---------------------------------------------
HEARTBEAT_KEY = "heartbeat"  # in runtime_state
HEARTBEAT_EVERY = 10  # seconds
DRAIN_EVERY = 3  # seconds: how soon an editor's hide or retag reaches the index
WATCH_EVERY = 5  # seconds: how soon a saved sources file reaches the schedule


def sync_crawl_jobs(scheduler, services, crawl_job) -> bool:
    """Makes the crawl jobs match the enabled sources (added, rescheduled, removed); True if anything changed."""
    tz = services.settings.timezone
    wanted = {f"crawl:{s.id}": s for s in services.sources if s.enabled}
    changed = False
    for job in scheduler.get_jobs():
        if job.id.startswith("crawl:") and job.id not in wanted:
            job.remove()
            changed = True
    for job_id, source in wanted.items():
        job = scheduler.get_job(job_id)
        trigger = trigger_for(source.schedule, source.id, tz)
        if job is not None and str(job.trigger) == str(trigger):
            continue
        scheduler.add_job(crawl_job, trigger, args=[source.id], id=job_id, name=f"Collecte {source.id}",
                          replace_existing=True, executor=CRAWL_EXECUTOR)
        changed = True
    return changed


def write_heartbeat(services, mode: str, scheduler) -> None:
    """Publishes that the crawling process is alive, in the database: web nodes elsewhere read it (/healthz)."""
    import os
    import socket

    from ..store import coordination
    from ..store.models import utcnow

    data = {"at": utcnow().isoformat(), "pid": os.getpid(), "host": socket.gethostname(), "mode": mode,
            "crawl_jobs": sum(1 for j in scheduler.get_jobs() if j.id.startswith("crawl:"))}
    with services.db.session() as session:
        coordination.put_state(session, HEARTBEAT_KEY, data)
        coordination.expire_nodes(session)  # index nodes gone for good stop collecting queue entries


def add_upkeep_jobs(scheduler, services, crawl_job, mode: str, start_crawl) -> None:
    """Heartbeat, index-queue drain, sources-file watch, web crawl requests and index rebuild requests
    (``index_rebuild.handle_requests``).

    ``start_crawl(source_ids)`` starts a crawl without blocking the scheduler's thread.
    """
    import threading

    from ..indexing import rebuild as index_rebuild
    from ..indexing import requests as crawl_requests
    from ..indexing.writer import Indexer
    from ..sources.write import refresh_if_changed, remember_stamp

    indexer = Indexer(services)
    remember_stamp(services)
    # The upkeep jobs run every few seconds: APScheduler's "running job …" lines would drown everything else.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)

    def heartbeat() -> None:
        try:
            write_heartbeat(services, mode, scheduler)
        except Exception:  # the database away for a moment: /healthz reports the heartbeat stale meanwhile
            log.exception("heartbeat failed")

    rebuilding: list[threading.Thread] = []

    def drain() -> None:
        if rebuilding and rebuilding[0].is_alive():
            return  # the rebuild replays the queue when it ends
        try:
            indexer.drain()
        except Exception:
            log.exception("index queue drain failed")

    def watch_sources() -> None:
        refresh_if_changed(services)
        try:
            if sync_crawl_jobs(scheduler, services, crawl_job):
                log.info("crawl schedule updated from %s", services.settings.sources_path)
        except Exception:
            log.exception("could not update the crawl schedule")

    def crawl_requests_job() -> None:
        for request in crawl_requests.take(services):
            log.info("crawl requested by %s: %s", request.get("user") or "?", request.get("source_ids") or "all")
            start_crawl(request.get("source_ids"))

    def rebuild_requests_job() -> None:
        # The rebuild runs in its own thread (it can take minutes): this job stays a two-second poll.
        if (rebuilding and rebuilding[0].is_alive()) or not crawl_requests.pending(services,
                                                                                    crawl_requests.REBUILD):
            return
        rebuilding[:] = [threading.Thread(target=index_rebuild.handle_requests, args=(services, indexer),
                                          name="index-rebuild", daemon=True)]
        rebuilding[0].start()

    common = {"replace_existing": True, "coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
    scheduler.add_job(heartbeat, "interval", seconds=HEARTBEAT_EVERY, id="upkeep:heartbeat",
                      name="Battement de cœur", next_run_time=_now(services), **common)
    scheduler.add_job(drain, "interval", seconds=DRAIN_EVERY, id="upkeep:drain", name="File d'indexation",
                      **common)
    scheduler.add_job(watch_sources, "interval", seconds=WATCH_EVERY, id="upkeep:sources",
                      name="Fichier des sources", **common)
    scheduler.add_job(crawl_requests_job, "interval", seconds=2, id="upkeep:crawl-requests",
                      name="Collectes demandées", **common)
    scheduler.add_job(rebuild_requests_job, "interval", seconds=2, id="upkeep:rebuild-requests",
                      name="Reconstructions de l'index demandées", **common)


def _now(services):
    import datetime as dt
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(services.settings.timezone))
