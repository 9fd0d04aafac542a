"""Who may use the operator API and pages.

For now one operator, ``admin``, with ``ANBU_ADMIN_PASSWORD`` over HTTP Basic; routes depend on
:data:`Operator` so that richer login (users, roles, sessions, tokens) replaces this module
without touching them.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials

basic = HTTPBasic(auto_error=False)
Credentials = Annotated[HTTPBasicCredentials | None, Depends(basic)]


def require_operator(request: Request, credentials: Credentials) -> str:
    """The logged-in operator's name, or 401."""
    password: str = request.app.state.admin_password
    ok = credentials is not None and (
        secrets.compare_digest(credentials.username.encode(), b"admin")
        & secrets.compare_digest(credentials.password.encode(), password.encode())
    )
    if not ok:
        raise HTTPException(401, "login required", headers={"WWW-Authenticate": "Basic"})
    return "admin"


Operator = Annotated[str, Depends(require_operator)]
