"""The JSON API under ``/api``: same data and permissions as the operator pages.

Log in with HTTP Basic or ``Authorization: Bearer <token>`` (``anbu users token NAME``); a
browser session works too, with the ``X-CSRF-Token`` header on writes. The read-side queries
are the pages' own (:mod:`agent.web.queries`), so the two never disagree. Viewing a call,
fetching its recording and exporting are written to the audit log. Campaign endpoints live in
:mod:`agent.campaigns_api`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlmodel import col, select

from agent.auth import Operator
from agent.runtime import Runtime
from agent.web.calls_pages import recording_file
from agent.web.csv_export import export_calls
from agent.web.deps import call_filter
from agent.web.person_data import person_history
from agent.web.queries import count_calls, list_calls
from agent.web.queries import dashboard as dashboard_data
from agent.web.reservation_data import reservation_day, reservations_json
from agent.web.templating import timezone_of
from store import Alert, Answer, Call, Turn, alerts, audit
from store.db import session_scope

router = APIRouter(prefix="/api", tags=["api"])


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.get("/me")
def me(request: Request, user: Operator) -> dict[str, str]:
    """Who the credentials belong to."""
    return {"username": user, "role": request.state.user.role}


@router.get("/calls")
def get_calls(
    request: Request,
    user: Operator,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    line: str = "",
    campaign: int | None = None,
    outcome: str = "",
    q: str = Query("", max_length=100, description="a name or part of a phone number"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """Calls, newest first, filtered like the calls page (dates are local days, inclusive)."""
    tz = timezone_of(request)
    f = call_filter(request)
    with session_scope(_runtime(request).db) as s:
        rows = list_calls(s, f, tz, limit=limit, offset=offset)
        total = count_calls(s, f, tz)
    return {"total": total, "calls": [row.to_json() for row in rows]}


@router.get("/calls/{call_sid}")
async def get_call(call_sid: str, request: Request, user: Operator) -> dict[str, Any]:
    """A call's status, outcome, answers and turns."""
    return await asyncio.to_thread(call_json, _runtime(request), call_sid, viewer=user)


def call_json(runtime: Runtime, call_sid: str, *, viewer: str | None = None) -> dict[str, Any]:
    with session_scope(runtime.db) as s:
        call = s.exec(select(Call).where(Call.call_sid == call_sid)).first()
        if call is None:
            raise HTTPException(404, "no such call")
        turns = s.exec(select(Turn).where(Turn.call_id == call.id).order_by(col(Turn.seq))).all()
        answers = s.exec(
            select(Answer).where(Answer.call_id == call.id).order_by(col(Answer.id))
        ).all()
        if viewer is not None:
            audit.record(s, viewer, "view_call", f"call:{call_sid}")
        return {
            "call_sid": call.call_sid,
            "direction": call.direction,
            "line": call.line,
            "script": call.script,
            "status": call.status,
            "outcome": call.outcome,
            "started_at": _iso(call.started_at),
            "answered_at": _iso(call.answered_at),
            "ended_at": _iso(call.ended_at),
            "recording": bool(call.recording_path),
            "answers": [
                {"key": a.key, "value": a.value, "raw_text": a.raw_text, "confidence": a.confidence}
                for a in answers
            ],
            "turns": [
                {
                    "seq": t.seq,
                    "speaker": t.speaker,
                    "kind": t.kind,
                    "text": t.text,
                    "started_at": _iso(t.started_at),
                    "confidence": t.confidence,
                }
                for t in turns
            ],
        }


@router.get("/calls/{call_sid}/recording", response_class=FileResponse)
def get_recording(call_sid: str, request: Request, user: Operator) -> FileResponse:
    """The call's recording (WAV, caller left, agent right)."""
    with session_scope(_runtime(request).db) as s:
        call = s.exec(select(Call).where(Call.call_sid == call_sid)).first()
        path = recording_file(request, call.recording_path) if call else None
        if path is None:
            raise HTTPException(404, "no recording")
        audit.record(s, user, "play_recording", f"call:{call_sid}")
    return FileResponse(path, media_type="audio/wav", filename=f"{call_sid}.wav")


