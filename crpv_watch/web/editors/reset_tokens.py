"""One-time password reset links for editors: signed, expiring, and spent by their own use (the token carries a
fingerprint of the password hash it was made for, which the new password replaces). An admin makes one on the
account's page or with `crpv-watch users reset-link`; it is also mailed when mail can go out."""

from __future__ import annotations

import hashlib
from html import escape

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "crpv-watch password reset"
MAX_AGE = 24 * 3600


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:20]


def make_token(secret: str, user) -> str:
    return URLSafeTimedSerializer(secret, salt=SALT).dumps({"u": user.id, "h": _fingerprint(user.password_hash)})


def read_token(secret: str, token: str) -> tuple[int, str] | None:
    """(user id, fingerprint) of an authentic, unexpired token; None otherwise."""
    try:
        data = URLSafeTimedSerializer(secret, salt=SALT).loads(token, max_age=MAX_AGE)
        return int(data["u"]), str(data["h"])
    except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError):
        return None


def still_valid(user, fingerprint: str) -> bool:
    """False once the password changed (the link was used, or the account's password was set otherwise)."""
    return user is not None and user.active and _fingerprint(user.password_hash) == fingerprint


def reset_url(settings, token: str) -> str:
    return settings.base_url.rstrip("/") + "/mot-de-passe/" + token


def send_link(settings, email: str, url: str) -> None:
    """Mails the link (SMTP or the Maildir, as settings.mail_url says); raises DeliveryError."""
    from ...digest.render import message
    from ...digest.send import send_now

    hours = MAX_AGE // 3600
    text = (f"Bonjour,\n\nUn administrateur de {settings.site_name} a créé pour vous un lien de réinitialisation "
            f"du mot de passe de l'espace éditeurs :\n\n{url}\n\nIl est valable {hours} heures et ne sert qu'une "
            f"fois. Si vous n'avez rien demandé, ignorez ce message.\n")
    html = (f"<p>Bonjour,</p><p>Un administrateur de {escape(settings.site_name)} a créé pour vous un lien de "
            f"réinitialisation du mot de passe de l'espace éditeurs :</p><p><a href=\"{escape(url)}\">Choisir un "
            f"nouveau mot de passe</a></p><p>Il est valable {hours} heures et ne sert qu'une fois. Si vous n'avez "
            f"rien demandé, ignorez ce message.</p>")
    send_now(settings, message(settings, email, f"{settings.site_name} : réinitialisation du mot de passe",
                               text, html))
