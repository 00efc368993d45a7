"""The visitor's address behind a reverse proxy, believed only from the proxies the operator listed.

Behind nginx, every request reaches gunicorn from the proxy's address: rate limits keyed on it would be
site-wide (one client's failed sign-ins would lock everybody out). ``X-Forwarded-For`` carries the real address,
but any client can send that header, so it is read only when the connection comes from an address of the
``trusted_proxies`` setting, and from the right: each trusted hop appended the address it saw, so the first
address from the right that is not a trusted proxy is the client (anything further left was written by the
client itself and proves nothing). ``X-Forwarded-Proto`` from a trusted proxy sets the scheme (https links,
secure cookies). Werkzeug's ``ProxyFix`` counts hops instead and believes the header from anyone, hence this.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str | Iterable[str]) -> list[Network]:
    """``"127.0.0.1, 10.0.0.0/8"`` (or a list) as networks; raises ValueError naming a bad entry."""
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ValueError(f"trusted_proxies: {item!r} is not an IP address or network") from None
    return networks


def _address(value: str):
    value = value.strip().strip('"')
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.5:51000
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


class TrustedProxies:
    """WSGI middleware: ``REMOTE_ADDR`` becomes the client's address when the request came through trusted
    proxies; the original is kept in ``crpv.proxy_addr``."""

    def __init__(self, app, trusted: str | Iterable[str]):
        self.app = app
        self.networks = parse_networks(trusted)

    def trusted(self, address) -> bool:
        return address is not None and any(address in net for net in self.networks
                                           if net.version == address.version)

    def client_address(self, remote_addr: str, forwarded_for: str) -> str:
        peer = _address(remote_addr or "")
        if not self.trusted(peer):
            return remote_addr
        hops = [h for h in forwarded_for.split(",") if h.strip()]
        client = remote_addr
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break  # garbage: stop believing the chain here
            client = str(address)
            if not self.trusted(address):
                break
        return client

    def __call__(self, environ, start_response):
        if self.networks:
            remote = environ.get("REMOTE_ADDR", "")
            peer_trusted = self.trusted(_address(remote))
            environ["crpv.proxy_addr"] = remote
            environ["REMOTE_ADDR"] = self.client_address(remote, environ.get("HTTP_X_FORWARDED_FOR", ""))
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if peer_trusted and proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.app(environ, start_response)
