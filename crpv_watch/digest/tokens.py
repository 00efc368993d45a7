"""Signed links of the subscription mails (itsdangerous): confirm, manage, unsubscribe.

Each purpose has its own salt, so a confirmation token cannot be replayed as an unsubscribe token and vice
versa. Tokens carry the address as well as the id: after a deletion, a reused id never matches an old link.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

PURPOSES = ("confirm", "manage", "unsubscribe")


class TokenError(ValueError):
    def __init__(self, reason: str):  # "expired" | "invalid"
        super().__init__(reason)
        self.reason = reason


@dataclass
class TokenData:
    subscriber_id: int
    email: str
    alert_id: int | None = None


class Tokens:
    def __init__(self, secret: str, confirm_max_age: int, link_max_age: int):
        self._secret = secret
        self._max_age = {"confirm": confirm_max_age, "manage": link_max_age, "unsubscribe": link_max_age}

    @classmethod
    def from_settings(cls, settings) -> Tokens:
        return cls(settings.secret, settings.confirm_token_hours * 3600, settings.link_token_days * 86400)

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        if purpose not in PURPOSES:
            raise ValueError(purpose)
        return URLSafeTimedSerializer(self._secret, salt=f"crpv-watch/subscription/{purpose}")

    def make(self, purpose: str, subscriber_id: int, email: str, alert_id: int | None = None) -> str:
        payload = {"s": subscriber_id, "e": email}
        if alert_id is not None:
            payload["a"] = alert_id
        return self._serializer(purpose).dumps(payload)

    def read(self, purpose: str, token: str, allow_expired: bool = False) -> TokenData:
        """The token's data; ``allow_expired`` accepts an authentic but old token (leaving must always work)."""
        try:
            data = self._serializer(purpose).loads(token, max_age=self._max_age[purpose])
        except SignatureExpired as exc:
            if not allow_expired or exc.payload is None:
                raise TokenError("expired") from exc
            data = self._serializer(purpose).load_payload(exc.payload)
        except (BadSignature, ValueError, TypeError) as exc:
            raise TokenError("invalid") from exc
        if not isinstance(data, dict) or not isinstance(data.get("s"), int) or not isinstance(data.get("e"), str):
            raise TokenError("invalid")
        alert = data.get("a")
        return TokenData(data["s"], data["e"], alert if isinstance(alert, int) else None)
