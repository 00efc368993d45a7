"""The editors' area: the overview dashboard, the own-password form, and helpers the workspace blueprints share.

The workspace is split by concern: sources (``editors_sources``), crawls (``editors_crawl``), documents and
curation (``editors_documents``), accounts and the audit log (``admin``). Every route hangs on
``login_required``; every state change is a POST with a CSRF token and leaves an audit entry.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ...store import audit, repo, subscription_stats, users, workspace
from ..auth import bind_session, login_required
from ..filters import services

bp = Blueprint("editors", __name__, url_prefix="/editeurs")


class ActionForm(FlaskForm):
    """Carries only the CSRF token: the buttons of one-click actions (hide, feature, run now…)."""


def user_email() -> str:
    user = g.get("user")
    return user.email if user is not None else ""


def is_admin() -> bool:
    user = g.get("user")
    return user is not None and users.role_allows(user.role, "admin")


def optional_url(*endpoints: str, **values) -> str | None:
    """The URL of the first endpoint that exists: links to parts built by colleagues (digest preview, tag
    override form) appear as soon as they are there, and never break a page before."""
    for endpoint in endpoints:
        if endpoint in current_app.view_functions:
            try:
                return url_for(endpoint, **values)
            except BuildError:
                continue
    return None


@bp.app_context_processor
def _workspace_globals():
    return {"action_form": ActionForm, "is_admin": is_admin, "optional_url": optional_url}


def _subscribers_by_theme(db) -> dict[str, int] | None:
    try:
        return subscription_stats.subscribers_by_theme(db)
    except Exception:  # a panel of the dashboard, not a reason to lose the whole page
        current_app.logger.exception("subscribers per theme unavailable")
        return None


def _last_digests(db) -> list | None:
    try:
        return subscription_stats.last_sent_digests(db)
    except Exception:
        current_app.logger.exception("digests unavailable")
        return None


@bp.route("/")
@login_required
def dashboard():
    svc = services()
    with svc.db.session() as db:
        searchable = repo.count_searchable(db)
        accounts = users.count_users(db)
        runs = workspace.runs_page(db, limit=5)
        overview = workspace.overview(db)
        review_total, _ = workspace.review_queue(db, limit=0)
        subscribers = _subscribers_by_theme(db)
        digests = _last_digests(db)
        activity = workspace.activity(db)
    try:
        sources = svc.sources
    except Exception:  # a missing or broken sources.yaml is shown, not fatal
        current_app.logger.exception("sources unavailable")
        sources = None
    try:
        indexed = svc.engine.count()
    except Exception:
        current_app.logger.exception("index unavailable")
        indexed = None
    return render_template("editors/dashboard.html", searchable=searchable, indexed=indexed,
                           sources=len(sources) if sources is not None else None, accounts=accounts,
                           last_run=runs[0] if runs else None, runs=runs, overview=overview,
                           review_total=review_total, subscribers=subscribers, digests=digests,
                           charts=_activity_charts(activity))


def _activity_charts(activity: dict) -> dict:
    """Small multiples of documents found per month for each source, and the errors per source as bars."""
    from ...charts import columns

    months = columns.month_span(dt.date.today(), 12)
    label = services().label
    top = columns.nice_ceiling(max([n for c in activity["found"].values() for n in c.values()] + [1]))
    found = [{"source": source, "label": label("centre", source), "total": sum(counts.values()),
              "svg": columns.render(months, counts, title=f"{label('centre', source)} : documents trouvés par mois",
                                    desc=f"{sum(counts.values())} documents trouvés sur douze mois.",
                                    dom_id=f"found-{i}", width=360, height=140, top=top)}
             for i, (source, counts) in enumerate(sorted(activity["found"].items(),
                                                          key=lambda kv: -sum(kv[1].values())))]
    table = [{"month": columns.month_label(m), "counts": [activity["found"][f["source"]].get(m, 0) for f in found]}
             for m in months]
    most = max(list(activity["errors"].values()) + [1])
    errors = [{"source": s, "label": label("centre", s), "count": n, "share": round(100 * n / most),
               "href": url_for("editors_sources.show", source_id=s)} for s, n in activity["errors"].items()]
    return {"found": found, "table": table, "errors": errors, "since": activity["since"]}


class NewPasswordForm(FlaskForm):
    """A new password typed twice (the account page, the one-time reset link)."""

    new = PasswordField("Nouveau mot de passe",
                        validators=[DataRequired("Saisissez un nouveau mot de passe."),
                                    Length(min=users.MIN_PASSWORD_LENGTH, max=1000,
                                           message=f"Au moins {users.MIN_PASSWORD_LENGTH} caractères.")],
                        description=f"Au moins {users.MIN_PASSWORD_LENGTH} caractères.",
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Confirmez le nouveau mot de passe",
                            validators=[DataRequired("Saisissez à nouveau le nouveau mot de passe."),
                                        EqualTo("new", "Les deux mots de passe ne sont pas identiques.")],
                            render_kw={"autocomplete": "new-password"})


class PasswordForm(NewPasswordForm):
    current = PasswordField("Mot de passe actuel", validators=[DataRequired("Saisissez votre mot de passe actuel."),
                                                               Length(max=1000)],
                            render_kw={"autocomplete": "current-password"})


@bp.route("/compte", methods=["GET", "POST"])
@login_required
def account():
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        with services().db.session() as db:
            user = users.get_user(db, g.user.id)
            if not users.verify_password(user.password_hash, form.current.data):
                form.current.errors.append("Mot de passe actuel incorrect.")
            else:
                users.set_password(user, form.new.data)
                audit.record(db, user.email, "user.password_change", user.email)
        if not form.current.errors:
            bind_session(user)  # this session stays valid; the others were signed out by the change
            flash("Votre mot de passe a été modifié.", "success")
            return redirect(url_for("editors.account"))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("editors/account.html", form=form), status
