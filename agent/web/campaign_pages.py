"""Campaign pages: create, upload the people CSV, schedule, start, pause, and follow progress.

Everything goes through :mod:`campaigns.manage`, the same operations the CLI and the campaign
JSON API use, so a campaign made here behaves exactly like one made there.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from agent.auth import CurrentUser, PageUser
from agent.web.deps import db, runtime
from agent.web.templating import render
from campaigns import manage
from campaigns.csv_import import ImportRefused
from store import audit
from store import campaigns as campaign_store
from store.db import session_scope

router = APIRouter(include_in_schema=False)
MAX_CSV_BYTES = 5 * 1024 * 1024
ACTIONS = {"start": "running", "pause": "paused", "finish": "finished"}


def _list(request: Request) -> list[dict[str, Any]]:
    with session_scope(db(request)) as s:
        ids = [c.id for c in campaign_store.list_campaigns(s) if c.id is not None]
    return [manage.status(db(request), cid) for cid in ids]


def _list_page(request: Request, user: CurrentUser, error: str = "", status: int = 200) -> Response:
    return render(
        request,
        "campaigns.html",
        user,
        status_code=status,
        campaigns=_list(request),
        scripts=sorted(runtime(request).scripts),
        error=error,
    )


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(request: Request, user: PageUser) -> Response:
    return _list_page(request, user)


@router.post("/campaigns")
def create_campaign(
    request: Request,
    user: PageUser,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    script: Annotated[str, Form()] = "wellness_checkin",
    days: Annotated[str, Form()] = "mon,thu",
    window: Annotated[str, Form()] = "10:00-12:00",
    start_date: Annotated[str, Form()] = "",
    end_date: Annotated[str, Form()] = "",
) -> Response:
    if script not in runtime(request).scripts:
        return _list_page(request, user, f"Unknown script {script!r}.", 422)
    spec = manage.CampaignSpec(
        name=name.strip(),
        script=script,
        days=days,
        window=window,
        start_date=start_date or None,
        end_date=end_date or None,
    )
    try:
        campaign_id, _ = manage.create(db(request), spec)
    except ValueError as exc:
        return _list_page(request, user, str(exc), 422)
    with session_scope(db(request)) as s:
        audit.record(s, user.name, "create_campaign", f"campaign:{campaign_id}")
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


def _detail(
    request: Request,
    user: CurrentUser,
    campaign_id: int,
    *,
    report: dict[str, Any] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    try:
        data = manage.status(db(request), campaign_id)
    except LookupError:
        raise HTTPException(404, "no such campaign") from None
    attempts: dict[str, int] = data.get("attempts", {})
    return render(
        request,
        "campaign.html",
        user,
        status_code=status,
        c=data,
        attempts=attempts,
        total_attempts=sum(attempts.values()),
        report=report,
        error=error,
    )


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(campaign_id: int, request: Request, user: PageUser) -> Response:
    return _detail(request, user, campaign_id)


@router.post("/campaigns/{campaign_id}/people")
async def upload_people(
    campaign_id: int,
    request: Request,
    user: PageUser,
    people: Annotated[UploadFile, File()],
    skip_bad_rows: Annotated[bool, Form()] = False,
) -> Response:
    raw = await people.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        return _detail(
            request, user, campaign_id, error="The file is larger than 5 MB.", status=413
        )
    text = raw.decode("utf-8-sig", errors="replace")
    region = runtime(request).settings.default_phone_region

    def run() -> Response:
        try:
            result = manage.add_people(
                db(request), campaign_id, text, region=region, skip_bad_rows=skip_bad_rows
            )
        except LookupError:
            raise HTTPException(404, "no such campaign") from None
        except ImportRefused as exc:
            rows = [{"line": e.line, "reason": e.reason} for e in exc.errors]
            return _detail(
                request, user, campaign_id, error=str(exc), report={"skipped": rows}, status=422
            )
        except ValueError as exc:
            return _detail(request, user, campaign_id, error=str(exc), status=422)
        with session_scope(db(request)) as s:
            audit.record(s, user.name, "import_people", f"campaign:{campaign_id}")
        report = {
            "imported": result.imported,
            "already": result.already,
            "skipped": [{"line": e.line, "reason": e.reason} for e in result.skipped],
        }
        return _detail(request, user, campaign_id, report=report)

    return await asyncio.to_thread(run)


@router.post("/campaigns/{campaign_id}/state")
def change_state(
    campaign_id: int,
    request: Request,
    user: PageUser,
    action: Annotated[str, Form()],
) -> Response:
    if action not in ACTIONS:
        raise HTTPException(400, "unknown action")
    try:
        manage.set_state(db(request), campaign_id, ACTIONS[action])
    except LookupError:
        raise HTTPException(404, "no such campaign") from None
    except (ValueError, PermissionError) as exc:
        return _detail(request, user, campaign_id, error=str(exc), status=422)
    with session_scope(db(request)) as s:
        audit.record(s, user.name, f"{action}_campaign", f"campaign:{campaign_id}")
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)
