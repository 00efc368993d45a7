"""The mails: Jinja templates (``templates/mail/``) for the HTML and plain-text parts, and the MIME message.

Rendered outside any Flask request (the sender runs from the CLI and the scheduler), so the environment here is
plain Jinja with its own small filters; every link is absolute, built from ``settings.base_url``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import lru_cache
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .. import urls
from ..settings import TEMPLATES_DIR
from .build import DigestContent, Group, Item
from .subscriptions import FREQUENCY_LABELS, describe, describe_dossier, search_url

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
SUMMARY_CHARS = 280

Label = Callable[[str, str], str]


def date_fr(value: dt.date | None) -> str:
    if not value:
        return ""
    return f"{'1er' if value.day == 1 else value.day} {MONTHS[value.month - 1]} {value.year}"


def shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + " …"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)),
                      autoescape=select_autoescape(["html"], default_for_string=False),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(date_fr=date_fr, shorten=shorten)
    return env


def subject_for(count: int, site_name: str) -> str:
    if count == 0:
        return f"{site_name} : aucun nouveau document cette fois-ci"
    noun = "nouveau document" if count == 1 else "nouveaux documents"
    return f"{site_name} : {count} {noun} sur vos thèmes"


def period_label(frequency: str, end: dt.datetime, tz: str) -> str:
    local = end.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(tz)).date()
    if frequency == "daily":
        return f"du {date_fr(local)}"
    monday = local - dt.timedelta(days=local.weekday())
    return f"de la semaine du {date_fr(monday)}"


class Renderer:
    def __init__(self, settings, label: Label):
        self.settings = settings
        self.base = settings.base_url.rstrip("/")
        self._label = label

    def label(self, facet: str, value: str) -> str:
        try:
            return self._label(facet, value)
        except Exception:  # a missing vocabulary or sources file must not stop the mail
            return value

    def _item(self, item: Item) -> dict:
        d = item.doc
        return {"title": d.title or "Document sans titre", "page_url": urls.absolute(self.base, urls.document(d.id)),
                "original_url": d.url, "centre": self.label("centre", d.centre), "published": d.published,
                "type": self.label("type", d.doctype), "summary": shorten(d.summary),
                "themes": [self.label("theme", t) for t in d.themes], "featured": d.featured, "note": item.note}

    def _group(self, group: Group) -> dict:
        """A group of the letter: an alert's search, or a followed dossier's additions (with the editors' notes)."""
        docs = [self._item(i) for i in group.items]
        if group.dossier is not None:
            return {"title": describe_dossier(group.dossier.title), "is_dossier": True, "docs": docs,
                    "more": group.more, "search_url": urls.absolute(self.base, urls.dossier(group.dossier.slug))}
        return {"title": describe(group.params, self.label), "is_dossier": False, "docs": docs, "more": group.more,
                "search_url": urls.absolute(self.base, search_url(group.params))}

    def digest(self, content: DigestContent, frequency: str, links: dict[str, str]) -> tuple[str, str, str]:
        """(subject, text, html) of one digest."""
        groups = [self._group(g) for g in content.groups]
        ctx = {
            "site_name": self.settings.site_name,
            "base_url": self.base,
            "subject": subject_for(content.count, self.settings.site_name),
            "count": content.count,
            "period": period_label(frequency, content.window_end, self.settings.timezone),
            "frequency": FREQUENCY_LABELS.get(frequency, frequency),
            "featured": [self._item(i) for i in content.featured],
            "groups": groups,
            "publisher": self.settings.publisher_name,
            **self.identity(),
            **links,
        }
        env = environment()
        return (ctx["subject"], env.get_template("mail/digest.txt").render(ctx),
                env.get_template("mail/digest.html").render(ctx))

    def identity(self) -> dict[str, str]:
        """The network's own name, description, logo and contact for the mails' header and footer."""
        s = self.settings
        return {"site_description": s.site_description, "contact": s.publisher_contact,
                "logo_url": self.base + "/logo" if s.site_logo else ""}

    def confirmation(self, description: str, frequency: str, confirm_url: str) -> tuple[str, str, str]:
        ctx = {"site_name": self.settings.site_name, "base_url": self.base, "description": description,
               "frequency": FREQUENCY_LABELS.get(frequency, frequency), "confirm_url": confirm_url,
               "hours": self.settings.confirm_token_hours, "publisher": self.settings.publisher_name,
               **self.identity(),
               "subject": f"{self.settings.site_name} : confirmez votre abonnement"}
        env = environment()
        return (ctx["subject"], env.get_template("mail/confirm.txt").render(ctx),
                env.get_template("mail/confirm.html").render(ctx))


def message(settings, to: str, subject: str, text: str, html: str, *, message_id: str | None = None,
            unsubscribe_url: str | None = None, now: dt.datetime | None = None) -> EmailMessage:
    # CRLF line ends: smtplib hands bytes to the server as they are, and SMTP requires CRLF.
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime((now or dt.datetime.now(dt.UTC)).replace(tzinfo=dt.UTC))
    msg["Message-ID"] = message_id or new_message_id(settings)
    msg["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        # RFC 8058: a mail client may unsubscribe with one POST to this URL, without opening a page.
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg["List-Id"] = f"{settings.site_name} <digest.{_domain(settings)}>"
        msg["Precedence"] = "bulk"
    # Quoted-printable keeps the message 7-bit clean: no server has to support 8BITMIME.
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    return msg


def _domain(settings) -> str:
    address = parseaddr(settings.mail_from)[1]
    return address.rpartition("@")[2] or "localhost"


def new_message_id(settings) -> str:
    return make_msgid(idstring="digest", domain=_domain(settings))
