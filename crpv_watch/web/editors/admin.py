"""Admins manage the accounts (create, role, deactivate, reset a password) and read the audit log.

The session rules (bound to the password, ended after ``session_hours``) live in ``web/auth.py``.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from ...store import audit, users
from ...store.models import User
from ..auth import bind_session, login_required
from ..filters import services
from .workspace import user_email

bp = Blueprint("admin", __name__, url_prefix="/editeurs/admin")

ROLE_LABELS = {"editor": "Éditeur ou éditrice", "admin": "Administrateur ou administratrice"}
AUDIT_PAGE = 50


class UserForm(FlaskForm):
    email = EmailField("Adresse e-mail", validators=[DataRequired("Saisissez une adresse e-mail."),
                                                     Email("Adresse e-mail invalide.", check_deliverability=False),
                                                     Length(max=320)], render_kw={"autocomplete": "off"})
    role = SelectField("Rôle", choices=[SelectChoice(k, v) for k, v in ROLE_LABELS.items()], default="editor")
    password = PasswordField("Mot de passe initial",
                             validators=[DataRequired("Saisissez un mot de passe."),
                                         Length(min=users.MIN_PASSWORD_LENGTH, max=1000,
                                                message=f"Au moins {users.MIN_PASSWORD_LENGTH} caractères.")],
                             description=f"Au moins {users.MIN_PASSWORD_LENGTH} caractères ; à transmettre à la "
                                         "personne par un autre canal que l'e-mail.",
                             render_kw={"autocomplete": "new-password"})


class EditUserForm(FlaskForm):
    role = SelectField("Rôle", choices=[SelectChoice(k, v) for k, v in ROLE_LABELS.items()])
    active = BooleanField("Compte actif")
    password = PasswordField("Nouveau mot de passe (réinitialisation)",
                             validators=[Optional(), Length(min=users.MIN_PASSWORD_LENGTH, max=1000,
                                                            message=f"Au moins {users.MIN_PASSWORD_LENGTH} "
                                                                    "caractères.")],
                             description="Laissez vide pour garder le mot de passe actuel. Une réinitialisation "
                                         "déconnecte toutes les sessions de ce compte.",
                             render_kw={"autocomplete": "new-password"})


def _user_state(user: User) -> dict:
    return {"email": user.email, "role": user.role, "active": user.active}


@bp.route("/comptes", methods=["GET", "POST"])
@login_required(role="admin")
def accounts():
    form = UserForm()
    status = 200
    if form.validate_on_submit():
        with services().db.session() as db:
            try:
                user = users.create_user(db, form.email.data, form.password.data, form.role.data)
            except users.UserError as exc:
                form.email.errors.append(str(exc)[0].upper() + str(exc)[1:] + ".")
            else:
                audit.record(db, user_email(), "user.create", user.email, None, _user_state(user))
        if not form.errors:
            flash(f"Compte {form.email.data.strip().lower()} créé.", "success")
            return redirect(url_for("admin.accounts"))
        status = 400
    elif request.method == "POST":
        status = 400
    with services().db.session() as db:
        accounts_list = users.all_users(db)
    return render_template("admin/accounts.html", form=form, accounts=accounts_list, role_labels=ROLE_LABELS), \
        status


@bp.route("/comptes/<int:user_id>", methods=["GET", "POST"])
@login_required(role="admin")
def edit_account(user_id: int):
    with services().db.session() as db:
        user = users.get_user(db, user_id)
        if user is None:
            abort(404)
    form = EditUserForm(obj=user)
    status = 200
    if form.validate_on_submit():
        with services().db.session() as db:
            user = users.get_user(db, user_id)
            before = _user_state(user)
            demoting = user.role == "admin" and (form.role.data != "admin" or not form.active.data)
            if demoting and users.other_active_admins(db, user) == 0:
                form.role.errors.append("Il doit rester au moins un compte administrateur actif.")
            else:
                users.set_role(user, form.role.data)
                user.active = bool(form.active.data)
                after = _user_state(user)
                if form.password.data:
                    users.set_password(user, form.password.data)
                    after["password_reset"] = True
                audit.record(db, user_email(), "user.update", user.email, before, after)
                if form.password.data and user.id == g.user.id:
                    bind_session(user)
        if not form.errors:
            current_app.logger.info("account %s updated by %s", user.email, user_email())
            flash(f"Compte {user.email} mis à jour.", "success")
            return redirect(url_for("admin.accounts"))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("admin/account_edit.html", form=form, account=user, role_labels=ROLE_LABELS), status


@bp.route("/journal")
@login_required(role="admin")
def audit_log():
    page = max(1, request.args.get("page", 1, type=int) or 1)
    action = (request.args.get("action") or "").strip()[:60] or None
    target = (request.args.get("cible") or "").strip()[:2000] or None
    with services().db.session() as db:
        entries = audit.entries(db, action=action, target=target, limit=AUDIT_PAGE + 1,
                                offset=(page - 1) * AUDIT_PAGE)
    return render_template("admin/audit.html", entries=entries[:AUDIT_PAGE], has_more=len(entries) > AUDIT_PAGE,
                           page=page, action=action or "", target=target or "", changes=audit.changes)
