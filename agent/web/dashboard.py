"""The dashboard: what the agent did today and this week, and what needs a human."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from agent.auth import PageUser
from agent.web.charts import stacked_bars
from agent.web.deps import db, runtime
from agent.web.queries import dashboard as dashboard_data
from agent.web.templating import render, timezone_of
from store.db import session_scope

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, user: PageUser) -> HTMLResponse:
    tz = timezone_of(request)
    today = runtime(request).now().astimezone(tz).date()
    with session_scope(db(request)) as s:
        data = dashboard_data(s, tz, today)
    chart = stacked_bars([(bar.day, bar.counts) for bar in data.per_day], data.outcomes)
    return render(
        request,
        "dashboard.html",
        user,
        data=data,
        chart=chart,
        today=today,
    )
