"""Logging in: sessions (cookie flags, CSRF, idle logout, password change), Basic and tokens."""

from __future__ import annotations

import re
import time
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from webkit import ADMIN_PASSWORD, login, make_app

from agent.auth import SESSION_COOKIE, SessionData, sign_session, unsign_session
from store import session_scope, users


def _put(client: TestClient, value: str) -> None:
    """Replace the session cookie (set() alone would add a second one for another domain)."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, value)


def _login_token(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert found is not None
    return found.group(1)


def test_login_sets_a_strict_httponly_cookie_and_logout_ends_it(client: TestClient) -> None:
    token = _login_token(client)
    response = client.post(
        "/login",
        data={"username": "admin", "password": ADMIN_PASSWORD, "csrf": token, "next": "/alerts"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/alerts"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    assert "Secure" not in cookie  # plain-HTTP localhost default
    assert client.get("/").status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
    assert csrf is not None
    assert client.post("/logout", data={"csrf": csrf.group(1)}).status_code == 303
    assert client.get("/").status_code == 303


def test_secure_cookie_when_public_url_is_https(tmp_path: Path) -> None:
    app = make_app(tmp_path, public_url="https://anbu.example.org")
    client = TestClient(app, follow_redirects=False)
    token = _login_token(client)
    response = client.post(
        "/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf": token}
    )
    assert all("Secure" in c for c in response.headers.get_list("set-cookie"))


def test_wrong_password_and_forged_login_form_are_refused(client: TestClient) -> None:
    token = _login_token(client)
    bad = client.post("/login", data={"username": "admin", "password": "nope", "csrf": token})
    assert bad.status_code == 401 and "Wrong user name or password" in bad.text
    client.cookies.clear()
    forged = client.post(
        "/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf": "guess"}
    )
    assert forged.status_code == 400
    assert client.get("/").status_code == 303


def test_next_never_leaves_the_site(client: TestClient) -> None:
    token = _login_token(client)
    response = client.post(
        "/login",
        data={
            "username": "admin",
            "password": ADMIN_PASSWORD,
            "csrf": token,
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/"


def test_idle_session_is_logged_out_and_active_one_refreshed(
    app: FastAPI, client: TestClient
) -> None:
    login(client)
    config = app.state.auth
    current = unsign_session(config, client.cookies[SESSION_COOKIE])
    assert current is not None
    stale = SessionData(
        current.user, current.csrf, int(time.time()) - config.idle_seconds - 5, current.fp
    )
    _put(client, sign_session(config, stale))
    assert client.get("/").status_code == 303
    recent = SessionData(current.user, current.csrf, int(time.time()) - 120, current.fp)
    _put(client, sign_session(config, recent))
    response = client.get("/")
    assert response.status_code == 200
    renewed = [c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)]
    assert renewed and "HttpOnly" in renewed[0]


def test_tampered_cookie_and_password_change_end_the_session(
    app: FastAPI, client: TestClient
) -> None:
    login(client)
    value = client.cookies[SESSION_COOKIE]
    _put(client, value[:-2] + ("00" if value[-2:] != "00" else "11"))
    assert client.get("/").status_code == 303
    _put(client, value)
    assert client.get("/").status_code == 200
    with session_scope(app.state.runtime.db) as s:
        users.set_password(s, "admin", "a-new-password")
    assert client.get("/").status_code == 303


def test_page_writes_need_the_csrf_token(admin: TestClient) -> None:
    assert admin.post("/people/1/notes", data={"notes": "x"}).status_code == 403
    assert admin.post("/logout").status_code == 403


def test_api_basic_and_bearer(app: FastAPI, client: TestClient) -> None:
    assert client.get("/api/me", auth=("admin", ADMIN_PASSWORD)).json()["role"] == "admin"
    assert client.get("/api/me", auth=("admin", "wrong")).status_code == 401
    with session_scope(app.state.runtime.db) as s:
        users.create_user(s, "maria", "maria-pass-1")
        token = users.issue_api_token(s, "maria")
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json() == {"username": "maria", "role": "operator"}
    bad = client.get("/api/me", headers={"Authorization": "Bearer anbu_nope"})
    assert bad.status_code == 401
    with session_scope(app.state.runtime.db) as s:
        users.set_disabled(s, "maria", True)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_api_with_a_browser_session_needs_the_csrf_header(admin: TestClient) -> None:
    assert admin.get("/api/me").status_code == 200
    assert admin.post("/api/alerts/1/ack").status_code == 403
    ok = admin.post("/api/alerts/999/ack", headers={"X-CSRF-Token": admin.csrf})  # type: ignore[attr-defined]
    assert ok.status_code == 404  # past the CSRF check; there is no such alert


def test_operators_cannot_use_admin_pages(app: FastAPI, client: TestClient) -> None:
    with session_scope(app.state.runtime.db) as s:
        users.create_user(s, "maria", "maria-pass-1")
    login(client, "maria", "maria-pass-1")
    assert client.get("/calls").status_code == 200
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_admin_adds_a_user_through_the_page(admin: TestClient) -> None:
    response = admin.post(
        "/admin/users",
        data={"username": "lee", "password": "lee-pass-12", "role": "operator", "csrf": admin.csrf},  # type: ignore[attr-defined]
    )
    assert response.status_code == 303
    assert "lee" in admin.get("/admin/users").text
    other = TestClient(admin.app, follow_redirects=False)
    login(other, "lee", "lee-pass-12")


def test_first_admin_is_created_once(tmp_path: Path) -> None:
    make_app(tmp_path)
    app = make_app(tmp_path)  # a restart must not add or reset anyone
    with session_scope(app.state.runtime.db) as s:
        assert [u.username for u in users.list_users(s)] == ["admin"]


def test_security_headers_on_pages_and_api(admin: TestClient) -> None:
    for path in ("/", "/login", "/api/me"):
        headers = admin.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "'unsafe-inline'" not in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
