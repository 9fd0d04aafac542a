"""Admin pages: operator accounts and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from agent.auth import PageAdmin
from agent.web.deps import db
from agent.web.templating import render
from store import audit, users
from store.db import session_scope
from store.models import ROLES

router = APIRouter(include_in_schema=False)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, user: PageAdmin, error: str = "") -> HTMLResponse:
    with session_scope(db(request)) as s:
        everyone = users.list_users(s)
    return render(
        request, "users.html", user, users=everyone, roles=sorted(ROLES), error=error[:200]
    )


@router.post("/admin/users")
def add_user(
    request: Request,
    user: PageAdmin,
    username: Annotated[str, Form()],
    password: Annotated[str, Form(min_length=8)],
    role: Annotated[str, Form()] = "operator",
) -> RedirectResponse:
    try:
        with session_scope(db(request)) as s:
            users.create_user(s, username.strip(), password, role=role)
            audit.record(s, user.name, "add_user", f"user:{username.strip()}")
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/disabled")
def set_disabled(
    username: str,
    request: Request,
    user: PageAdmin,
    disabled: Annotated[bool, Form()] = True,
) -> RedirectResponse:
    if username == user.name:
        raise HTTPException(400, "you cannot disable yourself")
    with session_scope(db(request)) as s:
        try:
            users.set_disabled(s, username, disabled)
        except LookupError:
            raise HTTPException(404, "no such user") from None
        audit.record(
            s, user.name, "disable_user" if disabled else "enable_user", f"user:{username}"
        )
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: PageAdmin, actor: str = "") -> HTMLResponse:
    with session_scope(db(request)) as s:
        entries = audit.list_entries(s, actor=actor or None, limit=500)
    return render(request, "audit.html", user, entries=entries, actor=actor)
