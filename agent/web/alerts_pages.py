"""The alerts queue: urgent first; acknowledge or resolve with a note, recording who and when."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import col, select

from agent.auth import PageUser
from agent.web.deps import db, safe_next
from agent.web.templating import render
from store import alerts
from store.db import session_scope
from store.models import Call, Person

router = APIRouter(include_in_schema=False)
VIEWS = {"active": None, "open": "open", "acknowledged": "acknowledged", "resolved": "resolved"}


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, user: PageUser, status: str = "active") -> HTMLResponse:
    view = status if status in VIEWS else "active"
    with session_scope(db(request)) as s:
        found = alerts.list_alerts(s, VIEWS[view])
        if view == "active":
            found = [a for a in found if a.status != "resolved"]
        people = {
            p.id: p
            for p in s.exec(select(Person).where(col(Person.id).in_({a.person_id for a in found})))
        }
        calls = {
            c.id: c.call_sid
            for c in s.exec(select(Call).where(col(Call.id).in_({a.call_id for a in found})))
        }
    return render(request, "alerts.html", user, alerts=found, people=people, calls=calls, view=view)


def _act(request: Request, alert_id: int, by: str, note: str, resolve: bool) -> None:
    with session_scope(db(request)) as s:
        try:
            (alerts.resolve if resolve else alerts.acknowledge)(s, alert_id, by, note.strip())
        except LookupError:
            raise HTTPException(404, "no such alert") from None


@router.post("/alerts/{alert_id}/ack")
def acknowledge(
    alert_id: int,
    request: Request,
    user: PageUser,
    note: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form()] = "/alerts",
) -> RedirectResponse:
    _act(request, alert_id, user.name, note, resolve=False)
    return RedirectResponse(safe_next(next, "/alerts"), status_code=303)


@router.post("/alerts/{alert_id}/resolve")
def resolve(
    alert_id: int,
    request: Request,
    user: PageUser,
    note: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form()] = "/alerts",
) -> RedirectResponse:
    _act(request, alert_id, user.name, note, resolve=True)
    return RedirectResponse(safe_next(next, "/alerts"), status_code=303)
