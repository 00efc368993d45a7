"""SSRF guard: which addresses the crawler may connect to, and a transport that only connects to checked ones.

The sources list is edited through the web interface, and any page we fetch may redirect anywhere, so a URL is
untrusted input: without a guard, ``http://169.254.169.254/`` or a name resolving to ``10.0.0.1`` would make the
crawler an open proxy into the host's network.

How DNS rebinding is defeated
-----------------------------
Checking a name and then letting the HTTP library resolve it again is not enough: a hostile DNS server can answer
"public" to the check and "private" to the connection. Here the check and the connection are the *same step*:
:class:`GuardedBackend` is the httpcore network backend of our transport. httpcore asks it to open
``connect_tcp(host, port)`` for every new connection (first request, every redirect hop, every retry); it resolves
``host`` through the injectable resolver, refuses the connection if any address is not allowed, and opens the
socket to one of the addresses it just checked (handing the IP literal, never the name, to
``httpcore.SyncBackend``). TLS is layered by httpcore on top of that socket with the *original* host name, so SNI
and certificate verification are unchanged and the ``Host`` header is the URL's. Pooled keep-alive connections
were checked when they were opened; a source allowed some private hosts (``private_hosts``) gets a pool of its own
(one per allow-list) so a connection opened under its policy is never reused by a stricter request.

What a source's ``private_hosts`` allows
----------------------------------------
Only the host names (or IP literals) it lists may resolve to loopback, private (RFC 1918) or carrier-grade NAT
addresses, e.g. an intranet server. Whatever the list says, link-local addresses (169.254.0.0/16 with the cloud
metadata service at 169.254.169.254, fe80::/10), unique-local IPv6 (fc00::/7, where fd00:ec2::254 is a metadata
address), the other known metadata addresses, multicast, reserved and unspecified addresses stay refused.

:func:`check_host` is also called by the fetcher before a request, only to fail early (no politeness wait, no
request counted) with a readable reason; the backend check is the one that enforces.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator

import httpcore
import httpx

Resolver = Callable[[str], list[str]]

# Request extensions our transport reads (and strips before handing the request to httpcore).
EXT_PRIVATE_HOSTS = "crpv_private_hosts"  # frozenset of host names allowed to resolve to private addresses
EXT_DEADLINE = "crpv_deadline"  # time.monotonic() value after which any network operation fails


class AddressRefused(Exception):
    """The host resolves to an address we must not connect to. Not an httpx error on purpose: never retried."""

    def __init__(self, host: str, ip: str, reason: str):
        super().__init__(f"refused address {ip} ({reason})")
        self.host, self.ip, self.reason = host, ip, reason


class ResolutionFailed(Exception):
    def __init__(self, host: str, detail: str = ""):
        super().__init__(f"DNS resolution failed for {host}" + (f": {detail}" if detail else ""))
        self.host = host


def system_resolver(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def refusal_reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why ``ip`` may not be crawled (``None`` when it may). Module-level so tests can stand a loopback address in
    for a public one (they must never reach a real public address)."""
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 address that embeds an IPv4 one reaches that IPv4 host (the kernel or a 6to4 relay routes it).
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return refusal_reason(embedded)
    for reason, flag in (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
                         ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                         ("reserved", ip.is_reserved), ("private", ip.is_private)):
        if flag:
            return reason
    # e.g. 100.64.0.0/10 (carrier-grade NAT) is neither private nor global.
    return None if ip.is_global else "non-global"


# Refused whatever a source's private_hosts says: reaching them from a crawler is never a legitimate need.
NEVER_ALLOWED = tuple(ipaddress.ip_network(n) for n in (
    "169.254.0.0/16", "fe80::/10", "fc00::/7",  # link-local (cloud metadata 169.254.169.254), unique-local IPv6
    "100.100.100.200/32",  # Alibaba Cloud's metadata service, inside carrier-grade NAT space
))
ALLOWABLE_REASONS = ("loopback", "private", "non-global")


def normalize_host(host: str) -> str:
    """A host as compared with a ``private_hosts`` entry: lower case, no brackets, no trailing dot; an IP literal
    in its canonical spelling (so ``127.1`` and ``127.0.0.1`` are one host)."""
    host = host.strip().strip("[]").rstrip(".").lower()
    ip = literal_ip(host)
    return str(ip) if ip is not None else host


def private_reason_allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, reason: str) -> bool:
    """May a host listed in ``private_hosts`` reach ``ip``, refused for ``reason``?"""
    if reason not in ALLOWABLE_REASONS:
        return False
    embedded = ip.ipv4_mapped or ip.sixtofour if isinstance(ip, ipaddress.IPv6Address) else None
    return not any((embedded or ip) in net for net in NEVER_ALLOWED if (embedded or ip).version == net.version)


