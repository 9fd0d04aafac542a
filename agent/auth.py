"""Who may use the operator pages and API, and how they prove it.

Three ways in, one notion of a user (``store.users``):

* **Session cookie** (the pages): a signed, HttpOnly, SameSite=Strict cookie holding the user
  name, a CSRF token, the time of last activity and a fingerprint of the password hash. It is
  refreshed as the user works and refused once idle longer than ``session_idle_minutes``; a
  password change or disabling the user ends every session at once, because the user row is
  read on each request.
* **HTTP Basic** (API, scripts): username and password, checked with scrypt.
* **Bearer token** (API, integrations): a per-user token stored hashed.

Routes depend on :data:`Operator` (any user, returns the name) or :data:`Admin`; pages use
:data:`PageUser` / :data:`PageAdmin`, which send a browser to the login page instead of
answering 401. A cookie-authenticated request that changes something must carry the session's
CSRF token (a form field for pages, the ``X-CSRF-Token`` header for the API), because the
browser attaches cookies to cross-site requests on its own.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request, Response
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from agent.settings import Settings
from store import users
from store.db import session_scope
from store.models import User

SESSION_COOKIE = "anbu_session"
LOGIN_CSRF_COOKIE = "anbu_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_REFRESH_AFTER_S = 60  # re-issue the cookie at most once a minute, not on every request


@dataclass(frozen=True)
class AuthConfig:
    """What signing and checking sessions needs; kept on ``app.state.auth``."""

    secret: bytes
    idle_seconds: int
    secure: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthConfig:
        return cls(
            secret=settings.resolved_session_secret(),
            idle_seconds=settings.session_idle_minutes * 60,
            secure=settings.secure_cookies,
        )


@dataclass(frozen=True)
class SessionData:
    """The contents of a session cookie."""

    user: str
    csrf: str
    seen: int  # unix seconds of the last request
    fp: str  # password-hash fingerprint


@dataclass(frozen=True)
class CurrentUser:
    """The user a request acts for."""

    name: str
    role: str
    via: Literal["session", "basic", "bearer"]
    csrf: str = ""  # the session's CSRF token; empty for Basic and bearer

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LoginRequired(Exception):
    """Raised by page dependencies; the web app turns it into a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__("login required")
        self.next_url = next_url


# ---- signed session cookies -----------------------------------------------------------------


def _mac(secret: bytes, payload: bytes) -> str:
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def password_fingerprint(config: AuthConfig, user: User) -> str:
    """Changes whenever the password does; reveals nothing about the hash."""
    return _mac(config.secret, user.password_hash.encode())[:16]


def sign_session(config: AuthConfig, data: SessionData) -> str:
    raw = json.dumps({"u": data.user, "c": data.csrf, "t": data.seen, "f": data.fp}).encode()
    # Unpadded: a cookie value with "=" gets quoted by some clients and frameworks.
    payload = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    return f"{payload}.{_mac(config.secret, payload.encode())}"


def unsign_session(
    config: AuthConfig, value: str, *, now: float | None = None
) -> SessionData | None:
    """The session in a cookie if its signature is good and it has not been idle too long."""
    payload, _, mac = value.partition(".")
    if not mac or not hmac.compare_digest(mac, _mac(config.secret, payload.encode())):
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        data = SessionData(
            user=str(raw["u"]), csrf=str(raw["c"]), seen=int(raw["t"]), fp=str(raw["f"])
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if (now if now is not None else time.time()) - data.seen > config.idle_seconds:
        return None
    return data


def set_session_cookie(response: Response, config: AuthConfig, value: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        httponly=True,
        secure=config.secure,
        samesite="strict",
        path="/",
    )


def start_session(response: Response, config: AuthConfig, user: User) -> None:
    """Log ``user`` in on ``response`` (after a successful password check)."""
    data = SessionData(
        user=user.username,
        csrf=secrets.token_urlsafe(24),
        seen=int(time.time()),
        fp=password_fingerprint(config, user),
    )
    set_session_cookie(response, config, sign_session(config, data))


def end_session(response: Response, config: AuthConfig) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=config.secure, httponly=True, samesite="strict"
    )


# ---- resolving the request's user ------------------------------------------------------------


def _db(request: Request) -> Engine:
    engine: Engine = request.app.state.runtime.db
    return engine


def _config(request: Request) -> AuthConfig:
    config: AuthConfig = request.app.state.auth
    return config


