"""An editor who forgot the password gets back in through a one-time link an admin makes (shown and mailed)."""

from __future__ import annotations

import re
from html import unescape
from mailbox import Maildir

from editors_support import ADMIN, EDITOR, login, make_app, make_services, post, token

from crpv_watch.store import users


def test_admin_link_resets_once(tmp_path):
    svc = make_services(tmp_path)
    with svc.db.session() as session:
        editor_id = users.get_user_by_email(session, EDITOR[0]).id
    admin = make_app(svc).test_client()
    login(admin, *ADMIN)
    page = f"/editeurs/admin/comptes/{editor_id}"
    resp = post(admin, f"{page}/lien", page=page, follow_redirects=True)
    html = unescape(resp.get_data(as_text=True))
    link = re.search(r"(http://[^ ]+/mot-de-passe/[^ ]+)\. Il vient aussi", html).group(1)
    box = Maildir(svc.settings.mail_url.removeprefix("maildir://"), create=False)
    texts = [part.get_payload(decode=True).decode() for message in box for part in message.walk()
             if part.get_content_type() == "text/plain"]
    assert len(texts) == 1 and link in texts[0] and "ne sert qu'une fois" in texts[0]

    reader = make_app(svc).test_client()
    path = "/" + link.split("/", 3)[3]
    form = reader.get(path)
    assert form.status_code == 200 and "Choisir un nouveau mot de passe" in form.get_data(as_text=True)
    bad = reader.post(path, data={"new": "court", "confirm": "court", "csrf_token": token(form.get_data(as_text=True))})
    assert bad.status_code == 400 and "Au moins 10 caractères" in bad.get_data(as_text=True)
    done = reader.post(path, data={"new": "nouveau-mot-de-passe", "confirm": "nouveau-mot-de-passe",
                                   "csrf_token": token(form.get_data(as_text=True))})
    assert done.status_code == 302 and done.headers["Location"].endswith("/connexion")
    login(make_app(svc).test_client(), EDITOR[0], "nouveau-mot-de-passe")
    # Spent: the same link no longer works; nor does a tampered one.
    assert reader.get(path).status_code == 400
    assert "n'est plus valable" in reader.get(path[:-3] + "abc").get_data(as_text=True)
    with svc.db.session() as session:
        from crpv_watch.store import audit

        actions = [e.action for e in audit.entries(session)]
    assert "user.reset_link" in actions and "user.password_reset" in actions


def test_only_admins_make_links(tmp_path):
    svc = make_services(tmp_path)
    editor = make_app(svc).test_client()
    login(editor, *EDITOR)
    assert post(editor, "/editeurs/admin/comptes/1/lien").status_code in (302, 403)
