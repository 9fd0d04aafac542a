"""The operator web report: server-rendered pages for social workers and restaurant managers.

:func:`install` adds everything to the app in one call: the security-headers middleware, the
static files (CSS only: public, they hold no data and the login page needs them), the login
redirect and the page routers. The JSON API stays in :mod:`agent.api`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from agent.auth import AuthConfig, LoginRequired
from agent.settings import Settings
from agent.web import (
    alerts_pages,
    apidocs,
    calls_pages,
    campaign_pages,
    dashboard,
    login,
    people_pages,
    reservation_pages,
    users_pages,
)
from agent.web.security import SecurityHeadersMiddleware

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PREFIX = "/static"


def install(app: FastAPI, settings: Settings) -> None:
    """Add the pages, their middleware and the login redirect to ``app``."""
    app.state.auth = AuthConfig.from_settings(settings)
    app.add_middleware(SecurityHeadersMiddleware, secure_cookies=settings.secure_cookies)
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="static")

    async def to_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(f"/login?next={quote(exc.next_url, safe='')}", status_code=303)

    app.add_exception_handler(LoginRequired, to_login)
    for module in (
        login,
        dashboard,
        calls_pages,
        alerts_pages,
        people_pages,
        reservation_pages,
        campaign_pages,
        users_pages,
        apidocs,
    ):
        app.include_router(module.router)
