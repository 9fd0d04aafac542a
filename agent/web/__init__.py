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
from agent.web.alerts_pages import router as alerts_router
from agent.web.apidocs import router as apidocs_router
from agent.web.calls_pages import router as calls_router
from agent.web.campaign_pages import router as campaigns_router
from agent.web.dashboard import router as dashboard_router
from agent.web.login import router as login_router
from agent.web.people_pages import router as people_router
from agent.web.reservation_pages import router as reservations_router
from agent.web.security import SecurityHeadersMiddleware
from agent.web.users_pages import router as users_router

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
    for router in (
        login_router,
        dashboard_router,
        calls_router,
        alerts_router,
        people_router,
        reservations_router,
        campaigns_router,
        users_router,
        apidocs_router,
    ):
        app.include_router(router)
