"""The digest run: who is due, build, render, record, send — exactly once per subscriber and period.

For each subscriber, in order:
1. a digest of theirs left ``sending`` (the process died during the SMTP transaction) or ``failed`` (a transient
   failure) is sent again from the stored bytes: same Message-ID, same content;
2. if no digest exists for their current period, one is built; an empty one is recorded ``empty`` and not sent
   (unless ``digest_send_empty``); otherwise it is recorded ``sending`` with its Message-ID and bytes, committed,
   handed to SMTP, then recorded ``sent`` (the bytes are dropped). The unique (subscriber, period) key makes a
   second run in the same period, or a concurrent one, build nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from .. import urls
from ..store import digests as digest_store
from ..store.models import Digest, Subscriber, utcnow
from . import subscriptions as subs
from .build import CandidateSet, DigestContent, build, load_additions, load_candidates, period_for, window_start
from .render import Renderer, message, new_message_id
from .send import DeliveryError, envelope, transport_for
from .tokens import Tokens

log = logging.getLogger(__name__)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_cron(value: str) -> tuple[int, int, int]:
    """``"mon 07:00"`` → (weekday, hour, minute)."""
    try:
        day, clock = value.strip().lower().split()
        hour, minute = (int(x) for x in clock.split(":"))
        return DAYS.index(day[:3]), hour, minute
    except ValueError as exc:
        raise ValueError(f"digest_cron: {value!r} n'est pas de la forme « mon 07:00 »") from exc


def scheduled_moment(frequency: str, now: dt.datetime, cron: str, tz: str) -> dt.datetime:
    """The latest scheduled send time at or before ``now`` (naive UTC in and out)."""
    weekday, hour, minute = parse_cron(cron)
    zone = ZoneInfo(tz)
    local = now.replace(tzinfo=dt.UTC).astimezone(zone)
    moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if frequency == "daily":
        if moment > local:
            moment -= dt.timedelta(days=1)
    else:
        moment -= dt.timedelta(days=(local.weekday() - weekday) % 7)
        if moment > local:
            moment -= dt.timedelta(days=7)
    # Rebuilt from the wall clock so a DST change between the two dates does not shift the hour.
    moment = dt.datetime(moment.year, moment.month, moment.day, hour, minute, tzinfo=zone)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def next_moment(frequency: str, now: dt.datetime, cron: str, tz: str) -> dt.datetime:
    """The next scheduled send time after ``now`` (naive UTC in and out)."""
    last = scheduled_moment(frequency, now, cron, tz)
    step = dt.timedelta(days=1 if frequency == "daily" else 7)
    # From the wall clock again, a little after the last one plus a step: DST moves hours, not days.
    return scheduled_moment(frequency, last + step + dt.timedelta(hours=3), cron, tz)


def when_due(now: dt.datetime, cron: str, tz: str) -> str:
    """« Prochaines lettres : hebdomadaires le lundi 14 décembre 2026 à 07:00, quotidiennes le … (heure de
    Paris). » for the CLI and the editors."""
    from ..text.wording import MONTHS

    days = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    zone = ZoneInfo(tz)

    def said(frequency: str) -> str:
        local = next_moment(frequency, now, cron, tz).replace(tzinfo=dt.UTC).astimezone(zone)
        return f"le {days[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year} à {local:%H:%M}"

    return (f"Prochaines lettres : hebdomadaires {said('weekly')}, quotidiennes {said('daily')} "
            f"(heure de {tz.split('/')[-1]}).")


@dataclass
class Report:
    sent: int = 0
    resent: int = 0
    empty: int = 0
    failed: int = 0
    bounced: int = 0
    skipped: int = 0
    previews: list[tuple[str, int, str]] = field(default_factory=list)  # dry run: (email, count, subject)
    stopped: str = ""  # why the run stopped early (SMTP unreachable)

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in ("sent", "resent", "empty", "failed", "bounced", "skipped", "stopped")}


class Stop(Exception):
    pass


STAGED_PREFIX = "crpv-digest-"


def staged_name(digest_id: int) -> str:
    """The digest's file name in the Maildir: the same on every attempt, so a resend overwrites, never adds."""
    return f"{STAGED_PREFIX}{digest_id}"


