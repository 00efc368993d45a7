"""Issue 13, findings 2, 6 and 9, against gunicorn with four workers behind a (simulated) reverse proxy.

The test plays the proxy: requests come from 127.0.0.1, listed in ``trusted_proxies``, with the visitor's address
in ``X-Forwarded-For``. Limits must count per visitor and per account, across the four processes, atomically;
signing out must end the session for every copy of the cookie; and the access log must never hold a
subscriber's token.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from digest_helpers import add_subscriber
from editors_support import EDITOR
from test_process_models import _stop, free_port, wait_for

from crpv_watch.digest.tokens import Tokens
from crpv_watch.services import Services
from crpv_watch.settings import Settings

VENV_BIN = Path(sys.executable).parent
LIMIT = 10
SUBSCRIBER = "abonnee@example.org"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    gunicorn = VENV_BIN / "gunicorn"
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed (pip install -e '.[prod]')")
    root = tmp_path_factory.mktemp("gunicorn")
    sources = root / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    access_log = root / "access.log"
    env = {**os.environ, "CRPV_WATCH_DATA_DIR": str(root / "data"), "CRPV_WATCH_SOURCES_PATH": str(sources),
           "CRPV_WATCH_SECRET_KEY": "gunicorn-test-secret", "CRPV_WATCH_NEW_PASSWORD": EDITOR[1],
           "CRPV_WATCH_TRUSTED_PROXIES": "127.0.0.1", "CRPV_WATCH_LOGIN_RATE_LIMIT": str(LIMIT),
           "CRPV_WATCH_LOGIN_RATE_WINDOW": str(10 * 365 * 86400),  # fixed windows: no boundary mid-test
           "CRPV_WATCH_SUBSCRIBE_RATE_LIMIT": "3", "CRPV_WATCH_MAIL_URL": f"maildir://{root / 'mail'}"}
    subprocess.run([str(VENV_BIN / "crpv-watch"), "users", "add", EDITOR[0], "--role", "editor"], env=env,
                   check=True, timeout=60, capture_output=True)
    settings = Settings.load(env=env)
    services = Services(settings)
    subscriber_id, _ = add_subscriber(services, SUBSCRIBER, q="jardin")
    services.close()
    port = free_port()
    web = subprocess.Popen([str(gunicorn), "-w", "4", "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5",
                            "--access-logfile", str(access_log), "crpv_watch.wsgi:app"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(base), 60, what="gunicorn up")
        yield {"base": base, "settings": settings, "access_log": access_log, "subscriber_id": subscriber_id}
    finally:
        logs = _stop(web)
    assert "Traceback" not in logs, logs[-3000:]


def _answers(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz", timeout=2).status_code in (200, 503)
    except httpx.HTTPError:
        return False


def visitor(site, address: str) -> httpx.Client:
    """A browser at ``address``, seen through the proxy."""
    return httpx.Client(base_url=site["base"], timeout=30, headers={"X-Forwarded-For": address})


def csrf(http: httpx.Client, path: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', http.get(path).text).group(1)


def sign_in(http: httpx.Client, password: str, token: str | None = None) -> int:
    token = token or csrf(http, "/connexion")
    return http.post("/connexion", data={"email": EDITOR[0], "password": password, "csrf_token": token,
                                          "next": ""}).status_code


def test_a_login_lock_is_per_visitor_and_never_blocks_another_visitors_password(site):
    with visitor(site, "203.0.113.10") as guesser, visitor(site, "198.51.100.20") as owner:
        for _ in range(LIMIT):
            assert sign_in(guesser, "mauvais-mot-de-passe") == 401
        assert sign_in(guesser, "mauvais-mot-de-passe") == 429
        assert sign_in(guesser, EDITOR[1]) == 429  # locked: not even the right password is checked
        assert sign_in(owner, EDITOR[1]) == 302  # the account's owner, elsewhere, signs in


def test_parallel_attempts_never_exceed_the_limit_across_workers(site):
    with visitor(site, "192.0.2.30") as http:
        token = csrf(http, "/connexion")
        cookies = dict(http.cookies)

    def attempt(_n: int) -> int:
        with visitor(site, "192.0.2.30") as client:
            client.cookies.update(cookies)
            return sign_in(client, "mauvais-mot-de-passe", token)

    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(attempt, range(60)))
    checked = statuses.count(401)  # a 401 is a password that was actually checked
    assert checked <= LIMIT and statuses.count(429) == 60 - checked, statuses
    assert 500 not in statuses


def test_subscription_limit_is_per_visitor(site):
    def subscribe(address: str, n: int) -> int:
        with visitor(site, address) as http:
            token = csrf(http, "/abonnement")
            return http.post("/abonnement", data={"csrf_token": token, "email": f"lecteur{n}@example.org",
                                                  "q": "jardin", "frequency": "weekly"}).status_code

    assert [subscribe("203.0.113.40", n) for n in range(4)] == [302, 302, 302, 429]
    assert subscribe("198.51.100.41", 9) == 302  # another visitor is not held by the first one's limit


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(site):
    with visitor(site, "198.51.100.50") as http:
        assert sign_in(http, EDITOR[1]) == 302
        stolen = dict(http.cookies)
        assert http.get("/editeurs/").status_code == 200
        assert http.post("/deconnexion", data={"csrf_token": csrf(http, "/editeurs/")}).status_code == 302
    with visitor(site, "198.51.100.51") as thief:
        thief.cookies.update(stolen)
        resp = thief.get("/editeurs/")
        assert resp.status_code == 302 and resp.headers["location"].startswith("/connexion")


def test_subscriber_tokens_never_reach_the_access_log(site):
    tokens = Tokens.from_settings(site["settings"])
    manage = tokens.make("manage", site["subscriber_id"], SUBSCRIBER)
    leave = tokens.make("unsubscribe", site["subscriber_id"], SUBSCRIBER)
    with visitor(site, "198.51.100.60") as http:
        page = http.get(f"/abonnement/gerer/{manage}")
        assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
        assert http.get(f"/abonnement/desinscription/{leave}").status_code == 200
        # a browser that ignored the policy would still send the page as Referer with the next request
        http.get("/static/style.css", headers={"Referer": f"{site['base']}/abonnement/gerer/{manage}"})
    log = wait_for(lambda: (text := site["access_log"].read_text(encoding="utf-8")).count("[jeton-masque]") >= 3
                   and text, 10, what="the access log lines")
    assert manage not in log and leave not in log
    assert "/abonnement/gerer/[jeton-masque]" in log and "/abonnement/desinscription/[jeton-masque]" in log
