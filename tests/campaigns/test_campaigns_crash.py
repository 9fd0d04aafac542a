"""Crashes and concurrency with real processes: nothing lost, nothing dialled twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MONDAY_9AM_NY, make_campaign
from fake_twilio import FakeTwilio
from sqlalchemy import Engine, inspect
from sqlmodel import select

from store.db import session_scope
from store.models import CallAttempt

WORKER = Path(__file__).with_name("campaign_worker.py")
# Monday 10:00 New York: inside every person's window.
START = MONDAY_9AM_NY.replace(hour=15).isoformat()


def spawn(db_url: str, fake: FakeTwilio, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(WORKER.parent)}
    return subprocess.Popen(
        [sys.executable, str(WORKER), db_url, fake.url, START, mode],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def people(n: int) -> list[tuple[str, str, str]]:
    return [(f"P{i}", f"+1212555{i:04d}", "America/New_York") for i in range(n)]


def settled(engine: Engine) -> list[CallAttempt]:
    with session_scope(engine) as s:
        return list(s.exec(select(CallAttempt)))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_kill_mid_campaign_and_restart(
    engine: Engine, db_url: str, fake_twilio: FakeTwilio
) -> None:
    numbers = [p[1] for p in people(30)]
    make_campaign(engine, people(30), calls_per_second=50.0, max_concurrent=100)
    fake_twilio.hold_from = 10  # the 10th create reaches Twilio, its reply never comes back
    first = spawn(db_url, fake_twilio, "sole")
    assert fake_twilio.holding.wait(60), first.stderr.read() if first.poll() is not None else ""
    first.send_signal(signal.SIGKILL)  # mid-request: the call exists, the process never knew
    first.wait(10)
    fake_twilio.hold_from = None
    with session_scope(engine) as s:
        stuck = [a.status for a in s.exec(select(CallAttempt))]
    assert "dialing" in stuck  # the crash really left an attempt in the ambiguous state
    assert "apscheduler_jobs" in inspect(engine).get_table_names()
    second = spawn(db_url, fake_twilio, "sole")
    _out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert sorted(c.to for c in fake_twilio.creates) == sorted(numbers)  # each exactly once
    rows = settled(engine)
    assert len(rows) == 30
    assert all(a.status == "ringing" and a.call_sid for a in rows)
    assert len({a.call_sid for a in rows}) == 30


@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_two_schedulers_never_double_dial(
    engine: Engine, db_url: str, fake_twilio: FakeTwilio
) -> None:
    n = 300
    make_campaign(engine, people(n), calls_per_second=60.0, max_concurrent=1000)
    workers = [spawn(db_url, fake_twilio, "shared") for _ in range(2)]
    for worker in workers:
        _out, err = worker.communicate(timeout=150)
        assert worker.returncode == 0, err
    dialled = [c.to for c in fake_twilio.creates]
    assert len(dialled) == n and len(set(dialled)) == n  # zero double dials
    rows = settled(engine)
    assert len(rows) == n and all(a.call_sid for a in rows)
    assert len({a.claimed_by for a in rows}) == 2  # both processes really dialled


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_restart_adopts_the_killed_process_fresh_dial(
    engine: Engine, db_url: str, fake_twilio: FakeTwilio
) -> None:
    """Killed while Twilio was creating a call, restarted at once as an ordinary (not sole)
    scheduler: the fresh ``dialing`` attempt is found at Twilio and adopted, never re-dialled
    (and not left to wait two minutes as stale)."""
    numbers = [p[1] for p in people(3)]
    make_campaign(engine, people(3), calls_per_second=1.0, max_concurrent=100)
    fake_twilio.hold_from = 1
    first = spawn(db_url, fake_twilio, "sole")
    assert fake_twilio.holding.wait(60), first.stderr.read() if first.poll() is not None else ""
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    fake_twilio.hold_from = None
    with session_scope(engine) as s:
        stuck = [
            (a.status, a.call_sid) for a in s.exec(select(CallAttempt)) if a.status != "pending"
        ]
    assert stuck == [("dialing", None)]
    held = fake_twilio.creates[0].sid
    second = spawn(db_url, fake_twilio, "shared")
    _out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert sorted(c.to for c in fake_twilio.creates) == sorted(numbers)  # each exactly once
    rows = settled(engine)
    assert [a.status for a in rows] == ["ringing"] * 3
    assert held in {a.call_sid for a in rows} and len({a.call_sid for a in rows}) == 3
