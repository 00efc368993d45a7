"""Sign-in and sign-out for editors, the current user, and the ``login_required`` guard editor pages hang on."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from ..store import failures, ratelimit, users
from ..store.models import User, utcnow
from .filters import services

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()  # every form of every audience; initialised by the app factory

BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."
TOO_MANY = "Trop de tentatives de connexion échouées. Patientez quelques minutes avant de réessayer."
UNAVAILABLE = ("La connexion est momentanément impossible (le serveur ne peut pas écrire dans sa base de données). "
               "Réessayez plus tard ou prévenez l'administrateur.")


class LoginForm(FlaskForm):
    email = EmailField("Adresse e-mail", validators=[DataRequired("Saisissez votre adresse e-mail."),
                                                     Length(max=320)],
                       render_kw={"autocomplete": "username", "spellcheck": "false"})
    password = PasswordField("Mot de passe", validators=[DataRequired("Saisissez votre mot de passe."),
                                                         Length(max=1000)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Only carries the CSRF token: signing out is a POST so that a third-party page cannot trigger it."""


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirect to another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return None
    return target


@bp.before_app_request
def load_user() -> None:
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    with services().db.session() as db:
        user = users.get_user(db, user_id)
    if user is None or not user.active or session.get("session_version") != user.session_version:
        session.clear()  # signed out elsewhere (the version moved on), deactivated or deleted
        return
    g.user = user


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:24]


def bind_session(user: User) -> None:
    session["pw"] = _fingerprint(user)
    session.setdefault("auth_at", utcnow().isoformat())


# Session rules. A session is bound to the password it was opened with, so changing or resetting a password signs
# every other session of that account out, and it ends ``session_hours`` after sign-in however active it stays (the
# cookie's own expiry slides with activity).
@bp.before_app_request
def enforce_session() -> None:
    # Registered after load_user, so g.user is already known here.
    user = g.get("user")
    if user is None:
        return
    if "pw" not in session:
        bind_session(user)  # the first request after sign-in
        return
    try:
        started = dt.datetime.fromisoformat(session.get("auth_at", ""))
    except ValueError:
        started = dt.datetime.min
    expired = utcnow() - started > dt.timedelta(hours=services().settings.session_hours)
    if session.get("pw") != _fingerprint(user) or expired:
        session.clear()
        g.user = None


@bp.after_app_request
def bind_new_session(response):
    # Sign-in (auth.login) opens the session; bind it to the password in that same response, so that a
    # password reset between sign-in and the next request still ends it.
    user_id = session.get("user_id")
    if user_id is not None and "pw" not in session:
        with services().db.session() as db:
            user = users.get_user(db, user_id)
        if user is not None:
            bind_session(user)
    return response


@bp.app_context_processor
def _logout_form():
    return {"logout_form": LogoutForm() if g.get("user") is not None else None}


def login_required(view=None, *, role: str = "editor"):
    """Anonymous visitors go to the sign-in page (and come back); signed-in users without ``role`` get a 403.

    Use as ``@login_required`` or ``@login_required(role="admin")``; admin implies editor.
    """
    if role not in users.ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            user = g.get("user")
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not users.role_allows(user.role, role):
                abort(403)
            return fn(*args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def _limit_keys(email: str) -> list[str]:
    """Failed sign-ins are counted per client address and per (account, client address): a client that guesses
    passwords is stopped, and an account under attack from one client stays open to its owner elsewhere.
    ``remote_addr`` is the visitor's address: behind a proxy listed in ``trusted_proxies`` it comes from
    X-Forwarded-For (``proxies.TrustedProxies``), otherwise it is the connection's."""
    client = request.remote_addr or "unknown"
    return [f"login:client:{client}", f"login:account:{email.strip().lower()}:{client}"]


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    if g.get("user") is not None and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or url_for("editors.dashboard"))
    error = None
    status = 200
    if form.validate_on_submit():
        cfg = current_app.config
        limit, window = cfg["LOGIN_RATE_LIMIT"], cfg["LOGIN_RATE_WINDOW"]
        keys = _limit_keys(form.email.data)
        try:
            # Counted before the password is checked, in its own transaction (see store.ratelimit.take).
            with services().db.session() as db:
                allowed = all([ratelimit.take(db, key, limit, window) for key in keys])
            if not allowed:
                error, status = TOO_MANY, 429
            else:
                with services().db.session() as db:
                    user = users.authenticate(db, form.email.data, form.password.data)
                    if user is None:
                        error, status = BAD_CREDENTIALS, 401
                    else:
                        user_id, email, version = user.id, user.email, user.session_version
                        for key in keys:  # a right password does not count against anyone
                            ratelimit.give_back(db, key, window)
        except failures.DatabaseError as exc:
            # A full disk or a locked database must not turn a sign-in into a 500 page.
            current_app.logger.error("sign-in unavailable: %s", failures.describe(exc) or exc)
            error, status = UNAVAILABLE, 503
        if error is None:
            # A fresh session on sign-in: nothing set before authentication survives it (session fixation).
            session.clear()
            session["user_id"] = user_id
            session["session_version"] = version
            session.permanent = True
            current_app.logger.info("sign-in: %s", email)
            flash("Vous êtes connecté.", "success")
            return redirect(safe_next(form.next.data) or url_for("editors.dashboard"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/deconnexion", methods=["POST"])
def logout():
    form = LogoutForm()
    if not form.validate_on_submit():
        abort(400)
    user = g.get("user")
    if user is not None:
        # The cookie is signed, not stored: moving the user's session version on is what makes every copy of
        # it (this browser's, a stolen one) worthless from now on.
        with services().db.session() as db:
            users.end_sessions(db, user.id)
    session.clear()
    flash("Vous êtes déconnecté.", "success")
    return redirect(url_for("search.index"))
