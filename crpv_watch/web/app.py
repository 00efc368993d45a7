"""The Flask application factory: configuration from the one Settings object, security headers, error pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask, current_app, g, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..services import Services
from ..settings import TEMPLATES_DIR, Settings
from . import filters, log_redaction
from .auth import csrf
from .errors import CSRF_MESSAGE, error_response
from .proxies import TrustedProxies

STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATE_DIR = TEMPLATES_DIR

# No inline scripts or styles anywhere: the only script is static/search.js.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")

def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    if services is not None and settings is None:
        settings = services.settings
    settings = settings or Settings.load()
    services = services or Services(settings)

    app = Flask(__name__, template_folder=str(TEMPLATE_DIR), static_folder=str(STATIC_DIR),
                static_url_path="/static")
    app.config.update(
        SECRET_KEY=settings.secret,
        SESSION_COOKIE_NAME="crpv_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookies_secure,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_hours),
        MAX_CONTENT_LENGTH=1_000_000,
        WTF_CSRF_TIME_LIMIT=4 * 3600,
        # Failed sign-ins allowed per client address (and per account from one address) and window (seconds).
        LOGIN_RATE_LIMIT=settings.login_rate_limit,
        LOGIN_RATE_WINDOW=settings.login_rate_window,
        RESULTS_PER_PAGE=settings.results_per_page,
    )
    app.json.sort_keys = False  # keep SearchResponse.to_json()'s order
    app.json.ensure_ascii = False
    app.extensions["crpv_watch"] = services
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    app.wsgi_app = TrustedProxies(app.wsgi_app, settings.trusted_proxies)
    log_redaction.install()
    csrf.init_app(app)
    filters.register(app)
    _register_blueprints(app)
    _register_errors(app)
    app.after_request(_security_headers)

    @app.context_processor
    def _globals():
        return {"settings": settings, "current_user": g.get("user"), "static_url": _static_url}

    if settings.node_name:  # a web node with its own index, fed from the database (several nodes)
        from ..indexing.node import start_for

        start_for(services)
    return app


def _register_blueprints(app: Flask) -> None:
    from . import auth
    from .api import routes as api
    from .editors import curation
    from .editors import workspace as editors
    from .public import exports, feeds, oai, pages, search  # noqa: F401  (feeds, exports, oai add routes to it)

    app.register_blueprint(search.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(editors.bp)
    app.register_blueprint(curation.bp)
    from . import health
    from .editors import admin
    from .editors import crawl as editors_crawl
    from .editors import documents as editors_documents
    from .editors import index as editors_index
    from .editors import sources as editors_sources
    from .editors import tagging as editors_tagging  # /editeurs/etiquetage: rules or model, « Réentraîner »

    app.register_blueprint(admin.bp)  # after auth: its session check needs the loaded user
    app.register_blueprint(editors_sources.bp)
    app.register_blueprint(editors_documents.bp)
    app.register_blueprint(editors_crawl.bp)
    app.register_blueprint(editors_index.bp)  # /editeurs/index: the search index and its rebuild, admins only
    app.register_blueprint(editors_tagging.bp)
    app.register_blueprint(health.bp)
    from .public import subscriptions  # noqa: E402  (alert digests: /abonnement, /editeurs/digests)
    subscriptions.register(app)
    from .editors import queries as editors_queries  # noqa: E402  (/editeurs/requetes: queries with zero or few results)
    app.register_blueprint(editors_queries.bp)
    from .public import panorama  # noqa: E402  (/panorama: the map and charts)
    app.register_blueprint(panorama.bp)
    from .editors import password_reset  # noqa: E402  (one-time reset links made by admins)
    app.register_blueprint(password_reset.bp)
    from .editors import dossiers as editors_dossiers
    from .public import dossiers

    app.register_blueprint(dossiers.bp)  # /dossiers: published « dossiers documentaires »
    app.register_blueprint(editors_dossiers.bp)


def _static_url(filename: str) -> str:
    # A version stamp from the file's mtime lets browsers cache static files for long without going stale.
    try:
        version = int((STATIC_DIR / filename).stat().st_mtime)
    except OSError:
        version = 0
    return url_for("static", filename=filename, v=version)


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=(), interest-cohort=()")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if log_redaction.TOKEN_PATH.search(request.path):
        headers["Referrer-Policy"] = "no-referrer"  # the token must not travel in the next request's Referer
        headers["Cache-Control"] = "no-store"
    if g.get("user") is not None or request.path.startswith(("/editeurs", "/connexion")):
        # Pages shown to a signed-in editor must not linger in shared caches or the back-forward cache.
        headers["Cache-Control"] = "no-store"
    return response


def _register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_exc):
        return error_response(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        return error_response(exc.code)

    @app.errorhandler(500)
    def _server_error(_exc):
        return error_response(500)