@router.get("/export/calls.csv", response_class=StreamingResponse)
def export_calls_csv(request: Request, user: Operator) -> StreamingResponse:
    """Calls and their answers as CSV (same filters as ``GET /api/calls``); formula-safe."""
    tz = timezone_of(request)
    with session_scope(_runtime(request).db) as s:
        audit.record(s, user, "export_calls", "export:calls")
        lines = list(export_calls(s, call_filter(request), tz))
    return StreamingResponse(
        iter(lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="anbu-calls.csv"'},
    )


def alert_json(a: Alert, call_sid: str | None = None) -> dict[str, Any]:
    return {
        "id": a.id,
        "severity": a.severity,
        "reason": a.reason,
        "detail": a.detail,
        "status": a.status,
        "notes": a.notes,
        "call_id": a.call_id,
        "call_sid": call_sid,
        "person_id": a.person_id,
        "created_at": _iso(a.created_at),
        "acknowledged_by": a.acknowledged_by,
        "acknowledged_at": _iso(a.acknowledged_at),
        "resolved_by": a.resolved_by,
        "resolved_at": _iso(a.resolved_at),
    }


@router.get("/alerts")
def get_alerts(
    request: Request,
    user: Operator,
    status: Literal["active", "open", "acknowledged", "resolved", "all"] = "active",
) -> list[dict[str, Any]]:
    """Alerts, urgent first then newest; ``active`` (default) is everything not resolved."""
    wanted = None if status in ("active", "all") else status
    with session_scope(_runtime(request).db) as s:
        found = alerts.list_alerts(s, wanted)
        if status == "active":
            found = [a for a in found if a.status != "resolved"]
        ids = {a.call_id for a in found if a.call_id is not None}
        sids = dict(s.exec(select(Call.id, Call.call_sid).where(col(Call.id).in_(ids))).all())
        return [alert_json(a, sids.get(a.call_id)) for a in found]


class AlertAction(BaseModel):
    note: str = Field("", max_length=2000, description="added to the alert's notes with your name")


def _act(
    request: Request, alert_id: int, user: str, body: AlertAction | None, resolve: bool
) -> dict[str, Any]:
    note = body.note.strip() if body else ""
    with session_scope(_runtime(request).db) as s:
        try:
            alert = (alerts.resolve if resolve else alerts.acknowledge)(s, alert_id, user, note)
        except LookupError:
            raise HTTPException(404, "no such alert") from None
        return alert_json(alert)


@router.post("/alerts/{alert_id}/ack")
def ack_alert(
    alert_id: int, request: Request, user: Operator, body: AlertAction | None = None
) -> dict[str, Any]:
    """Acknowledge an alert (records who and when; a note is optional)."""
    return _act(request, alert_id, user, body, resolve=False)


@router.post("/alerts/{alert_id}/resolve")
def resolve_alert(
    alert_id: int, request: Request, user: Operator, body: AlertAction | None = None
) -> dict[str, Any]:
    """Resolve an alert (acknowledging it too if nobody had)."""
    return _act(request, alert_id, user, body, resolve=True)


@router.get("/reservations")
def get_reservations(
    request: Request, user: Operator, day: dt.date | None = None
) -> dict[str, object]:
    """One local day's reservations (default today) and the covers seated per half hour."""
    runtime = _runtime(request)
    tz = timezone_of(request)
    chosen = day or runtime.now().astimezone(tz).date()
    with session_scope(runtime.db) as s:
        data = reservation_day(s, chosen, tz, runtime.hours, runtime.settings.capacity)
    return reservations_json(data)


@router.get("/people/{person_id}")
def get_person(
    person_id: int, request: Request, user: Operator, weeks: int = Query(12, ge=1, le=520)
) -> dict[str, Any]:
    """A person, their opt-out status, check-in answers per call, alerts and recent calls."""
    runtime = _runtime(request)
    with session_scope(runtime.db) as s:
        h = person_history(s, person_id, timezone_of(request), runtime.now(), weeks=weeks)
        if h is None:
            raise HTTPException(404, "no such person")
        audit.record(s, user, "view_person", f"person:{person_id}")
        p = h.person
        return {
            "id": p.id,
            "name": p.name,
            "phone": p.phone,
            "timezone": p.timezone,
            "language": p.language,
            "consent": p.consent,
            "notes": p.notes,
            "opted_out": h.opted_out,
            "checkins": [
                {
                    "call_sid": c.call_sid,
                    "at": c.at.isoformat(),
                    "outcome": c.outcome,
                    "answers": {k: a.value for k, a in c.answers.items()},
                }
                for c in h.checkins
            ],
            "alerts": [alert_json(a) for a in h.alerts],
            "calls": [c.to_json() for c in h.calls],
        }


@router.get("/dashboard")
def get_dashboard(request: Request, user: Operator) -> dict[str, Any]:
    """The dashboard's numbers: calls by outcome today, this week and per day; open alerts."""
    runtime = _runtime(request)
    tz = timezone_of(request)
    today = runtime.now().astimezone(tz).date()
    with session_scope(runtime.db) as s:
        d = dashboard_data(s, tz, today)
    return {
        "today": dict(d.today),
        "week": dict(d.week),
        "per_day": [{"day": bar.day.isoformat(), "outcomes": bar.counts} for bar in d.per_day],
        "open_alerts": d.alerts_by_severity,
        "campaigns": [
            {
                "id": c.campaign_id,
                "name": c.name,
                "state": c.state,
                "finished": c.finished,
                "reached": c.reached,
                "week_finished": c.week_finished,
                "week_reached": c.week_reached,
            }
            for c in d.campaigns
        ],
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
