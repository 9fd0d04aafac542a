"""A whole reservation call by voice through the real server, checked in the database."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import wave
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import pytest
from e2e_kit import ADMIN_PASSWORD, CALLER_NUMBER, Live, converse
from loguru import logger

# Words only the caller said (the agent repeats the name, which is personal data too).
PRIVATE = ["john", "smith", "seven thirty", "yes please", "no thanks"]


async def test_book_a_table_by_voice(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    loguru_records: list[str] = []
    sink = logger.add(lambda m: loguru_records.append(str(m)), level="DEBUG", format="{message}")
    lines = [
        "I'd like to book a table for four tomorrow at seven thirty.",
        "It's John Smith.",
        "Yes please.",
        "No thanks.",
    ]
    speech = [await asyncio.to_thread(live.caller.speech, line) for line in lines]
    phone = live.phone()
    async with phone:
        await phone.dial()
        await converse(phone, speech)
        await phone.wait_ended(timeout=30)
    assert phone.ended_by == "server"  # the agent said goodbye and hung up

    call = await live.wait_finalised(phone.call_sid)
    logger.remove(sink)
    _assert_private(caplog.records, loguru_records)
    assert call.status == "completed"
    assert call.outcome == "completed"
    assert call.direction == "inbound"
    assert call.script == "reservation"
    assert call.line == "reservation"
    assert call.started_at is not None and call.ended_at is not None
    assert call.ended_at >= call.started_at

    [booking] = live.reservations()
    tz = ZoneInfo(live.settings.timezone)
    tomorrow = dt.datetime.now(tz).date() + dt.timedelta(days=1)
    starts = booking.starts_at.astimezone(tz)
    assert booking.party_size == 4
    assert (starts.date(), starts.hour, starts.minute) == (tomorrow, 19, 30)
    assert "smith" in booking.name.lower()
    assert booking.status == "booked"

    turns = live.turns(phone.call_sid)
    said = [t for t in turns if t.speaker == "caller"]
    assert len(said) == len(lines)
    assert all(t.text for t in said)
    assert all(t.started_at is not None and t.ended_at is not None for t in said)
    assert all(t.started_at <= t.ended_at for t in said if t.ended_at and t.started_at)
    assert [t.seq for t in turns] == sorted(t.seq for t in turns)
    assert turns[0].speaker == "agent"
    assert turns[-1].speaker == "agent" and "goodbye" in turns[-1].text.lower()

    # The recording: stereo, caller left and agent right, both with sound in them.
    assert call.recording_path
    with wave.open(call.recording_path, "rb") as wav:
        assert wav.getnchannels() == 2
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert np.abs(frames[:, 0]).max() > 1000, "caller channel is silent"
    assert np.abs(frames[:, 1]).max() > 1000, "agent channel is silent"

    # The JSON API: the same call, turns included, behind the operator login.
    async with httpx.AsyncClient(base_url=live.url) as http:
        anonymous = await http.get(f"/api/calls/{phone.call_sid}")
        wrong = await http.get(f"/api/calls/{phone.call_sid}", auth=("admin", "nope"))
        ok = await http.get(f"/api/calls/{phone.call_sid}", auth=("admin", ADMIN_PASSWORD))
        missing = await http.get("/api/calls/CAnothere", auth=("admin", ADMIN_PASSWORD))
    assert anonymous.status_code == 401
    assert wrong.status_code == 401
    assert missing.status_code == 404
    assert ok.status_code == 200
    body = ok.json()
    assert body["status"] == "completed" and body["outcome"] == "completed"
    assert body["recording"] is True
    assert [t["seq"] for t in body["turns"]] == [t.seq for t in turns]
    assert all(t["started_at"] for t in body["turns"])
    assert body["answers"] == []  # the reservation script books; it records no answers


def _assert_private(records: list[logging.LogRecord], loguru_lines: list[str]) -> None:
    """No caller words and no phone number in any log line, stdlib or loguru, at DEBUG."""
    lines = [f"{r.name}: {r.getMessage()}" for r in records] + loguru_lines
    assert len(lines) > 20, "the log capture caught nothing: this check would prove nothing"
    digits = CALLER_NUMBER.lstrip("+")
    for line in lines:
        low = line.lower()
        assert digits not in line and digits[1:] not in line, f"phone number logged: {line}"
        for word in PRIVATE:
            assert word not in low, f"caller text logged: {line}"
