"""Accounts: admins create and manage them; passwords are changed and reset; the audit log records it all."""

from __future__ import annotations

from html import unescape

import pytest
from editors_support import ADMIN, EDITOR, login, make_app, make_services, post

from crpv_watch.store import audit, users
from crpv_watch.store.models import AuditLog

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)


@pytest.fixture
def svc(tmp_path):
    svc = make_services(tmp_path)
    yield svc
    svc.close()


@pytest.fixture
def admin(svc):
    client = make_app(svc).test_client()
    login(client, *ADMIN)
    return client


def user_id(svc, email):
    with svc.db.session() as session:
        return users.get_user_by_email(session, email).id


def test_admin_creates_an_editor_who_can_sign_in(admin, svc):
    resp = post(admin, "/editeurs/admin/comptes", {"email": "Nouvelle@Example.org", "role": "editor",
                                                   "password": "un-bon-mot-de-passe"})
    assert resp.status_code == 302
    other = make_app(svc).test_client()
    login(other, "nouvelle@example.org", "un-bon-mot-de-passe")
    assert other.get("/editeurs/").status_code == 200
    with svc.db.session() as session:
        entry = session.query(AuditLog).filter_by(action="user.create").one()
        assert entry.user_email == ADMIN[0] and entry.after == {"email": "nouvelle@example.org", "role": "editor",
                                                                "active": True}
    html = unescape(admin.get("/editeurs/admin/journal").get_data(as_text=True))
    assert "user.create" in html and "nouvelle@example.org" in html


def test_account_form_errors(admin):
    for data, field, message in (
            ({"email": "pas-une-adresse", "role": "editor", "password": "x" * 12}, "email", "invalide"),
            ({"email": "a@example.org", "role": "editor", "password": "court"}, "password", "10 caractères"),
            ({"email": "a@example.org", "role": "dieu", "password": "x" * 12}, "role", ""),
            ({"email": EDITOR[0], "role": "editor", "password": "x" * 12}, "email", "existe déjà")):
        resp = post(admin, "/editeurs/admin/comptes", data)
        html = unescape(resp.get_data(as_text=True))
        assert resp.status_code == 400, data
        assert f'id="{field}-error"' in html and message in html, data


def test_deactivate_and_role_change(admin, svc):
    editor = make_app(svc).test_client()
    login(editor, *EDITOR)
    uid = user_id(svc, EDITOR[0])
    resp = post(admin, f"/editeurs/admin/comptes/{uid}", {"role": "editor"})  # active unticked
    assert resp.status_code == 302
    assert editor.get("/editeurs/").status_code == 302  # signed out at once
    post(admin, f"/editeurs/admin/comptes/{uid}", {"role": "admin", "active": "y"})
    login(editor, *EDITOR)
    assert editor.get("/editeurs/admin/comptes").status_code == 200
    with svc.db.session() as session:
        changes = [audit.changes(e.before, e.after) for e in session.query(AuditLog).filter_by(action="user.update")]
        assert [("active", True, False)] in changes and [("role", "editor", "admin"), ("active", False, True)] in changes


def test_the_last_admin_cannot_be_removed(admin, svc):
    resp = post(admin, f"/editeurs/admin/comptes/{user_id(svc, ADMIN[0])}", {"role": "editor", "active": "y"})
    assert resp.status_code == 400 and "au moins un compte administrateur" in unescape(resp.get_data(as_text=True))


def test_password_change_by_the_user(svc):
    client, other = make_app(svc).test_client(), make_app(svc).test_client()
    login(client, *EDITOR)
    login(other, *EDITOR)
    resp = post(client, "/editeurs/compte", {"current": "faux-mot-de-passe", "new": "n" * 12, "confirm": "n" * 12},
                page="/editeurs/compte")
    assert resp.status_code == 400 and "incorrect" in unescape(resp.get_data(as_text=True))
    resp = post(client, "/editeurs/compte", {"current": EDITOR[1], "new": "n" * 12, "confirm": "m" * 12},
                page="/editeurs/compte")
    assert resp.status_code == 400 and "pas identiques" in unescape(resp.get_data(as_text=True))
    resp = post(client, "/editeurs/compte", {"current": EDITOR[1], "new": "n" * 12, "confirm": "n" * 12},
                page="/editeurs/compte")
    assert resp.status_code == 302
    assert client.get("/editeurs/").status_code == 200  # this session stays
    assert other.get("/editeurs/").status_code == 302  # the other one is signed out
    with svc.db.session() as session:
        entry = session.query(AuditLog).filter_by(action="user.password_change").one()
        assert entry.before is None and entry.after is None  # no secret in the log


def test_audit_record_masks_secrets(svc):
    with svc.db.session() as session:
        entry = audit.record(session, "a@example.org", "test", "x", {"password": "secret", "n": 1},
                             {"nested": {"password_hash": "h"}})
        assert entry.before == {"password": "***", "n": 1} and entry.after == {"nested": {"password_hash": "***"}}