def _from_header(request: Request, header: str) -> CurrentUser | None:
    scheme, _, value = header.partition(" ")
    value = value.strip()
    with session_scope(_db(request)) as s:
        if scheme.lower() == "bearer":
            user = users.user_for_token(s, value)
            return CurrentUser(user.username, user.role, "bearer") if user else None
        if scheme.lower() == "basic":
            try:
                name, sep, password = base64.b64decode(value).decode().partition(":")
            except (ValueError, UnicodeDecodeError, binascii.Error):
                return None
            found = users.authenticate(s, name, password) if sep else None
            return CurrentUser(found.username, found.role, "basic") if found else None
    return None


def _from_cookie(request: Request) -> CurrentUser | None:
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        return None
    config = _config(request)
    data = unsign_session(config, value)
    if data is None:
        return None
    with session_scope(_db(request)) as s:
        user = users.get_user(s, data.user)
        if user is None or user.disabled:
            return None
        if not hmac.compare_digest(data.fp, password_fingerprint(config, user)):
            return None
        role = user.role
    now = int(time.time())
    if now - data.seen >= _REFRESH_AFTER_S:
        fresh = SessionData(user=data.user, csrf=data.csrf, seen=now, fp=data.fp)
        # Picked up by the security-headers middleware, which sets it on whatever response
        # the route returns (templates, redirects and files alike).
        request.state.refreshed_session = sign_session(config, fresh)
    return CurrentUser(data.user, role, "session", data.csrf)


def request_user(request: Request, *, allow_headers: bool = True) -> CurrentUser | None:
    """The authenticated user of ``request`` (blocking: reads the database)."""
    header = request.headers.get("authorization", "")
    if allow_headers and header:
        return _from_header(request, header)
    return _from_cookie(request)


def require_operator(request: Request) -> str:
    """Any logged-in user's name, or 401 (cookie requests that write also need the CSRF header)."""
    user = request_user(request)
    if user is None:
        raise HTTPException(401, "login required", headers={"WWW-Authenticate": "Basic"})
    if user.via == "session" and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent, user.csrf):
            raise HTTPException(403, "missing or wrong CSRF token")
    request.state.user = user
    return user.name


Operator = Annotated[str, Depends(require_operator)]
"""Any logged-in user (API): resolves to the user name."""


def require_admin(request: Request, name: Operator) -> str:
    """An admin's name, or 403."""
    if request.state.user.role != "admin":
        raise HTTPException(403, "admins only")
    return name


Admin = Annotated[str, Depends(require_admin)]
"""An admin (API): resolves to the user name."""


def _next_url(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.url.path}{query}"


async def require_page_user(request: Request) -> CurrentUser:
    """The session's user for a page; otherwise to the login page. Writes need the form's token."""
    user = await asyncio.to_thread(request_user, request, allow_headers=False)
    if user is None:
        raise LoginRequired(_next_url(request) if request.method in SAFE_METHODS else "/")
    if request.method not in SAFE_METHODS:
        form = await request.form()
        sent = form.get(CSRF_FIELD)
        if not isinstance(sent, str) or not hmac.compare_digest(sent, user.csrf):
            raise HTTPException(403, "missing or wrong CSRF token; reload the page")
    request.state.user = user
    return user


PageUser = Annotated[CurrentUser, Depends(require_page_user)]


async def require_page_admin(user: PageUser) -> CurrentUser:
    if not user.is_admin:
        raise HTTPException(403, "admins only")
    return user


PageAdmin = Annotated[CurrentUser, Depends(require_page_admin)]


def bootstrap_first_admin(engine: Engine, settings: Settings) -> None:
    """Create the ``admin`` user from ``ANBU_ADMIN_PASSWORD`` if no user exists yet.

    Without the setting a random password is generated and printed once (never logged).
    """
    password = settings.admin_password.get_secret_value()
    generated = not password
    if generated:
        password = secrets.token_urlsafe(12)
    try:
        with session_scope(engine) as s:
            if users.count_users(s) > 0:
                return
            users.ensure_first_admin(s, password)
    except IntegrityError:
        # Several workers started on a fresh database at once: another one made the admin.
        return
    if generated:
        print(
            f"No operator accounts yet and ANBU_ADMIN_PASSWORD is not set: created user 'admin' "
            f"with password {password}",
            flush=True,
        )
