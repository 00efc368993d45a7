"""Mail transports from one URL (``settings.mail_url``): ``smtp://user:pass@host:port`` (STARTTLS when the
server offers it), ``smtps://…`` (implicit TLS) or ``maildir:///path`` (the default: no mail server needed).

Failures are sorted the way the sender needs them: ``permanent`` (a 5xx for this recipient or this message),
``transient`` (a 4xx: try again later), ``connection`` (no server, or it went away: stop the run, retry later).
"""

from __future__ import annotations

import contextlib
import mailbox
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..tagging.yamlcheck import technical


class DeliveryError(Exception):
    def __init__(self, kind: str, message: str, code: int | None = None):
        super().__init__(message)
        self.kind = kind  # permanent | transient | connection
        self.code = code

    @property
    def permanent(self) -> bool:
        return self.kind == "permanent"

    def french(self) -> str:
        """What the editors' letters page says, the server's own words kept as technical detail."""
        code = f" (code {self.code})" if self.code else ""
        if self.kind == "permanent":
            cause = f"adresse refusée définitivement par le serveur de courrier{code} : la lettre n'est pas renvoyée"
        elif self.kind == "transient":
            cause = f"refus temporaire du serveur de courrier{code} : nouvel essai à la prochaine lettre"
        elif str(self).startswith("Maildir"):
            cause = "dépôt impossible dans la boîte Maildir (disque plein ou droits ?)"
        else:
            cause = f"serveur de courrier injoignable ou connexion refusée{code}"
        return cause + technical(str(self))


class MaildirTransport:
    """Delivers into a Maildir. One-off mails (confirmations) go through ``mailbox.Maildir.add`` (tmp/ then a
    rename into new/). Digests are delivered exactly once in two steps around the sender's record:
    :meth:`stage` writes the message to ``tmp/`` under a name derived from the digest (the same on every
    attempt), the sender records it sent, then :meth:`publish` renames it into ``new/``, where a mail reader
    sees it. A process killed before the record leaves the digest ``sending``: the next run stages it again
    over the same file. Killed after the record, it leaves a staged file of a sent digest: :meth:`reconcile`,
    at the start of the next run, publishes it. Either way the mailbox gets the letter once."""

    exactly_once = True

    def __init__(self, path: Path):
        self.path = Path(path)

    def _box(self) -> mailbox.Maildir:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return mailbox.Maildir(str(self.path), create=True)

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        try:
            self._box().add(raw)
        except OSError as exc:
            raise DeliveryError("connection", f"Maildir {self.path}: {exc}") from exc

    def stage(self, raw: bytes, key: str) -> None:
        """Writes the message to ``tmp/<key>`` (durably); nothing is visible to a mail reader yet."""
        try:
            self._box()
            staged = self.path / "tmp" / key
            part = self.path / "tmp" / f".{key}.part"
            with open(part, "wb") as fh:
                fh.write(raw)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, staged)
        except OSError as exc:
            raise DeliveryError("connection", f"Maildir {self.path}: {exc}") from exc

    def publish(self, key: str) -> bool:
        """Moves ``tmp/<key>`` into ``new/``; False when there was nothing staged (already published)."""
        try:
            os.rename(self.path / "tmp" / key, self.path / "new" / key)
        except FileNotFoundError:
            return False
        return True

    def staged(self, prefix: str) -> list[str]:
        try:
            return sorted(n for n in os.listdir(self.path / "tmp") if n.startswith(prefix))
        except FileNotFoundError:
            return []

    def discard(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path / "tmp" / key)

    def close(self) -> None:
        pass


class SMTPTransport:
    """One connection kept open across messages, reopened when the server drops it."""

    def __init__(self, host: str, port: int, *, implicit_tls: bool, user: str = "", password: str = "",
                 timeout: float = 30.0):
        self.host, self.port, self.implicit_tls = host, port, implicit_tls
        self.user, self.password, self.timeout = user, password, timeout
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        try:
            if self.implicit_tls:
                conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            conn.ehlo()
            if not self.implicit_tls and conn.has_extn("starttls"):
                conn.starttls(context=context)
                conn.ehlo()
            if self.user:
                conn.login(self.user, self.password)
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError("connection", f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}", exc.smtp_code) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError("connection", f"SMTP {self.host}:{self.port}: {exc}") from exc
        return conn

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        if self._conn is None:
            self._conn = self._connect()
        try:
            refused = self._conn.sendmail(sender, recipients, raw)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise DeliveryError("permanent" if code >= 500 else "transient", f"{code} {_text(text)}", code) from exc
        except smtplib.SMTPSenderRefused as exc:
            # Our own From was refused: a configuration problem, not the subscriber's; stop and retry later.
            self._drop()
            raise DeliveryError("connection", f"MAIL FROM refused: {exc.smtp_code} {_text(exc.smtp_error)}",
                                exc.smtp_code) from exc
        except smtplib.SMTPResponseException as exc:
            self._reset()
            kind = "permanent" if exc.smtp_code >= 500 else "transient"
            raise DeliveryError(kind, f"{exc.smtp_code} {_text(exc.smtp_error)}", exc.smtp_code) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise DeliveryError("connection", f"SMTP {self.host}:{self.port}: {exc}") from exc
        if refused:  # only possible with several recipients; we always send to one
            code, text = next(iter(refused.values()))
            raise DeliveryError("permanent" if code >= 500 else "transient", f"{code} {_text(text)}", code)

    def _reset(self) -> None:
        try:
            if self._conn is not None:
                self._conn.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def transport_for(url: str, timeout: float = 30.0):
    parts = urlsplit(url)
    if parts.scheme == "maildir":
        path = unquote(parts.netloc + parts.path)
        if not path:
            raise ValueError("mail_url: maildir:///chemin/absolu attendu")
        return MaildirTransport(Path(path))
    if parts.scheme in ("smtp", "smtps"):
        if not parts.hostname:
            raise ValueError("mail_url: smtp://utilisateur:mot-de-passe@hôte:port attendu")
        implicit = parts.scheme == "smtps"
        return SMTPTransport(parts.hostname, parts.port or (465 if implicit else 587), implicit_tls=implicit,
                             user=unquote(parts.username or ""), password=unquote(parts.password or ""),
                             timeout=timeout)
    raise ValueError(f"mail_url: schéma inconnu {parts.scheme!r} (smtp, smtps ou maildir)")


def envelope(msg: EmailMessage | bytes, settings) -> tuple[str, list[str]]:
    sender = parseaddr(settings.mail_from)[1]
    if isinstance(msg, bytes):
        from email import message_from_bytes

        msg = message_from_bytes(msg)
    return sender, [addr for _, addr in getaddresses(msg.get_all("To", []))]


def send_now(settings, msg: EmailMessage) -> None:
    """One message at once (the confirmation mail of the subscribe form); raises DeliveryError."""
    transport = transport_for(settings.mail_url, settings.mail_timeout)
    try:
        sender, recipients = envelope(msg, settings)
        transport.send(msg.as_bytes(), sender, recipients)
    finally:
        transport.close()
