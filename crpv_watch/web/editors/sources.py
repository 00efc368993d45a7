"""Sources: the list with each source's health, the add / edit form with its "Tester", enable / disable.

Saving rewrites the sources file the process was started with (``sources_write``: round-trip, validated exactly
as ``crpv-watch sources validate``, atomic, previous version kept as ``.bak``); the crawling process picks the
new schedule up from the file's stamp. A URL whose host is a private address is refused unless an admin lists that
host in the source's private hosts (the crawler's SSRF guard then lets that host, and only it, through); once a
source has private hosts, only an admin may change its URLs, in the form and the Tester alike.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from ...crawl import ssrf
from ...sources.load import Source, SourcesError, url_problem
from ...sources.tester import run_tester
from ...sources.write import (
    ConflictError,
    UnknownSourceError,
    file_stamp,
    refresh_if_changed,
    remember_stamp,
    save_source,
    set_enabled,
    source_values,
)
from ...store import audit, workspace
from ...store.models import utcnow
from ...tagging.yamlcheck import os_reason
from ...worker.scheduler import trigger_for
from ..auth import login_required
from ..filters import services
from .source_form import SourceForm, form_values, lines
from .workspace import ActionForm, is_admin, user_email

bp = Blueprint("editors_sources", __name__, url_prefix="/editeurs/sources")

FAILING_AFTER = 2  # failed runs in a row before a source is flagged


@bp.before_app_request
def _follow_sources_file() -> None:
    # Another gunicorn worker (or an editor's hand) may have rewritten the file: every page sees the new one.
    try:
        refresh_if_changed(services())
    except Exception:
        current_app.logger.exception("could not check the sources file")


def resolver():
    return current_app.config.get("CRPV_RESOLVER") or ssrf.system_resolver


def next_run(source: Source):
    if not source.enabled:
        return None
    tz = services().settings.timezone
    try:
        return trigger_for(source.schedule, source.id, tz).get_next_fire_time(None, utcnow().astimezone())
    except Exception:
        return None


@bp.route("/")
@login_required
def index():
    svc = services()
    try:
        sources = list(svc.sources)
        problem = None
    except SourcesError as exc:
        sources, problem = [], _problem_list(exc)
    except OSError as exc:
        sources, problem = [], {"summary": "", "lines": [f"{exc.filename or svc.settings.sources_path} : "
                                                         f"{os_reason(exc)}"]}
    with svc.db.session() as db:
        health = workspace.source_health(db, [s.id for s in sources], error_limit=3)
    rows = [{"source": s, "health": health[s.id], "next_run": next_run(s),
             "failing": health[s.id].failures_in_a_row >= FAILING_AFTER} for s in sources]
    # Sources in trouble first: that is what the page is for.
    rows.sort(key=lambda r: (not r["failing"], not r["health"].last_failed, not r["source"].enabled,
                             r["source"].name.lower()))
    return render_template("editors/sources.html", rows=rows, problem=problem,
                           failing=sum(1 for r in rows if r["failing"]), failing_after=FAILING_AFTER)


def _problem_list(exc: SourcesError) -> dict:
    count = len(exc.problems)
    return {"summary": f"{count} problème{'s' if count > 1 else ''} dans {exc.path} :",
            "lines": [str(p) for p in exc.problems]}


def _source_or_404(source_id: str) -> Source:
    try:
        source = services().source(source_id)
    except (SourcesError, OSError):
        source = None
    if source is None:
        abort(404)
    return source


@bp.route("/<source_id>")
@login_required
def show(source_id: str):
    source = _source_or_404(source_id)
    with services().db.session() as db:
        health = workspace.source_health(db, [source.id], error_limit=200)[source.id]
        history = [r for r in workspace.runs_page(db, limit=30) if any(s.source_id == source.id for s in r.sources)]
        entries = audit.entries(db, target=source.id, limit=10)
    return render_template("editors/source.html", source=source, health=health, next_run=next_run(source),
                           history=history[:10], entries=entries, failing=health.failures_in_a_row >= FAILING_AFTER,
                           changes=audit.changes)


ADMIN_ONLY_URLS = ("Cette source peut joindre des hôtes du réseau privé : seul un administrateur peut modifier ses "
                   "adresses (page d'accueil, flux, pages de liste), pour les tester comme pour les enregistrer.")


def _check_network(form: SourceForm, private_hosts: list[str]) -> None:
    """Refuses hosts that resolve to private addresses unless an admin listed them in the source's private hosts."""
    allowed = frozenset(ssrf.normalize_host(h) for h in private_hosts)
    for field in (form.homepage, form.feeds, form.start_urls):
        urls = lines(field.data) if field is not form.homepage else [field.data or ""]
        for url in urls:
            if not url or url_problem(url):
                continue
            host = urlsplit(url).hostname or ""
            try:
                ssrf.check_host(host, resolver(), allowed)
            except ssrf.AddressRefused as exc:
                hint = ("jamais autorisée, même pour un hôte du réseau privé" if ssrf.normalize_host(host) in allowed
                        else "seul un administrateur peut ajouter cet hôte aux hôtes du réseau privé de la source")
                field.errors.append(f"{url} : l'adresse {exc.ip} est une adresse {_reason_fr(exc.reason)}, refusée "
                                    f"({hint}).")
            except ssrf.ResolutionFailed:
                pass  # a name that does not resolve today is the Tester's business, not a reason to refuse


