"""Campaign pages (pending the campaigns store): a read-only list for now."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from agent.auth import PageUser
from agent.web.deps import db
from agent.web.templating import render
from store.db import session_scope
from store.models import Campaign

router = APIRouter(include_in_schema=False)


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(request: Request, user: PageUser) -> HTMLResponse:
    with session_scope(db(request)) as s:
        campaigns = list(s.exec(select(Campaign).order_by(col(Campaign.name))))
    return render(request, "campaigns.html", user, campaigns=campaigns)
