"""The campaigns JSON API and POST /api/calls; the signed, retried urgent-alert webhook."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import PUBLIC_URL
from fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from agent.auth import require_operator
from agent.campaigns_api import amd_router, router
from agent.outbound import Outbound
from agent.runtime import Runtime
from agent.settings import Settings
from campaigns.alerts_push import SIGNATURE_HEADER, TIMESTAMP_HEADER, AlertPusher, verify
from campaigns.clock import FakeClock
from campaigns.dialer import TwilioDialer
from store import alerts as alert_store
from store.db import session_scope
from store.models import WebhookDelivery
from telephony.signature import sign_request

PEOPLE = b"""name,phone,timezone,language,notes,consent
Mrs Kim,(212) 555-0101,America/New_York,en,,yes
Bad,123,America/New_York,en,,yes
"""


@pytest.fixture
def api(tmp_path: Path, fake_twilio: FakeTwilio) -> TestClient:
    settings = Settings(
        data_dir=tmp_path,
        public_url=PUBLIC_URL,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_api_base=fake_twilio.url,
        campaigns_enabled=False,
    )
    runtime = Runtime.create(settings)
    app = FastAPI()
    app.state.runtime = runtime
    app.state.outbound = Outbound(runtime, TwilioDialer(ACCOUNT_SID, AUTH_TOKEN, fake_twilio.url))
    app.include_router(router)
    app.include_router(amd_router(settings.webhook_token, lambda: settings.public_url))
    app.dependency_overrides[require_operator] = lambda: "admin"
    return TestClient(app)


def test_campaign_lifecycle_over_the_api(api: TestClient) -> None:
    created = api.post("/api/campaigns", json={"name": "March", "days": "mon,thu"})
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    assert created.json()["state"] == "draft" and created.json()["window"] == "10:00-12:00"
    refused = api.put(f"/api/campaigns/{cid}/people", content=PEOPLE)
    assert refused.status_code == 422
    assert refused.json()["detail"]["errors"] == [
        {"line": 3, "reason": "phone number is not a valid number"}
    ]
    ok = api.put(f"/api/campaigns/{cid}/people?skip_bad_rows=true", content=PEOPLE)
    assert ok.json()["imported"] == 1
    assert api.post(f"/api/campaigns/{cid}/start").json()["state"] == "running"
    assert api.post(f"/api/campaigns/{cid}/pause").json()["state"] == "paused"
    status = api.get(f"/api/campaigns/{cid}").json()
    assert status["people"] == 1 and status["state"] == "paused"
    assert api.post(f"/api/campaigns/{cid}/finish").json()["state"] == "finished"
    assert api.post(f"/api/campaigns/{cid}/start").status_code == 422  # finished stays finished
    assert api.get("/api/campaigns/999").status_code == 404
    bad = api.post("/api/campaigns", json={"name": "x", "window": "12:00-10:00"})
    assert bad.status_code == 422


def test_post_calls_dials_through_twilio_and_amd_callback_is_signed(
    api: TestClient, fake_twilio: FakeTwilio
) -> None:
    response = api.post("/api/calls", json={"to": "+12125550199", "script": "wellness_checkin"})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "ringing" and body["call_sid"] == fake_twilio.creates[0].sid
    assert api.post("/api/calls", json={"to": "not a number"}).status_code == 422
    assert api.post("/api/do-not-call", json={"phone": "+12125550198"}).json()["added"] is True
    assert api.post("/api/calls", json={"to": "+12125550198"}).status_code == 403
    assert fake_twilio.dials_to("+12125550198") == 0
    # Machine detection: unsigned posts are refused; a signed one leaves the voicemail.
    sid = body["call_sid"]
    form = {"CallSid": sid, "AnsweredBy": "machine_end_beep", "AccountSid": ACCOUNT_SID}
    path = f"/twilio/amd?attempt={body['id']}"
    assert api.post(path, data=form).status_code == 403
    headers = sign_request(AUTH_TOKEN, PUBLIC_URL + path, form)
    assert api.post(path, data=form, headers=headers).status_code == 204
    twiml = fake_twilio.calls[sid].updates[-1]["Twiml"]
    assert "regular check-in" in twiml and "<Hangup" in twiml
    assert api.get(f"/api/attempts/{body['id']}").json()["answered_by"] == "machine_end_beep"


def test_urgent_alerts_pushed_signed_and_retried_with_backoff(engine: Engine) -> None:
    clock = FakeClock(dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC))
    sent: list[tuple[bytes, dict[str, str]]] = []
    answers = [500, 503, 200]

    def post(url: str, body: bytes, headers: dict[str, str]) -> int:
        sent.append((body, headers))
        return answers.pop(0)

    pusher = AlertPusher(engine, "https://care.example/hook", "s3cret", clock.now, post=post)
    with session_scope(engine) as s:
        alert_store.raise_alert(s, severity="urgent", reason="fall", person_id=None)
        alert_store.raise_alert(s, severity="normal", reason="pain_worse")
    # raise_alert stamps real time; the pusher only looks back 24 h from the fake clock.
    clock.set(dt.datetime.now(dt.UTC))
    assert pusher.run_once() == 0  # HTTP 500
    assert pusher.run_once() == 0  # not due yet: backing off
    assert len(sent) == 1
    clock.advance(seconds=5)
    assert pusher.run_once() == 0  # 503; next wait doubles
    clock.advance(seconds=5)
    assert pusher.run_once() == 0 and len(sent) == 2
    clock.advance(seconds=5)
    assert pusher.run_once() == 1
    assert pusher.run_once() == 0 and len(sent) == 3  # delivered once, the normal one never
    body, headers = sent[-1]
    payload: dict[str, Any] = json.loads(body)
    assert payload["reason"] == "fall" and payload["severity"] == "urgent"
    assert verify("s3cret", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert not verify("other", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    with session_scope(engine) as s:
        delivery = s.exec(select(WebhookDelivery)).one()
        assert (delivery.status, delivery.tries) == ("delivered", 3)
