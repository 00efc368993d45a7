"""The double opt-in mail: a signed, expiring link; nothing else is sent to an address before it is opened."""

from __future__ import annotations

from .. import urls
from ..store.models import Alert, Subscriber
from .render import Renderer, message
from .send import send_now
from .subscriptions import describe_alert
from .tokens import Tokens


def confirmation_message(services, sub: Subscriber, alert: Alert):
    settings = services.settings
    renderer = Renderer(settings, services.label)
    token = Tokens.from_settings(settings).make("confirm", sub.id, sub.email, alert.id)
    url = urls.absolute(settings.base_url, urls.confirm(token))
    subject, text, html = renderer.confirmation(describe_alert(alert, renderer.label), sub.frequency, url)
    return message(settings, sub.email, subject, text, html)


def send_confirmation(services, sub: Subscriber, alert: Alert) -> None:
    """Raises ``send.DeliveryError`` when the mail could not be handed over."""
    send_now(services.settings, confirmation_message(services, sub, alert))
