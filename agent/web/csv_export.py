"""CSV export of calls and their answers, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice; transcripts and answers are caller-controlled, so such cells get a
leading apostrophe (OWASP's "CSV injection" advice), which spreadsheets show as plain text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from agent.web.queries import CallFilter, list_calls
from store.models import Answer

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BASE_COLUMNS = [
    "call_sid",
    "started_at",
    "duration_s",
    "direction",
    "line",
    "script",
    "person",
    "number",
    "status",
    "outcome",
]
MAX_ROWS = 50_000


def neutralise(value: Any) -> str:
    """The cell text for ``value``, defused if a spreadsheet would evaluate it."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def export_calls(s: Session, f: CallFilter, tz: ZoneInfo) -> Iterator[str]:
    """CSV lines: one row per call, one column per question answered in any of them."""
    summaries = list_calls(s, f, tz, limit=MAX_ROWS)
    ids = [c.id for c in summaries]
    answers: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for answer in s.exec(
            select(Answer).where(col(Answer.call_id).in_(chunk)).order_by(col(Answer.id))
        ):
            answers.setdefault(answer.call_id, {})[answer.key] = answer.value
    keys = sorted({k for per_call in answers.values() for k in per_call})
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(BASE_COLUMNS + [f"answer:{k}" for k in keys])
    yield flush()
    for c in summaries:
        base = [
            c.call_sid,
            c.started_at.astimezone(tz).isoformat(timespec="seconds"),
            c.duration_s,
            c.direction,
            c.line,
            c.script,
            c.person_name,
            c.number,
            c.status,
            c.outcome,
        ]
        per_call = answers.get(c.id, {})
        writer.writerow([neutralise(v) for v in base + [per_call.get(k) for k in keys]])
        yield flush()
