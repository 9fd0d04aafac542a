"""The calls list, one call's page (transcript, answers, recording, alerts) and the CSV export.

Opening a call, playing its recording and exporting are written to the audit log in the same
transaction as the read, because they show health information.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, StreamingResponse

from agent.auth import PageUser
from agent.web.csv_export import export_calls
from agent.web.deps import call_filter, db, parse_int, runtime
from agent.web.queries import call_detail, count_calls, filter_options, list_calls
from agent.web.templating import render, timezone_of
from store import audit
from store.db import session_scope

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/calls", response_class=HTMLResponse)
def calls_page(request: Request, user: PageUser) -> HTMLResponse:
    tz = timezone_of(request)
    f = call_filter(request)
    page = max(1, parse_int(request.query_params.get("page")) or 1)
    with session_scope(db(request)) as s:
        rows = list_calls(s, f, tz, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        total = count_calls(s, f, tz)
        options = filter_options(s)
    query = {k: v for k, v in request.query_params.items() if k != "page" and v}
    return render(
        request,
        "calls.html",
        user,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        f=f,
        options=options,
        query=urlencode(query),
    )


@router.get("/calls/export.csv")
def export_csv(request: Request, user: PageUser) -> StreamingResponse:
    tz = timezone_of(request)
    f = call_filter(request)
    with session_scope(db(request)) as s:
        audit.record(s, user.name, "export_calls", "export:calls")
        lines = list(export_calls(s, f, tz))
    stamp = dt.datetime.now(tz).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        iter(lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="anbu-calls-{stamp}.csv"'},
    )


@router.get("/calls/{call_sid}", response_class=HTMLResponse)
def call_page(call_sid: str, request: Request, user: PageUser) -> HTMLResponse:
    with session_scope(db(request)) as s:
        detail = call_detail(s, call_sid)
        if detail is None:
            raise HTTPException(404, "no such call")
        audit.record(s, user.name, "view_call", f"call:{call_sid}")
    has_audio = recording_file(request, detail.call.recording_path) is not None
    return render(request, "call.html", user, d=detail, has_audio=has_audio)


def recording_file(request: Request, stored: str | None) -> Path | None:
    """The recording's file if it exists inside the recordings folder.

    The stored path is trusted only that far: a row pointing elsewhere serves nothing.
    """
    if not stored:
        return None
    settings = runtime(request).settings
    folder = settings.resolved_recordings_dir.resolve()
    path = Path(stored).resolve()  # relative paths are the server's, like recordings_dir
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    return path


@router.get("/calls/{call_sid}/recording")
def recording(call_sid: str, request: Request, user: PageUser) -> FileResponse:
    with session_scope(db(request)) as s:
        detail = call_detail(s, call_sid)
        path = recording_file(request, detail.call.recording_path) if detail else None
        if path is None:
            raise HTTPException(404, "no recording")
        # A player fetches in ranges; the first request (no range, or from byte 0) is the play.
        if request.headers.get("range", "bytes=0-").startswith("bytes=0-"):
            audit.record(s, user.name, "play_recording", f"call:{call_sid}")
    return FileResponse(path, media_type="audio/wav", filename=f"{call_sid}.wav")
