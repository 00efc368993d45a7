"""A real SMTP server for tests (aiosmtpd on 127.0.0.1) that keeps what it receives and can misbehave on demand.

    with SMTPServer() as smtp:
        settings = Settings(mail_url=smtp.url, …)
        smtp.rcpt_codes["bad@example.org"] = 550   # permanent failure for one address
        smtp.fail_next(451, times=2)               # transient failure of the next two DATA commands
        smtp.stop(); smtp.start()                  # down, then up again on the same port
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)

    @property
    def message_id(self) -> str:
        return self.message["Message-ID"]


class _Handler:
    def __init__(self, server: SMTPServer):
        self.server = server

    async def handle_RCPT(self, _server, _session, envelope, address, _options):
        code = self.server.rcpt_codes.get(address)
        if code:
            return f"{code} {'5.1.1 No such user' if code >= 500 else '4.2.1 Try again later'}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server, _session, envelope):
        with self.server.lock:
            if self.server._fail_times > 0:
                self.server._fail_times -= 1
                code = self.server._fail_code
                return f"{code} {'5.7.1 Rejected' if code >= 500 else '4.3.0 Temporary failure'}"
            self.server.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if self.server.reply_delay and len(self.server.messages) > self.server.delay_after:
            # Received but not yet acknowledged: the window in which a killed sender cannot know it was sent.
            await asyncio.sleep(self.server.reply_delay)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[Received] = []
        self.rcpt_codes: dict[str, int] = {}
        self.lock = threading.Lock()
        self._fail_code = 451
        self._fail_times = 0
        self.reply_delay = 0.0  # seconds before acknowledging DATA, once ``delay_after`` messages are in
        self.delay_after = 0
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SMTPServer:
        if self._controller is None:
            self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10)
            self._controller.start()
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def fail_next(self, code: int, times: int = 1) -> None:
        with self.lock:
            self._fail_code, self._fail_times = code, times

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise TimeoutError(f"{len(self.messages)} message(s) received, {count} expected")

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
