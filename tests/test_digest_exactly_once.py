"""Exactly once, as far as SMTP allows: the sender is SIGKILLed halfway through 200 digests, while the SMTP
server holds a received message unacknowledged; a rerun completes the job, and the server ends up with exactly
one distinct Message-ID per subscriber."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict

import pytest
from digest_helpers import add_doc, add_subscriber, make_services
from smtp_server import SMTPServer

from crpv_watch.store.models import Digest, utcnow

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)

SUBSCRIBERS = 200


def sender(services, smtp) -> subprocess.Popen:
    env = {**os.environ, "CRPV_WATCH_MAIL_URL": smtp.url, "CRPV_WATCH_SECRET_KEY": "test-secret",
           "CRPV_WATCH_MAIL_RATE_PER_MINUTE": "12000"}
    cmd = [sys.executable, "-m", "crpv_watch", "--data-dir", str(services.settings.data_dir),
           "--sources", str(services.settings.sources_path), "digest", "send", "--now"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_kill_halfway_then_rerun(tmp_path):
    services = make_services(tmp_path)
    for n in range(SUBSCRIBERS):
        add_subscriber(services, f"s{n:03d}@example.org", q="jardin" if n % 2 else "",
                       theme=["participation_habitants"] if n % 2 == 0 else ())
    add_doc(services, "Jardin partagé", "jardin", themes=["participation_habitants"], seen=utcnow())
    with SMTPServer() as smtp:
        smtp.reply_delay, smtp.delay_after = 5.0, SUBSCRIBERS // 2 - 1
        proc = sender(services, smtp)
        try:
            try:
                smtp.wait_for(SUBSCRIBERS // 2, timeout=120)  # a readiness wait, generous for loaded machines
            except TimeoutError:
                proc.kill()
                raise AssertionError(proc.communicate()[1].decode()[-3000:]) from None
            proc.send_signal(signal.SIGKILL)  # during the unacknowledged DATA of the 100th message
        finally:
            proc.wait(timeout=10)
        killed_at = len(smtp.messages)
        assert killed_at < SUBSCRIBERS
        with services.db.session() as db:
            assert db.query(Digest).filter_by(status="sending").count() == 1

        smtp.reply_delay = 0
        rerun = sender(services, smtp)
        out, err = rerun.communicate(timeout=60)
        assert rerun.returncode == 0, err.decode()

        ids = defaultdict(set)
        for m in smtp.messages:
            ids[m.rcpt_tos[0]].add(m.message_id)
        assert len(ids) == SUBSCRIBERS
        assert all(len(v) == 1 for v in ids.values()), {k: v for k, v in ids.items() if len(v) > 1}
        assert len(smtp.messages) == SUBSCRIBERS + 1  # the one caught mid-transaction arrived twice, same id
    with services.db.session() as db:
        assert db.query(Digest).filter_by(status="sent").count() == SUBSCRIBERS
    # A third run in the same period sends nothing.
    with SMTPServer(port=smtp.port) as again:
        third = sender(services, again)
        third.communicate(timeout=60)
        assert again.messages == []
    services.close()
