"""The Jinja2 environment for the pages: autoescaping always on, times in the business's zone.

Autoescape is forced on for every template (not chosen by file extension) because transcripts,
names and notes are text a caller or an uploaded CSV controls.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from agent.auth import CSRF_FIELD, CurrentUser
from agent.web.charts import css_class

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_env)

NAV = [
    ("/", "Dashboard"),
    ("/alerts", "Alerts"),
    ("/calls", "Calls"),
    ("/people", "People"),
    ("/reservations", "Reservations"),
    ("/campaigns", "Campaigns"),
]


def timezone_of(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.runtime.settings.timezone)


def render(
    request: Request, name: str, user: CurrentUser, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page with the layout's needs (user, CSRF token, navigation, local zone)."""
    tz = timezone_of(request)

    def local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(tz).strftime(fmt) if value is not None else ""

    return templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "csrf_field": CSRF_FIELD,
            "csrf": user.csrf,
            "nav": NAV,
            "path": request.url.path,
            "local": local,
            "tzname": str(tz),
            "css_class": css_class,
            **context,
        },
        status_code=status_code,
    )