def _reason_fr(reason: str) -> str:
    return {"loopback": "locale (boucle)", "private": "privée", "link-local": "lien-local",
            "unspecified": "non spécifiée", "multicast": "multicast", "reserved": "réservée",
            "non-global": "non publique"}.get(reason, "non publique")


def _apply_problems(form: SourceForm, exc: SourcesError, source_id: str) -> list[str]:
    """Puts each validation problem next to its field; returns the ones that belong to no field."""
    general = []
    for p in exc.problems:
        field = getattr(form, p.field, None) if p.owner in (source_id, "") or p.owner.startswith("#") else None
        if field is not None and p.field in SourceForm.SOURCE_FIELDS:
            field.errors.append(p.message)
        else:
            general.append(str(p))
    return general


def _edit(source: Source | None):
    svc = services()
    admin = is_admin()
    form = SourceForm(vocabulary=svc.vocabulary, source=source, admin=admin)
    path = svc.settings.sources_path
    report, general, status = None, [], 200
    if request.method == "GET":
        form.stamp.data = file_stamp(path)
    elif form.test.data and request.method == "POST":
        # « Tester » needs a homepage and nothing else: the rest of the form may still be empty or unfinished.
        report = _test_only(form, svc, source, admin)
        if report is None:
            status = 400
    elif form.validate_on_submit():
        values = form_values(form, source, admin)
        if form.url_change_needs_admin():
            form.homepage.errors.append(ADMIN_ONLY_URLS)
        _check_network(form, values["private_hosts"])
        if not any(f.errors for f in form):
            candidate = Source(**values)
            if form.test.data:
                report = run_tester(svc.settings, candidate, resolver=current_app.config.get("CRPV_RESOLVER"),
                                    label_of=svc.label)
            else:
                try:
                    save_source(path, values, original_id=source.id if source else None,
                                expected_stamp=form.stamp.data or None, themes_path=svc.settings.themes_path)
                except ConflictError:
                    general.append("Le fichier des sources a été modifié entre-temps (par une autre personne ?). "
                                   "Rechargez la page pour repartir de la version actuelle.")
                except UnknownSourceError:
                    abort(404)
                except SourcesError as exc:
                    general = _apply_problems(form, exc, values["id"])
                else:
                    svc.reload_sources()
                    remember_stamp(svc)
                    with svc.db.session() as db:
                        audit.record(db, user_email(), "source.update" if source else "source.create",
                                     values["id"], source_values(source) if source else None, values)
                    flash(f"Source « {values['name']} » enregistrée dans {path.name}. La planification est mise à "
                          "jour sans redémarrage.", "success")
                    return redirect(url_for("editors_sources.show", source_id=values["id"]))
        if any(f.errors for f in form) or general:
            status = 400
    elif request.method == "POST":
        status = 400
    return render_template("editors/source_form.html", form=form, source=source, report=report, general=general,
                           admin=admin), status


def _test_only(form: SourceForm, svc, source: Source | None, admin: bool):
    """The Tester's report for the form as it is, or None (with the field's errors) when the homepage is unusable."""
    if not form.csrf_token.validate(form) or not form.homepage.validate(form, extra_validators=[]):
        return None
    for name, field in form._fields.items():
        if name not in ("homepage", "csrf_token"):
            field.errors = []
        if field.data is None and field.type in ("StringField", "TextAreaField"):
            field.data = ""  # a field the request left out reads as empty
    for name in ("feeds", "start_urls", "include", "exclude"):
        getattr(form, name).validate(form)  # what the Tester would fetch or follow must be valid (RE2 patterns)
    values = form_values(form, source, admin)
    values["id"] = values["id"] or "essai"
    values["name"] = values["name"] or values["homepage"]
    if form.url_change_needs_admin():
        form.homepage.errors.append(ADMIN_ONLY_URLS)
    _check_network(form, values["private_hosts"])
    if any(f.errors for f in form):
        return None
    try:
        candidate = Source(**values)
    except (TypeError, ValueError):
        form.homepage.errors.append("Cette adresse ne peut pas être testée.")
        return None
    return run_tester(svc.settings, candidate, resolver=current_app.config.get("CRPV_RESOLVER"), label_of=svc.label)


@bp.route("/nouvelle", methods=["GET", "POST"])
@login_required
def create():
    return _edit(None)


@bp.route("/<source_id>/modifier", methods=["GET", "POST"])
@login_required
def edit(source_id: str):
    return _edit(_source_or_404(source_id))


@bp.route("/<source_id>/activation", methods=["POST"])
@login_required
def toggle(source_id: str):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    source = _source_or_404(source_id)
    enabled = request.form.get("enabled") == "1"
    svc = services()
    if enabled and not source.feeds and not source.start_urls:
        flash("Impossible d'activer une source sans flux ni page de liste : modifiez-la d'abord.", "error")
        return redirect(url_for("editors_sources.show", source_id=source_id))
    try:
        set_enabled(svc.settings.sources_path, source_id, enabled, themes_path=svc.settings.themes_path)
    except SourcesError as exc:
        flash(f"Le fichier des sources n'a pas été modifié : {exc}", "error")
        return redirect(url_for("editors_sources.show", source_id=source_id))
    svc.reload_sources()
    remember_stamp(svc)
    with svc.db.session() as db:
        audit.record(db, g.user.email, "source.enable" if enabled else "source.disable", source_id,
                     {"enabled": source.enabled}, {"enabled": enabled})
    flash(f"Source {'activée' if enabled else 'désactivée'}.", "success")
    return redirect(url_for("editors_sources.show", source_id=source_id))
