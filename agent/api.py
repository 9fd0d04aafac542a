"""The JSON API under ``/api``: same data as the operator pages, login required."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from sqlmodel import col, select

from agent.auth import Operator
from agent.runtime import Runtime
from store import Answer, Call, Turn
from store.db import session_scope

router = APIRouter(prefix="/api", tags=["api"])


@router.get("/calls/{call_sid}")
async def get_call(call_sid: str, request: Request, user: Operator) -> dict[str, Any]:
    """A call's status, outcome, answers and turns."""
    return await asyncio.to_thread(call_json, request.app.state.runtime, call_sid)


def call_json(runtime: Runtime, call_sid: str) -> dict[str, Any]:
    with session_scope(runtime.db) as s:
        call = s.exec(select(Call).where(Call.call_sid == call_sid)).first()
        if call is None:
            raise HTTPException(404, "no such call")
        turns = s.exec(select(Turn).where(Turn.call_id == call.id).order_by(col(Turn.seq))).all()
        answers = s.exec(
            select(Answer).where(Answer.call_id == call.id).order_by(col(Answer.id))
        ).all()
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


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
