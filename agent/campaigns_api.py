"""Campaigns over JSON under ``/api`` (operator login), plus the machine-detection callback.

``POST /api/calls`` places one outbound call now through the same dialer path campaigns use.
``POST /twilio/amd`` is Twilio's asynchronous answering-machine-detection callback, signed
like every Twilio webhook.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from agent.auth import Operator
from agent.outbound import Outbound
from agent.runtime import Runtime
from campaigns import manage
from campaigns.csv_import import ImportRefused, ImportReport
from store import campaigns as campaign_store
from store.db import session_scope
from store.models import CallAttempt
from telephony.signature import twilio_form_guard

router = APIRouter(prefix="/api", tags=["campaigns"])


class CampaignIn(BaseModel):
    name: str
    script: str = "wellness_checkin"
    days: str = "mon,thu"
    window: str = "10:00-12:00"
    start_date: str | None = None
    end_date: str | None = None
    retry_outcomes: str = "no-answer,busy,failed"
    retry_delay_minutes: int = Field(default=30, ge=0)
    max_attempts_per_window: int = Field(default=3, ge=1)
    calls_per_second: float = Field(default=1.0, gt=0)
    max_concurrent: int = Field(default=5, ge=1)
    unreachable_after: int = Field(default=3, ge=0)


class CallIn(BaseModel):
    to: str
    script: str = "wellness_checkin"
    person_id: int | None = None


class NumberIn(BaseModel):
    phone: str
    reason: str = ""


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _outbound(request: Request) -> Outbound:
    outbound: Outbound | None = getattr(request.app.state, "outbound", None)
    if outbound is None:
        raise HTTPException(503, "not ready")
    return outbound


async def _run(function: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return await asyncio.to_thread(function, *args, **kwargs)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except ImportRefused as exc:
        raise HTTPException(422, {"message": str(exc), "errors": _errors(exc.errors)}) from exc
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


def _errors(errors: Any) -> list[dict[str, Any]]:
    return [{"line": e.line, "reason": e.reason} for e in errors]


def _report(report: ImportReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    return {
        "imported": report.imported,
        "already": report.already,
        "skipped": _errors(report.skipped),
    }


@router.post("/campaigns", status_code=201)
async def create_campaign(body: CampaignIn, request: Request, user: Operator) -> dict[str, Any]:
    runtime = _runtime(request)
    if body.script not in runtime.scripts:
        _unknown(body.script)
    spec = manage.CampaignSpec(**body.model_dump())
    campaign_id, _ = await _run(manage.create, runtime.db, spec)
    status: dict[str, Any] = await _run(manage.status, runtime.db, campaign_id)
    return status


def _unknown(script: str) -> None:
    raise HTTPException(422, f"unknown script {script!r}")


@router.get("/campaigns")
async def list_campaigns(request: Request, user: Operator) -> list[dict[str, Any]]:
    db = _runtime(request).db

    def load() -> list[dict[str, Any]]:
        with session_scope(db) as s:
            return [manage.campaign_json(c) for c in campaign_store.list_campaigns(s)]

    result: list[dict[str, Any]] = await _run(load)
    return result


@router.get("/campaigns/{campaign_id}")
async def campaign_status(campaign_id: int, request: Request, user: Operator) -> dict[str, Any]:
    result: dict[str, Any] = await _run(manage.status, _runtime(request).db, campaign_id)
    return result


@router.post("/campaigns/{campaign_id}/{action}")
async def campaign_action(
    campaign_id: int, action: str, request: Request, user: Operator
) -> dict[str, Any]:
    """``start``, ``pause`` or ``finish``."""
    states = {"start": "running", "pause": "paused", "finish": "finished"}
    if action not in states:
        raise HTTPException(404, "unknown action")
    result: dict[str, Any] = await _run(
        manage.set_state, _runtime(request).db, campaign_id, states[action]
    )
    return result


@router.put("/campaigns/{campaign_id}/people")
async def upload_people(
    campaign_id: int, request: Request, user: Operator, skip_bad_rows: bool = False
) -> dict[str, Any]:
    """The CSV is the request body (``text/csv``); bad rows refuse it all unless skipped."""
    runtime = _runtime(request)
    text = (await request.body()).decode("utf-8-sig", errors="replace")
    report = await _run(
        manage.add_people,
        runtime.db,
        campaign_id,
        text,
        region=runtime.settings.default_phone_region,
        skip_bad_rows=skip_bad_rows,
    )
    return _report(report) or {}


@router.post("/do-not-call", status_code=201)
async def add_do_not_call(body: NumberIn, request: Request, user: Operator) -> dict[str, Any]:
    db = _runtime(request).db

    def add() -> bool:
        with session_scope(db) as s:
            return campaign_store.add_do_not_call(s, body.phone, body.reason)

    return {"added": await _run(add)}


@router.post("/calls", status_code=202)
async def place_call(body: CallIn, request: Request, user: Operator) -> dict[str, Any]:
    """Place one outbound call now, through the campaigns' dialer."""
    runtime = _runtime(request)
    if body.script not in runtime.scripts:
        _unknown(body.script)
    outbound = _outbound(request)
    attempt_id = await _run(outbound.runner.place_now, body.to, body.script, body.person_id)
    result: dict[str, Any] = await _run(attempt_json, runtime, attempt_id)
    return result


@router.get("/attempts/{attempt_id}")
async def get_attempt(attempt_id: int, request: Request, user: Operator) -> dict[str, Any]:
    result: dict[str, Any] = await _run(attempt_json, _runtime(request), attempt_id)
    return result


def attempt_json(runtime: Runtime, attempt_id: int) -> dict[str, Any]:
    with session_scope(runtime.db) as s:
        a = s.get(CallAttempt, attempt_id)
        if a is None:
            raise LookupError("no such call attempt")
        return {
            "id": a.id,
            "campaign_id": a.campaign_id,
            "person_id": a.person_id,
            "script": a.script,
            "attempt_no": a.attempt_no,
            "status": a.status,
            "outcome": a.outcome,
            "call_sid": a.call_sid,
            "answered_by": a.answered_by,
            "due_at": a.due_at.isoformat(),
            "finished_at": a.finished_at.isoformat() if a.finished_at else None,
        }


def amd_router(auth_token: Any, public_base: Any) -> APIRouter:
    """``POST /twilio/amd``: Twilio-signed, no operator login."""
    amd = APIRouter(prefix="/twilio", tags=["twilio"])
    signed_form = Depends(twilio_form_guard(auth_token, public_base))

    @amd.post("/amd", status_code=204)
    async def machine_detection(request: Request, params: dict[str, str] = signed_form) -> None:
        attempt = request.query_params.get("attempt", "")
        await _outbound(request).on_machine(params, int(attempt) if attempt.isdigit() else None)

    return amd
