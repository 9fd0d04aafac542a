"""Small helpers the page routes share: the runtime, parsing lenient query values."""

from __future__ import annotations

import datetime as dt

from fastapi import Request
from sqlalchemy import Engine

from agent.runtime import Runtime
from agent.web.queries import CallFilter


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def db(request: Request) -> Engine:
    return runtime(request).db


def parse_date(value: str | None) -> dt.date | None:
    """``YYYY-MM-DD`` or nothing; anything else is ignored rather than an error page."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def parse_int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def call_filter(request: Request) -> CallFilter:
    """The calls filter from the query string (pages, CSV export and API share it)."""
    p = request.query_params
    return CallFilter(
        date_from=parse_date(p.get("date_from")),
        date_to=parse_date(p.get("date_to")),
        line=p.get("line", "").strip(),
        campaign_id=parse_int(p.get("campaign")),
        outcome=p.get("outcome", "").strip(),
        q=p.get("q", "").strip()[:100],
    )


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to go back to; never another site (``//evil``, ``https://…``)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
