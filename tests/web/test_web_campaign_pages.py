"""Campaign pages: create, upload people, start and pause, through campaigns.manage."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from store import audit, session_scope

GOOD = "name,phone,timezone\nMrs Kim,+1 202 555 0142,America/New_York\nMr Lee,+442079460958,UTC\n"
BAD = "name,phone\nNobody,not-a-number\nMr Park,+12025550143\n"


def test_create_upload_start_pause(app: FastAPI, admin: TestClient) -> None:
    csrf = admin.csrf  # type: ignore[attr-defined]
    created = admin.post(
        "/campaigns",
        data={"csrf": csrf, "name": "Tuesday <check-ins>", "days": "tue", "window": "10:00-12:00"},
    )
    assert created.status_code == 303
    page_url = created.headers["location"]
    cid = int(page_url.rsplit("/", 1)[1])
    assert "Tuesday &lt;check-ins&gt;" in admin.get("/campaigns").text
    uploaded = admin.post(
        f"/campaigns/{cid}/people",
        data={"csrf": csrf},
        files={"people": ("people.csv", GOOD, "text/csv")},
    )
    assert uploaded.status_code == 200 and "Imported 2" in uploaded.text
    refused = admin.post(
        f"/campaigns/{cid}/people",
        data={"csrf": csrf},
        files={"people": ("bad.csv", BAD, "text/csv")},
    )
    assert refused.status_code == 422 and "line 2" in refused.text
    skipped = admin.post(
        f"/campaigns/{cid}/people",
        data={"csrf": csrf, "skip_bad_rows": "true"},
        files={"people": ("bad.csv", BAD, "text/csv")},
    )
    assert skipped.status_code == 200 and "Imported 1" in skipped.text
    assert (
        admin.post(f"/campaigns/{cid}/state", data={"csrf": csrf, "action": "start"}).status_code
        == 303
    )
    assert "st-running" in admin.get(page_url).text
    admin.post(f"/campaigns/{cid}/state", data={"csrf": csrf, "action": "pause"})
    assert "st-paused" in admin.get(page_url).text
    assert admin.get("/campaigns/999").status_code == 404
    with session_scope(app.state.runtime.db) as s:
        actions = {e.action for e in audit.list_entries(s)}
    assert {"create_campaign", "import_people", "start_campaign", "pause_campaign"} <= actions


def test_invalid_schedule_is_shown_not_raised(admin: TestClient) -> None:
    response = admin.post(
        "/campaigns",
        data={"csrf": admin.csrf, "name": "x", "window": "25:00-26:00"},  # type: ignore[attr-defined]
    )
    assert response.status_code == 422 and 'role="alert"' in response.text


def test_campaign_forms_need_csrf(admin: TestClient) -> None:
    assert admin.post("/campaigns", data={"name": "x"}).status_code == 403
