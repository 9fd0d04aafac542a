"""Logging in and out.

The login form is protected against login CSRF with a double-submit token (a cookie and a form
field that must match), since there is no session yet to hold one.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from agent.auth import (
    LOGIN_CSRF_COOKIE,
    AuthConfig,
    PageUser,
    end_session,
    request_user,
    start_session,
)
from agent.web.deps import db, safe_next
from agent.web.templating import templates
from store import users
from store.db import session_scope
from store.models import User

router = APIRouter(include_in_schema=False)


def _form(request: Request, next_url: str, error: str = "", status: int = 200) -> Response:
    config: AuthConfig = request.app.state.auth
    token = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"csrf": token, "next": next_url, "error": error},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        secure=config.secure,
        samesite="strict",
        path="/login",
        max_age=3600,
    )
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/") -> Response:
    if await asyncio.to_thread(request_user, request, allow_headers=False) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form(request, safe_next(next))


def _check(request: Request, username: str, password: str) -> User | None:
    with session_scope(db(request)) as s:
        return users.authenticate(s, username, password)


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    target = safe_next(next)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf):
        return _form(request, target, "Your login form expired; please try again.", 400)
    user = await asyncio.to_thread(_check, request, username.strip(), password)
    if user is None:
        return _form(request, target, "Wrong user name or password.", 401)
    response = RedirectResponse(target, status_code=303)
    start_session(response, request.app.state.auth, user)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, user: PageUser) -> Response:
    response = RedirectResponse("/login", status_code=303)
    end_session(response, request.app.state.auth)
    return response
