"""People: the list, and one person's check-in history, charts, notes and opt-out status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from agent.auth import PageUser
from agent.web.deps import db, runtime
from agent.web.person_data import list_people, person_history
from agent.web.templating import render, timezone_of
from store import audit, optouts
from store.db import session_scope
from store.models import Person

router = APIRouter(include_in_schema=False)


@router.get("/people", response_class=HTMLResponse)
def people_page(request: Request, user: PageUser, q: str = "") -> HTMLResponse:
    with session_scope(db(request)) as s:
        people = list_people(s, q[:100])
    return render(request, "people.html", user, people=people, q=q)


@router.get("/people/{person_id}", response_class=HTMLResponse)
def person_page(person_id: int, request: Request, user: PageUser) -> HTMLResponse:
    tz = timezone_of(request)
    with session_scope(db(request)) as s:
        history = person_history(s, person_id, tz, runtime(request).now())
        if history is None:
            raise HTTPException(404, "no such person")
        audit.record(s, user.name, "view_person", f"person:{person_id}")
    return render(request, "person.html", user, h=history)


@router.post("/people/{person_id}/notes")
def save_notes(
    person_id: int,
    request: Request,
    user: PageUser,
    notes: Annotated[str, Form(max_length=10_000)] = "",
) -> RedirectResponse:
    with session_scope(db(request)) as s:
        person = s.get(Person, person_id)
        if person is None:
            raise HTTPException(404, "no such person")
        person.notes = notes.strip()
        s.add(person)
        audit.record(s, user.name, "edit_notes", f"person:{person_id}")
    return RedirectResponse(f"/people/{person_id}", status_code=303)


@router.post("/people/{person_id}/opt-out")
def opt_out(person_id: int, request: Request, user: PageUser) -> RedirectResponse:
    """Record that this person asked (through staff) never to be called again."""
    with session_scope(db(request)) as s:
        person = s.get(Person, person_id)
        if person is None or not person.phone:
            raise HTTPException(404, "no such person with a phone number")
        optouts.add_opt_out(s, person.phone, person_id=person_id, source="operator")
        audit.record(s, user.name, "opt_out", f"person:{person_id}")
    return RedirectResponse(f"/people/{person_id}", status_code=303)
