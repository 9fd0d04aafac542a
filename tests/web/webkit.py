"""Helpers for the web tests: an app on a temporary SQLite store, seeded calls, logging in.

The app is built with :func:`agent.app.create_app` and driven without its lifespan, so no
speech models load; pages and the API only need the database.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import wave
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from agent.app import create_app
from agent.settings import Settings
from store import alerts, calls, people, session_scope

ADMIN_PASSWORD = "admin-pass-1"
XSS = '<script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">'


def make_settings(data_dir: Path, **extra: object) -> Settings:
    return Settings(
        data_dir=data_dir,
        admin_password=ADMIN_PASSWORD,  # type: ignore[arg-type]
        database_url="",
        lines="",
        **extra,  # type: ignore[arg-type]
    )


def make_app(data_dir: Path, **extra: object) -> FastAPI:
    return create_app(make_settings(data_dir, **extra))


def login(client: TestClient, username: str = "admin", password: str = ADMIN_PASSWORD) -> str:
    """Log ``client`` in through the form; returns the session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client)


def csrf_of(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/calls").text)
    assert found is not None
    return found.group(1)


def write_wav(path: Path, seconds: float = 1.0, rate: int = 8000) -> None:
    """A short stereo tone: something a player can play."""
    import math

    path.parent.mkdir(parents=True, exist_ok=True)
    frames = bytearray()
    for i in range(int(seconds * rate)):
        sample = int(8000 * math.sin(2 * math.pi * 440 * i / rate))
        frames += struct.pack("<hh", sample, sample)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


@dataclass
class Seeded:
    call_sid: str
    person_id: int
    alert_id: int
    urgent_alert_id: int
    inbound_sid: str


def seed(app: FastAPI, recordings: Path | None = None) -> Seeded:
    """A check-in call with a hostile transcript line, answers, two alerts and a recording;
    and an inbound reservation call."""
    engine = app.state.runtime.db
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:
        person = people.get_or_create_person(s, name="Mrs Kim", phone="+15550100001")
        assert person.id is not None
        call = calls.create_call(
            s,
            call_sid="CAcheckin1",
            direction="outbound",
            line="carecall",
            script="wellness_checkin",
            to_number="+15550100001",
            person_id=person.id,
        )
        assert call.id is not None
        calls.add_turn(s, call.id, speaker="agent", text="How did you sleep last night?")
        turn = calls.add_turn(s, call.id, speaker="caller", text=XSS, confidence=0.9)
        calls.add_answer(
            s,
            call.id,
            key="sleep",
            value="slept_poorly",
            raw_text="badly",
            confidence=0.9,
            turn_id=turn.id,
        )
        calls.add_answer(
            s,
            call.id,
            key="needs",
            value='=HYPERLINK("http://x")',
            raw_text="=1+1",
            confidence=1.0,
        )
        calls.add_answer(s, call.id, key="mood", value="low", raw_text="a bit low", confidence=0.8)
        normal = alerts.raise_alert(
            s, severity="normal", reason="missed_medication", call_id=call.id, person_id=person.id
        )
        urgent = alerts.raise_alert(
            s,
            severity="urgent",
            reason="fall",
            detail="I fell",
            call_id=call.id,
            person_id=person.id,
        )
        if recordings is not None:
            wav = recordings / "CAcheckin1.wav"
            write_wav(wav)
            call.recording_path = str(wav)
        calls.finish_call(s, "CAcheckin1", status="completed", outcome="completed", ended_at=now)
        inbound = calls.create_call(
            s,
            call_sid="CAinbound1",
            direction="inbound",
            line="reservations",
            script="reservation",
            from_number="+15550199999",
        )
        assert inbound.id is not None
        calls.add_turn(s, inbound.id, speaker="caller", text="a table for two please")
        calls.finish_call(s, "CAinbound1", status="completed", outcome="booked", ended_at=now)
        assert normal.id is not None and urgent.id is not None
        return Seeded("CAcheckin1", person.id, normal.id, urgent.id, "CAinbound1")
