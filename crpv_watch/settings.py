"""One settings object for the whole application.

Values come, in increasing priority, from the defaults below, an optional TOML config file
(``CRPV_WATCH_CONFIG`` or ``--config``) and environment variables ``CRPV_WATCH_<FIELD>`` (upper case).
Secrets (``secret_key``, the password inside ``mail_url``) belong in the environment or the config file,
never in ``sources.yaml``; ``Settings.redacted()`` is what may be logged.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The design card's templates/ sits at the repository root in a checkout; a wheel carries it inside the package.
TEMPLATES_DIR = next((d for d in (Path(__file__).resolve().parent / "templates", PROJECT_ROOT / "templates")
                      if d.is_dir()), PROJECT_ROOT / "templates")
PACKAGE_DATA = Path(__file__).resolve().parent / "data"
ENV_PREFIX = "CRPV_WATCH_"
SEARCH_BACKENDS = ("whoosh", "postgresql")
SECRET_FIELDS = {"secret_key", "mail_url", "database_url", "database_read_url"}
# CRPV_WATCH_… variables that are not settings fields but are read elsewhere (the config file's path, command
# options, the demo's fonts, the tests' resources).
OTHER_ENV = {"CONFIG", "NEW_PASSWORD", "EDITOR", "DEJAVU_DIR", "SHARED", "CHROMIUM"}

log = logging.getLogger(__name__)


class SettingsError(ValueError):
    pass


@dataclass
class Settings:
    # Where all state lives: database, index (index/ by default, as the design card says), mail spool.
    data_dir: Path = PROJECT_ROOT / "var"
    index_dir: Path | None = None  # default: PROJECT_ROOT/index when data_dir is the default, else data_dir/index
    database_url: str | None = None  # default: sqlite:///<data_dir>/crpv-watch.db
    # Read-only web nodes may search a replica; writes (and everything else) use database_url. Default: the same.
    database_read_url: str | None = None
    search_backend: str = "whoosh"  # "whoosh" (embedded, index_dir) or "postgresql" (in database_url's tables)
    sources_path: Path = PROJECT_ROOT / "sources.yaml"
    themes_path: Path = PACKAGE_DATA / "themes.yaml"
    doctypes_path: Path = PACKAGE_DATA / "doctypes.yaml"
    # An editors' file of dc:subject → themes and dc:type → types for OAI-PMH sources, added to the packaged one.
    oai_alignment_path: Path | None = None

    # Web
    base_url: str = "http://127.0.0.1:5000"
    secret_key: str = ""
    # The network's identity, shown in the header, the footer, the mails and the OpenSearch description.
    site_name: str = "crpv-watch"
    site_description: str = "Veille et bonnes pratiques de la politique de la ville"
    site_logo: str = ""  # a PNG or SVG file, served at /logo; empty: the name alone
    publisher_name: str = "Réseau des centres de ressources politique de la ville (démonstration)"
    publisher_address: str = "Adresse à compléter par l'éditeur du service"
    publisher_contact: str = "contact@example.org"
    host_name: str = "Hébergeur à compléter"
    accessibility_status: str = "partiellement conforme"
    results_per_page: int = 10
    oai_page_size: int = 100  # records per OAI-PMH answer before a resumption token
    session_cookie_secure: bool | None = None  # default: on when base_url is https
    session_hours: int = 8
    login_rate_limit: int = 10  # failed logins per address and window
    login_rate_window: int = 900  # seconds
    # Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For / -Proto are believed; the
    # rate limits then count per visitor instead of per proxy. Empty: the headers are ignored. See OPERATIONS.md.
    trusted_proxies: str = ""

    # Crawl
    user_agent: str = "crpv-watch/0.1 (+https://github.com/crpv-watch/crpv-watch; veille des CRPV)"
    contact_url: str = "https://github.com/crpv-watch/crpv-watch"
    crawl_delay: float = 1.0  # seconds between two requests to one host
    retry_base_delay: float = 1.0
    max_retries: int = 2
    retry_after_cap: float = 120.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 120.0
    source_time_budget: float = 1800.0  # seconds one source's crawl may take in all; then it stops and says so
    crawl_pool_size: int = 2  # scheduled crawls started at once by the worker (they then queue for the writer)
    max_html_bytes: int = 5_000_000
    max_pdf_bytes: int = 50_000_000
    max_redirects: int = 5
    max_pages_per_source: int = 500
    max_depth: int = 3
    crawl_concurrency: int = 4  # hosts crawled in parallel
    max_crawl_delay: float = 60.0  # a robots.txt Crawl-delay beyond this postpones the source's crawl
    # Several web nodes (PostgreSQL): a node with a name keeps its own search index in its data directory, fed
    # from its own entries of the database's index queue; "" is the install's main index, written by the worker.
    node_name: str = ""
    writer_lock_timeout: float = 60.0  # seconds a second writing process (crawl, purge…) waits before failing
    pdf_timeout: float = 60.0
    pdf_memory_mb: int = 1024
    pdf_workers: int = 2

    # Digests and mail
    mail_url: str = ""  # default: maildir://<data_dir>/mail
    mail_from: str = "crpv-watch <veille@example.org>"
    digest_max_age_days: int = 30
    timezone: str = "Europe/Paris"
    digest_cron: str = "mon 07:00"  # weekly digests: day and time (Europe/Paris); daily ones at the same time
    digest_send_empty: bool = False  # send a digest even when nothing is new
    digest_max_per_alert: int = 20  # documents listed per alert; the rest is one link to the search
    mail_rate_per_minute: float = 60.0  # throttle of the digest sender
    mail_max_retries: int = 3  # transient (4xx, connection) failures retried in one run before the next run
    mail_retry_delay: float = 5.0  # seconds, doubled at each retry
    mail_max_bounces: int = 3  # consecutive permanent (5xx) failures before an address is no longer mailed
    mail_timeout: float = 30.0
    subscribe_rate_limit: int = 10  # subscribe form posts per client address and hour
    confirm_token_hours: int = 72  # life of the confirmation link
    link_token_days: int = 400  # life of the manage and unsubscribe links of a mail

    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        self.sources_path = Path(self.sources_path)
        if self.index_dir is None:
            default_data = (PROJECT_ROOT / "var").resolve()
            self.index_dir = PROJECT_ROOT / "index" if self.data_dir.resolve() == default_data else self.data_dir / "index"
        self.index_dir = Path(self.index_dir)
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'crpv-watch.db'}"
        if not self.mail_url:
            self.mail_url = f"maildir://{self.data_dir / 'mail'}"
        for item in self.trusted_proxies.replace(",", " ").split():  # a typo must stop the start, not be ignored
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise SettingsError(f"trusted_proxies: {item!r} is not an IP address or network") from None
        if self.search_backend not in SEARCH_BACKENDS:
            raise SettingsError(f"search_backend: {self.search_backend!r} is not one of {', '.join(SEARCH_BACKENDS)}")
        if self.search_backend == "postgresql" and not self.database_url.startswith("postgresql"):
            raise SettingsError("search_backend = \"postgresql\" needs a PostgreSQL database_url")
        if self.search_backend == "postgresql" and self.node_name:
            # Every node reads the index in the database: a node's own index would only be written, never read.
            raise SettingsError("node_name names a web node's own Whoosh index: leave it empty with "
                                "search_backend = \"postgresql\"")

    @property
    def secret(self) -> str:
        """The signing key; generated once and kept in the data directory when none is configured."""
        if self.secret_key:
            return self.secret_key
        key_file = self.data_dir / "secret_key"
        if key_file.exists():
            self.secret_key = key_file.read_text().strip()
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.secret_key = secrets.token_urlsafe(48)
            key_file.write_text(self.secret_key)
            key_file.chmod(0o600)
        return self.secret_key

    @property
    def cookies_secure(self) -> bool:
        """The session cookie's Secure flag: as set, else on exactly when the site is served over https."""
        if self.session_cookie_secure is None:
            return self.base_url.lower().startswith("https://")
        return bool(self.session_cookie_secure)

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.index_dir.mkdir(parents=True, exist_ok=True)

    def redacted(self) -> dict[str, Any]:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = "***" if f.name in SECRET_FIELDS and value else (str(value) if isinstance(value, Path) else value)
        return out

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def load(cls, config_file: str | os.PathLike | None = None, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if env is None else env
        names = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        config_file = config_file or env.get(ENV_PREFIX + "CONFIG")
        if config_file:
            values.update(_read_config(Path(config_file), names))
        for name in names:
            key = ENV_PREFIX + name.upper()
            if key in env:
                values[name] = env[key]
        unknown_env = unknown_variables(env, names)
        if unknown_env:  # a typo must not silently leave the default in force
            log.warning("variable(s) d'environnement inconnue(s), ignorée(s) : %s", ", ".join(unknown_env))
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - set(names)
        if unknown:
            raise SettingsError(f"paramètre(s) inconnu(s) : {', '.join(sorted(unknown))}")
        return cls(**{k: _coerce(names[k], v) for k, v in values.items()})


def unknown_variables(env: dict[str, str], names: dict[str, Any]) -> list[str]:
    """The ``CRPV_WATCH_…`` variables that name neither a setting nor one of the other known variables."""
    known = {ENV_PREFIX + n.upper() for n in names} | {ENV_PREFIX + n for n in OTHER_ENV}
    return sorted(k for k in env if k.startswith(ENV_PREFIX) and k not in known)


def _read_config(path: Path, names: dict[str, Any]) -> dict[str, Any]:
    """The settings of a TOML file: top-level keys, or the ``[crpv_watch]`` table. Any other key is an error."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise SettingsError(f"{path} : fichier de configuration illisible ({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} : TOML invalide ({exc})") from exc
    values = data.get("crpv_watch", data) if isinstance(data.get("crpv_watch"), dict) else data
    unknown = sorted(set(values) - set(names)) + sorted(set(data) - {"crpv_watch"} if values is not data else [])
    if unknown:
        keys = ", ".join(f"« {k} »" for k in unknown)
        raise SettingsError(f"{path} : clé(s) inconnue(s) {keys} (voir la liste des paramètres dans le README)")
    return dict(values)


_KIND_FR = {"int": "nombre entier", "float": "nombre", "bool": "booléen"}


def _coerce(f: dataclasses.Field, value: Any) -> Any:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    if not isinstance(value, str):
        return value
    try:
        if kind.startswith("bool"):
            return value.strip().lower() in {"1", "true", "yes", "on", "oui"}
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except ValueError as exc:
        raise SettingsError(f"paramètre {f.name} : {value!r} n'est pas un {_KIND_FR.get(kind, kind)} valide") from exc
    if kind.startswith("Path"):
        return Path(value)
    return value
