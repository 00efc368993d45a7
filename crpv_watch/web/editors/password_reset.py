"""Password reset pages: an admin makes a one-time link for an account (shown, and mailed), the editor opens it and
chooses a new password (reset_tokens.py holds the tokens)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from ...store import audit, users
from ..auth import login_required
from ..filters import services
from . import reset_tokens as password_reset
from .workspace import NewPasswordForm, user_email

bp = Blueprint("password_reset", __name__)


@bp.route("/editeurs/admin/comptes/<int:user_id>/lien", methods=["POST"])
@login_required(role="admin")
def make_link(user_id: int):
    svc = services()
    with svc.db.session() as db:
        user = users.get_user(db, user_id)
        if user is None:
            abort(404)
        url = password_reset.reset_url(svc.settings, password_reset.make_token(svc.settings.secret, user))
        audit.record(db, user_email(), "user.reset_link", user.email)
        email = user.email
    try:
        password_reset.send_link(svc.settings, email, url)
        sent = " Il vient aussi de lui être envoyé par e-mail."
    except Exception:  # the link on screen still works: the admin can pass it on another way
        current_app.logger.exception("reset link mail to %s failed", email)
        sent = " L'envoi par e-mail a échoué : transmettez-le autrement."
    flash(f"Lien de réinitialisation pour {email} (valable 24 heures, à usage unique) : {url}.{sent}", "success")
    return redirect(url_for("admin.edit_account", user_id=user_id))


@bp.route("/mot-de-passe/<token>", methods=["GET", "POST"])
def choose(token: str):
    svc = services()
    found = password_reset.read_token(svc.settings.secret, token)
    with svc.db.session() as db:
        user = users.get_user(db, found[0]) if found else None
        valid = found is not None and password_reset.still_valid(user, found[1])
    if not valid:
        return render_template("auth/reset.html", form=None), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        with svc.db.session() as db:
            user = users.get_user(db, found[0])
            if not password_reset.still_valid(user, found[1]):  # used meanwhile, in another tab
                return render_template("auth/reset.html", form=None), 400
            users.set_password(user, form.new.data)
            audit.record(db, user.email, "user.password_reset", user.email)
        flash("Mot de passe enregistré : connectez-vous avec le nouveau.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), 400 if form.errors else 200
