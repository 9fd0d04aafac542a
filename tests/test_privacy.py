"""No caller's number, words or health answer ever reaches a log line (they stay in the DB)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agent.chat import run_chat
from agent.runtime import Runtime
from agent.settings import Settings

PHONE = "+15550177123"
LINES = {
    "wellness_checkin": [
        "Yes, this is Eleanor speaking",
        "I only had a biscuit, I wasn't hungry",
        "Terribly, I was up with my hip",
        "Yes my hip is killing me",
        "my right hip near the scar",
        "4",
        "I feel so lonely since Harold passed",
        "No I forgot my warfarin",
        "Please ask Dr Okafor to ring my daughter Susan",
    ],
    "reservation": [
        "A table for 4 tomorrow at 7pm please",
        "Bartholomew Quincey",
        "Actually make it five people",
        "yes",
        "no",
    ],
}
SECRETS = {
    "wellness_checkin": [
        "biscuit", "hungry", "hip", "scar", "lonely", "Harold", "warfarin", "Okafor", "Susan",
        "ate_little", "slept_poorly", "severe_pain", "missed_medication", "Eleanor",
    ],
    "reservation": ["Bartholomew", "Quincey", "five people"],
}  # fmt: skip


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime.create(Settings(data_dir=tmp_path, _env_file=None))
    yield runtime
    runtime.db.dispose()


@pytest.mark.parametrize("script", sorted(LINES))
def test_no_personal_data_in_logs(
    runtime: Runtime, script: str, caplog: pytest.LogCaptureFixture
) -> None:
    lines = iter(LINES[script])
    written: list[str] = []
    caplog.set_level(logging.DEBUG)
    session = run_chat(
        runtime,
        script,
        person="Mrs Eleanor Kim" if script == "wellness_checkin" else "",
        phone=PHONE,
        read=lambda _prompt: next(lines),
        write=written.append,
        now=dt.datetime(2026, 11, 23, 15, 0, tzinfo=ZoneInfo("America/New_York")),
    )
    assert session.ended, "\n".join(written)
    if script == "wellness_checkin":  # alerts are raised: proof that logging was captured
        assert any("alert raised" in r.getMessage() for r in caplog.records)
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.__dict__}" for r in caplog.records
    )
    said = [line for line in LINES[script] if len(line) > 5]  # "yes" and "4" are in any log
    forbidden = [PHONE, PHONE.removeprefix("+"), "0177123", *said, *SECRETS[script]]
    leaks = [secret for secret in forbidden if secret.lower() in logged.lower()]
    assert not leaks, f"personal data in logs: {leaks}"