def literal_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``host`` as an IP address if it is one, including the legacy IPv4 spellings (``127.1``, ``2130706433``,
    ``0x7f.1``) that ``inet_aton`` and therefore the system resolver accept."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host) and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def check_host(host: str, resolver: Resolver, private_hosts: Collection[str] = ()) -> list[str]:
    """Resolve ``host`` and return its addresses, or raise :class:`AddressRefused` / :class:`ResolutionFailed`.

    Every address must pass: a name with one public and one private address is refused, since we cannot tell
    which one a later resolution would favour. ``private_hosts`` (normalised names, see :func:`normalize_host`)
    may resolve to loopback and private addresses, never to the ``NEVER_ALLOWED`` ones.
    """
    listed = normalize_host(host) in private_hosts
    ip = literal_ip(host)
    if ip is not None:
        addresses = [str(ip)]
    else:
        try:
            addresses = [a.split("%", 1)[0] for a in resolver(host)]
        except (OSError, UnicodeError) as exc:
            raise ResolutionFailed(host, str(exc)) from exc
        if not addresses:
            raise ResolutionFailed(host)
    for address in addresses:
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError as exc:
            raise ResolutionFailed(host, f"resolver returned {address!r}") from exc
        reason = refusal_reason(parsed)
        if reason and not (listed and private_reason_allowed(parsed, reason)):
            raise AddressRefused(host, address, reason)
    return addresses


# --- the enforcing transport ---------------------------------------------------------------------------------

_local = threading.local()  # the current request's deadline; sync httpcore does all I/O in the calling thread


@contextlib.contextmanager
def _deadline(value: float | None) -> Iterator[None]:
    previous = getattr(_local, "deadline", None)
    _local.deadline = value
    try:
        yield
    finally:
        _local.deadline = previous


def _clamp(timeout: float | None, exc: type[Exception]) -> float | None:
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise exc("total timeout")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """Clamps every socket operation to the request's wall-clock deadline, so a body dripped one byte at a time
    (each read well within the read timeout) still ends on time."""

    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolves through our resolver, checks, then connects to a checked IP literal (see the module docstring)."""

    def __init__(self, resolver: Resolver, private_hosts: frozenset[str]):
        self.resolver = resolver
        self.private_hosts = private_hosts
        self._tcp = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable | None = None) -> httpcore.NetworkStream:
        try:
            addresses = check_host(host, self.resolver, self.private_hosts)
        except ResolutionFailed as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        last: Exception | None = None
        for address in addresses:
            try:
                stream = self._tcp.connect_tcp(address, port, _clamp(timeout, httpcore.ConnectTimeout),
                                               local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            return _DeadlineStream(stream)
        assert last is not None
        raise last

    def connect_unix_socket(self, path, timeout=None, socket_options=None):  # pragma: no cover
        raise httpcore.ConnectError("unix sockets are not crawled")

    def sleep(self, seconds: float) -> None:  # pragma: no cover
        time.sleep(seconds)


_EXC_MAP: dict[type[Exception], type[httpx.HTTPError]] = {
    httpcore.TimeoutException: httpx.TimeoutException, httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout, httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout, httpcore.NetworkError: httpx.NetworkError,
    httpcore.ConnectError: httpx.ConnectError, httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError, httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.ProtocolError: httpx.ProtocolError, httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
}


@contextlib.contextmanager
def _mapped() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for cls in type(exc).__mro__:  # the most specific mapping wins
            if cls in _EXC_MAP:
                raise _EXC_MAP[cls](str(exc)) from exc
        raise


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes], deadline: float | None):
        self._stream = stream
        self._deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        iterator = iter(self._stream)
        while True:
            with _deadline(self._deadline), _mapped():
                try:
                    part = next(iterator)
                except StopIteration:
                    return
            yield part

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close:
            with _mapped():
                close()


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport over httpcore pools (one strict, one per private-hosts allow-list) whose backend is
    :class:`GuardedBackend`.

    Written against public httpx/httpcore API rather than patching ``httpx.HTTPTransport``'s private pool.
    Per-request policy comes from request extensions: ``EXT_PRIVATE_HOSTS`` and ``EXT_DEADLINE``.
    """

    def __init__(self, resolver: Resolver | None = None, *, verify: bool = True, max_connections: int = 50,
                 keepalive_expiry: float = 5.0):
        self._resolver = resolver or system_resolver
        self._ssl_context = httpx.create_ssl_context(verify=verify)
        self._limits = (max_connections, keepalive_expiry)
        self._pools: dict[frozenset[str], httpcore.ConnectionPool] = {}
        self._pools_lock = threading.Lock()

    def _pool(self, private_hosts: frozenset[str]) -> httpcore.ConnectionPool:
        with self._pools_lock:
            pool = self._pools.get(private_hosts)
            if pool is None:
                max_connections, keepalive_expiry = self._limits
                pool = self._pools[private_hosts] = httpcore.ConnectionPool(
                    ssl_context=self._ssl_context, max_connections=max_connections,
                    max_keepalive_connections=max_connections, keepalive_expiry=keepalive_expiry,
                    network_backend=GuardedBackend(self._resolver, private_hosts))
            return pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        private_hosts = frozenset(request.extensions.get(EXT_PRIVATE_HOSTS) or ())
        deadline = request.extensions.get(EXT_DEADLINE)
        extensions = {k: v for k, v in request.extensions.items() if k not in (EXT_PRIVATE_HOSTS, EXT_DEADLINE)}
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=request.url.raw_scheme, host=request.url.raw_host, port=request.url.port,
                             target=request.url.raw_path),
            headers=request.headers.raw, content=request.stream, extensions=extensions)
        with _deadline(deadline), _mapped():
            response = self._pool(private_hosts).handle_request(core_request)
        return httpx.Response(status_code=response.status, headers=response.headers,
                              stream=_ResponseStream(response.stream, deadline), extensions=response.extensions)

    def close(self) -> None:
        with self._pools_lock:
            pools = list(self._pools.values())
        for pool in pools:
            pool.close()