class DigestSender:
    def __init__(self, services, sleep: Callable[[float], None] = time.sleep):
        self.services = services
        self.settings = services.settings
        self.db = services.db
        self.tokens = Tokens.from_settings(self.settings)
        self.renderer = Renderer(self.settings, services.label)
        self.sleep = sleep
        self._transport = None
        self._last_send = 0.0

    # -- public --------------------------------------------------------------------------------------------
    def run(self, now: dt.datetime | None = None, *, force: bool = False, dry_run: bool = False,
            emails: list[str] | None = None) -> Report:
        """Send what is due; ``force`` (``--now``) sends the current period's digest without waiting for the
        scheduled time; ``dry_run`` builds and renders only."""
        now = now or utcnow()
        report = Report()
        with self.db.session() as session:
            people = subs.mailable(session)
            if emails is not None:
                people = [s for s in people if s.email in set(emails)]
            pending = {}
            for d in digest_store.unfinished(session):
                pending.setdefault(d.subscriber_id, []).append(d)
            moments = {f: now if force else scheduled_moment(f, now, self.settings.digest_cron,
                                                             self.settings.timezone) for f in subs.FREQUENCIES}
            periods = {f: period_for(f, m, self.settings.timezone) for f, m in moments.items()}
            done_periods = digest_store.periods_done(session, set(periods.values()))
        due: list[tuple[Subscriber, str]] = []
        for sub in people:
            moment, period = moments.get(sub.frequency, now), periods.get(sub.frequency, periods["weekly"])
            if (sub.id, period) in done_periods or (not force and window_start(sub) >= moment):
                continue
            due.append((sub, period))
        cands = self._candidates(due, now)
        try:
            if not dry_run:
                self.reconcile()
                for sub in people:
                    self._resend(sub, pending.get(sub.id, []), report)
            for sub, period in due:
                if sub.id in pending and not dry_run:
                    with self.db.session() as session:
                        fresh = session.get(Subscriber, sub.id)
                        if fresh.status != "active" or digest_store.has_unfinished(session, sub.id):
                            report.skipped += 1  # its older digest must go first; next run
                            continue
                        sub.last_digest_at = fresh.last_digest_at
                self._new(sub, period, cands, now, report, dry_run)
        except Stop as exc:
            report.stopped = str(exc)
        finally:
            self.close()
        return report

    def preview(self, email: str, now: dt.datetime | None = None) -> tuple[DigestContent, str, str, str] | None:
        """The digest ``email`` would receive now: (content, subject, text, html); nothing is recorded."""
        now = now or utcnow()
        with self.db.session() as session:
            sub = subs.by_email(session, email)
        if sub is None:
            return None
        cands = self._candidates([(sub, "")], now)
        content = build(sub, cands, now, self.settings.digest_max_per_alert)
        return (content, *self.renderer.digest(content, sub.frequency, self.placeholder_links()))

    def placeholder_links(self) -> dict[str, str]:
        """What previews show instead of the subscriber's links: whoever reads a preview (an editor) must not
        get a working manage or unsubscribe token, which would let them act as the subscriber."""
        inert = urls.absolute(self.settings.base_url, urls.preview_placeholder())
        return {"manage_url": inert, "unsubscribe_url": inert}

    def links(self, sub: Subscriber) -> dict[str, str]:
        base = self.settings.base_url
        return {"manage_url": urls.absolute(base, urls.manage(self.tokens.make("manage", sub.id, sub.email))),
                "unsubscribe_url": urls.absolute(base, urls.unsubscribe(self.tokens.make("unsubscribe", sub.id,
                                                                                           sub.email)))}

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    # -- steps ---------------------------------------------------------------------------------------------
    def _candidates(self, due: list[tuple[Subscriber, str]], now: dt.datetime) -> CandidateSet:
        if not due:
            return CandidateSet([])
        since = min(window_start(s) for s, _ in due)
        try:
            regions = {s.id: list(s.region) for s in self.services.sources}
        except Exception:  # no sources file: region alerts then match nothing, the rest still works
            log.warning("sources unavailable: region alerts match nothing in this run")
            regions = {}
        today = now.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(self.settings.timezone)).date()
        followed = {a.dossier_id for s, _ in due for a in s.alerts if a.active and a.dossier_id is not None}
        with self.db.session() as session:
            cands = load_candidates(session, since, now, self.settings.digest_max_age_days, regions, today,
                                    self.services.engine)
            cands.add(load_additions(session, followed, since, now, regions))
        return cands

    def _resend(self, sub: Subscriber, digests: list[Digest], report: Report) -> None:
        """Send again this subscriber's unfinished digests, oldest first, stopping at one still unsent."""
        for digest in digests:
            if not digest.message:
                continue
            outcome = self._deliver(sub, digest.id, digest.message, digest.window_end, report)
            if outcome == "failed":
                return
            report.resent += outcome == "sent"

    def _new(self, sub: Subscriber, period: str, cands: CandidateSet, now: dt.datetime, report: Report,
             dry_run: bool) -> None:
        content = build(sub, cands, now, self.settings.digest_max_per_alert)
        if dry_run:
            subject = self.renderer.digest(content, sub.frequency, self.links(sub))[0]
            report.previews.append((sub.email, content.count, subject))
            return
        if content.count == 0 and not self.settings.digest_send_empty:
            try:
                with self.db.session() as session:
                    session.add(Digest(subscriber_id=sub.id, period=period, status="empty", count=0,
                                       window_start=content.window_start, window_end=now, sent_at=now))
                    session.get(Subscriber, sub.id).last_digest_at = now
            except digest_store.AlreadyRecorded:
                report.skipped += 1
                return
            report.empty += 1
            return
        links = self.links(sub)
        subject, text, html = self.renderer.digest(content, sub.frequency, links)
        msg = message(self.settings, sub.email, subject, text, html, message_id=new_message_id(self.settings),
                      unsubscribe_url=links["unsubscribe_url"], now=now)
        raw = msg.as_bytes()
        try:
            with self.db.session() as session:
                digest = Digest(subscriber_id=sub.id, period=period, status="sending", message_id=msg["Message-ID"],
                                message=raw, document_ids=content.document_ids, count=content.count,
                                window_start=content.window_start, window_end=now)
                session.add(digest)
                session.flush()
                digest_id = digest.id
        except digest_store.AlreadyRecorded:  # another sender recorded this period first
            report.skipped += 1
            return
        if self._deliver(sub, digest_id, raw, now, report) == "sent":
            report.sent += 1

    def _deliver(self, sub: Subscriber, digest_id: int, raw: bytes, window_end: dt.datetime, report: Report) -> str:
        """Hands one recorded digest to the transport and records the outcome: sent | bounced | failed."""
        settings = self.settings
        sender, recipients = envelope(raw, settings)
        error: DeliveryError | None = None
        for attempt in range(settings.mail_max_retries + 1):
            if attempt:
                self.sleep(settings.mail_retry_delay * 2 ** (attempt - 1))
            self._throttle()
            try:
                transport = self._open()
                if getattr(transport, "exactly_once", False):
                    transport.stage(raw, staged_name(digest_id))  # published once recorded, below
                else:
                    transport.send(raw, sender, recipients)
                error = None
                break
            except DeliveryError as exc:
                error = exc
                if exc.permanent:
                    break
        with self.db.session() as session:
            digest = session.get(Digest, digest_id)
            person = session.get(Subscriber, sub.id)
            digest.attempts += 1
            if error is None:
                digest.status, digest.sent_at, digest.message, digest.last_error = "sent", utcnow(), None, ""
                person.last_digest_at = max(window_end, person.last_digest_at or window_end)
                person.bounce_count = 0
                sub.last_digest_at = person.last_digest_at
        if error is None:
            if getattr(self._transport, "exactly_once", False):
                self._transport.publish(staged_name(digest_id))  # after the commit above: see reconcile()
            return "sent"
        with self.db.session() as session:
            digest = session.get(Digest, digest_id)
            person = session.get(Subscriber, sub.id)
            digest.last_error = error.french()[:2000]
            if error.permanent:
                digest.status, digest.message = "bounced", None
                person.bounce_count += 1
                person.last_bounce = str(error)[:2000]
                if person.bounce_count >= settings.mail_max_bounces:
                    person.status = "bouncing"  # repeated hard failures: this address is no longer mailed
                report.bounced += 1
                return "bounced"
            digest.status = "failed"
        report.failed += 1
        log.warning("digest %s to %s not sent: %s", digest_id, sub.email, error)
        if error.kind == "connection":
            raise Stop(str(error))
        return "failed"

    def _open(self):
        if self._transport is None:
            self._transport = transport_for(self.settings.mail_url, self.settings.mail_timeout)
        return self._transport

    def reconcile(self) -> int:
        """Finishes what a killed run left staged (exactly-once transports): a staged digest recorded ``sent``
        is published; one still ``sending`` or ``failed`` stays staged and is overwritten when resent; one
        whose record is gone is dropped. Returns the number published."""
        transport = self._open()
        if not getattr(transport, "exactly_once", False):
            return 0
        published = 0
        for name in transport.staged(STAGED_PREFIX):
            digest_id = int(name[len(STAGED_PREFIX):]) if name[len(STAGED_PREFIX):].isdigit() else None
            with self.db.session() as session:
                digest = session.get(Digest, digest_id) if digest_id is not None else None
                status = digest.status if digest is not None else None
            if status == "sent":
                published += transport.publish(name)
            elif status not in ("sending", "failed"):
                transport.discard(name)
        if published:
            log.info("digests: %d letter(s) recorded sent before a crash published now", published)
        return published

    def _throttle(self) -> None:
        rate = self.settings.mail_rate_per_minute
        if rate and rate > 0:
            wait = self._last_send + 60.0 / rate - time.monotonic()
            if wait > 0:
                self.sleep(wait)
        self._last_send = time.monotonic()
