"""A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl from Debian's packages, in a temporary directory,
run by an unprivileged user (PostgreSQL refuses root), listening on 127.0.0.1 at a free port and on a unix socket
in the same directory. Each test gets its own fresh database, created from a migrated template so that it costs a
file copy rather than a run of every migration."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

USER = "crpv"  # the cluster's superuser; trust authentication, loopback only


class PostgresUnavailable(RuntimeError):
    pass


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise PostgresUnavailable("PostgreSQL not installed (/usr/lib/postgresql/*/bin/initdb): run `make test` "
                                  "as root, or bash scripts/ensure-postgres.sh")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="crpv-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.run_as: str | None = None
        if os.geteuid() == 0:  # PostgreSQL will not run as root: the cluster belongs to `nobody`
            self.run_as = "nobody"
            entry = pwd.getpwnam(self.run_as)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self.template: str | None = None

    def _run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.run_as:
            cmd = ["setpriv", f"--reuid={self.run_as}", f"--regid={pwd.getpwnam(self.run_as).pw_gid}",
                   "--clear-groups", "--", *cmd]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "HOME": str(self.dir)}
        return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=self.dir, check=False, **kwargs)

    def start(self) -> PgCluster:
        done = self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8",
                         "--locale=C.UTF-8", "--no-sync")
        if done.returncode:
            raise PostgresUnavailable(f"initdb failed: {done.stderr.strip()}")
        # Throwaway data: durability off makes creating a database per test cheap.
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                   "-c shared_buffers=32MB")
        done = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-o", options, "-w",
                         "-t", "60", "start")
        if done.returncode:
            log = (self.dir / "log").read_text() if (self.dir / "log").exists() else ""
            raise PostgresUnavailable(f"pg_ctl start failed: {done.stderr.strip()} {log[-2000:]}")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=USER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, migrated: bool = True) -> str:
        """A fresh database; ``migrated`` ones are copies of a template brought to the newest migration."""
        name = "t_" + uuid.uuid4().hex[:12]
        if not migrated:
            self._admin(f'CREATE DATABASE "{name}"')
            return self.url(name)
        if self.template is None:
            self.template = "crpv_template"
            self._admin(f'CREATE DATABASE "{self.template}"')
            from crpv_watch.store.db import Database

            db = Database(self.url(self.template))
            db.upgrade()
            db.dispose()
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self.url(name)

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        for _ in range(20):
            try:
                shutil.rmtree(self.dir)
                return
            except OSError:
                time.sleep(0.1)
