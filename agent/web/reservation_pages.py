"""Reservations by day, with the share of the dining room each half hour uses."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from agent.auth import PageUser
from agent.web.deps import db, parse_date, runtime
from agent.web.reservation_data import reservation_day
from agent.web.templating import render, timezone_of
from store.db import session_scope

router = APIRouter(include_in_schema=False)


@router.get("/reservations", response_class=HTMLResponse)
def reservations_page(request: Request, user: PageUser, day: str = "") -> HTMLResponse:
    tz = timezone_of(request)
    rt = runtime(request)
    chosen = parse_date(day) or rt.now().astimezone(tz).date()
    with session_scope(db(request)) as s:
        data = reservation_day(s, chosen, tz, rt.hours, rt.settings.capacity)
    return render(
        request,
        "reservations.html",
        user,
        d=data,
        prev_day=chosen - dt.timedelta(days=1),
        next_day=chosen + dt.timedelta(days=1),
    )
