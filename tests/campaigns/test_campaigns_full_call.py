"""One whole outbound check-in through the app: dialled by the campaign path, rung on the local
simulated phone, answered by a simulated person (Piper's voice, heard by Whisper) who reports
pain; the answers and the alert end up in the database and the attempt is settled."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from sqlmodel import select

from agent.app import create_app
from agent.auth import require_operator
from agent.settings import Settings
from agent.voice import Voice
from store.db import session_scope
from store.models import Alert, Answer, CallAttempt, Turn
from store.people import get_or_create_person

PERSON_SAYS = [
    "Yes, speaking.",
    "I had porridge for breakfast.",
    "I slept well, thank you.",
    "Yes, my knee hurts.",
    "My left knee.",
    "I would say a four.",
    "I feel fine.",
    "Yes, I took them.",
    "No, nothing else, thank you.",
]


@pytest.fixture(scope="module")
def voice(tmp_path_factory: pytest.TempPathFactory) -> Voice:
    return Voice.load(Settings(data_dir=tmp_path_factory.mktemp("voice")))


@pytest.fixture
def live_app(tmp_path: Path, voice: Voice) -> Iterator[tuple[FastAPI, str]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(
        data_dir=tmp_path,
        public_url=url,
        admin_password="x" * 16,
        campaigns_enabled=False,
        simulated_answers="|".join(PERSON_SAYS),
        record_calls=False,
        warm_phrase_cache=False,
    )
    app = create_app(settings, voice=voice)
    app.dependency_overrides[require_operator] = lambda: "admin"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="websockets"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])))
    thread.start()
    deadline = time.monotonic() + 120
    while not (server.started and getattr(app.state, "outbound", None)):
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.1)
    try:
        yield app, url
    finally:
        server.should_exit = True
        thread.join(30)


def test_outbound_checkin_reports_pain(live_app: tuple[FastAPI, str]) -> None:
    import httpx

    app, url = live_app
    db = app.state.runtime.db
    with session_scope(db) as s:
        person = get_or_create_person(
            s, name="Mrs Kim", phone="+12125550101", timezone="America/New_York", consent=True
        )
        person_id = person.id
    response = httpx.post(
        f"{url}/api/calls",
        json={"to": "+12125550101", "script": "wellness_checkin", "person_id": person_id},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    attempt_id = response.json()["id"]
    deadline = time.monotonic() + 240
    while True:
        with session_scope(db) as s:
            attempt = s.get(CallAttempt, attempt_id)
            assert attempt is not None
            if attempt.status == "done":
                break
        assert time.monotonic() < deadline, f"call still {attempt.status}"
        time.sleep(0.5)
    assert attempt.outcome == "completed" and attempt.call_sid
    with session_scope(db) as s:
        answers = {
            a.key: a.value for a in s.exec(select(Answer).where(Answer.person_id == person_id))
        }
        alerts = list(s.exec(select(Alert).where(Alert.person_id == person_id)))
        heard = [(t.speaker, t.text) for t in s.exec(select(Turn).order_by(Turn.id))]  # type: ignore[arg-type]
    assert answers.get("pain") == "some", heard
    assert "knee" in str(answers.get("pain_where", "")).lower()
    assert answers.get("pain_severity") == 4, heard
    assert [(a.reason, a.severity) for a in alerts] == [("severe_pain", "normal")]
