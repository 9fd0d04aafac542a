"""One scheduler and two workers on a fresh PostgreSQL database, as the manifests deploy them:
the workers serve calls (``ANBU_CAMPAIGNS_ENABLED=false``), the scheduler only dials.

Without Twilio the scheduler's simulated phone rings the workers in turn
(``ANBU_SIMULATED_DIAL_URL``), as Twilio rings the load balancer. A campaign of four people runs
two calls at a time; the scheduler is sent SIGTERM while its first two calls are in progress:
it stops claiming, lets those calls finish, exits 0, and a restarted scheduler calls the other
two. Every person is called exactly once, by a worker; the scheduler serves none.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cluster_kit import Worker, free_port, metric_value, worker_env
from sqlalchemy import Engine
from sqlmodel import col, select

from store import campaigns as campaign_store
from store import make_engine, upgrade
from store.db import session_scope
from store.models import Answer, CallAttempt, Turn
from store.models import Call as CallRow
from store.people import get_or_create_person

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

PEOPLE = [
    ("Ada Byrne", "+12125550131"),
    ("Ben Okafor", "+12125550132"),
    ("Cleo Marsh", "+12125550133"),
    ("Dev Rao", "+12125550134"),
]
# Short check-ins: who they are, what they ate (an answer to record), goodbye.
SAYS = ["Yes, speaking.", "I had soup and bread for lunch.", "Goodbye, thank you."]
OUTBOUND_DONE = {"direction": "outbound", "outcome": "completed"}


def local_day_zone(now: dt.datetime) -> str:
    """A time zone where a 00:00-23:59 window is open now and for the next half hour."""
    for zone in ("America/New_York", "Europe/London", "Asia/Tokyo"):
        local = now.astimezone(ZoneInfo(zone))
        if dt.time(0, 5) <= local.time() <= dt.time(23, 20):
            return zone
    raise AssertionError("unreachable: the zones are hours apart")


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def attempts(db: Engine) -> list[CallAttempt]:
    with session_scope(db) as s:
        return list(s.exec(select(CallAttempt).order_by(col(CallAttempt.id))))


def by_status(db: Engine, status: str) -> list[CallAttempt]:
    return [a for a in attempts(db) if a.status == status]


def log_time(process: Worker, message: str) -> dt.datetime:
    """When ``process`` logged ``message`` (its JSON record's timestamp)."""
    for record in process.records():
        if str(record["msg"]).startswith(message):
            return dt.datetime.fromisoformat(record["ts"])
    raise AssertionError(f"{process.name} never logged {message!r}:\n{process.output()}")


def create_campaign(db: Engine, zone: str) -> int:
    with session_scope(db) as s:
        campaign = campaign_store.create_campaign(
            s,
            name="cluster check-ins",
            script="wellness_checkin",
            days="mon,tue,wed,thu,fri,sat,sun",
            window_start="00:00",
            window_end="23:59",
            max_concurrent=2,
            calls_per_second=1.0,
            max_attempts_per_window=1,  # a second call to anyone can only be a double dial
        )
        assert campaign.id is not None
        for name, phone in PEOPLE:
            person = get_or_create_person(s, name=name, phone=phone, timezone=zone, consent=True)
            assert person.id is not None
            campaign_store.add_member(s, campaign.id, person.id)
        campaign_store.set_state(s, campaign.id, "running")
        return campaign.id


def test_one_scheduler_two_workers_and_a_scheduler_restart(
    pg_server,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    db_url = pg_server.create_database()
    upgrade(db_url)  # the processes would migrate too; done once here so they start together
    db = make_engine(db_url)
    ports = {"a": free_port(), "b": free_port()}
    worker_urls = ",".join(f"http://127.0.0.1:{p}" for p in ports.values())
    workers = {
        name: Worker(
            name=name,
            port=port,
            data_dir=tmp_path / name,
            log_path=tmp_path / f"{name}.log",
            env=worker_env(tmp_path / name, port, db_url, ANBU_CAMPAIGNS_ENABLED="false"),
        )
        for name, port in ports.items()
    }

    def scheduler(name: str) -> Worker:
        port = free_port()
        env = worker_env(
            tmp_path / name,
            port,
            db_url,
            ANBU_CAMPAIGNS_ENABLED="true",
            ANBU_CAMPAIGN_TICK_SECS="0.5",
            ANBU_SIMULATED_DIAL_URL=worker_urls,
            ANBU_SIMULATED_ANSWERS="|".join(SAYS),
        )
        return Worker(name, port, tmp_path / name, tmp_path / f"{name}.log", env)

    first, second = scheduler("scheduler-1"), scheduler("scheduler-2")
    everyone = [*workers.values(), first, second]
    try:
        for process in [*workers.values(), first]:
            process.start()
        for process in [*workers.values(), first]:
            process.wait_ready()
        campaign_id = create_campaign(db, local_day_zone(dt.datetime.now(dt.UTC)))

        # Two calls at once (the campaign's cap), both answered on the workers.
        wait_until(
            lambda: len(by_status(db, "in_progress")) == 2, timeout=90, what="two live calls"
        )
        assert metric_value(first.metrics(), "anbu_active_calls") == 0
        assert [metric_value(w.metrics(), "anbu_active_calls") for w in workers.values()] == [
            1,
            1,
        ]
        first_owner = {a.claimed_by for a in by_status(db, "in_progress")}
        assert len(first_owner) == 1 and None not in first_owner
        first.terminate()  # SIGTERM mid-campaign, both calls in progress

        assert first.proc is not None
        assert first.proc.wait(150) == 0, first.output()
        drain_began = log_time(first, "draining")
        drained = log_time(first, "drained")
        rows = attempts(db)
        claimed = [a for a in rows if a.claimed_by in first_owner]
        assert len(claimed) == 2 and all(a.claimed_at is not None for a in claimed)
        assert all(a.claimed_at <= drain_began for a in claimed if a.claimed_at)
        # Nothing was claimed after the drain began, though the cap had room once the calls
        # ended: the other two people wait, unclaimed.
        assert sorted((a.status, a.claimed_by) for a in rows if a not in claimed) == [
            ("pending", None),
            ("pending", None),
        ]
        # The calls in flight ran to their goodbye before the scheduler exited.
        with session_scope(db) as s:
            for a in claimed:
                assert (a.status, a.outcome) == ("done", "completed")
                call = s.exec(select(CallRow).where(CallRow.call_sid == a.call_sid)).one()
                assert call.outcome == "completed" and call.ended_at is not None
                assert call.ended_at <= drained

        # A new scheduler calls the rest, and nobody twice.
        second.start()
        second.wait_ready()
        wait_until(
            lambda: len(by_status(db, "done")) == len(PEOPLE), timeout=120, what="every call"
        )
        rows = attempts(db)
        assert sorted(a.to_number for a in rows) == sorted(p for _n, p in PEOPLE)
        assert all((a.status, a.outcome) == ("done", "completed") for a in rows)
        later = {a.claimed_by for a in rows} - first_owner
        assert len(later) == 1 and None not in later
        with session_scope(db) as s:
            assert campaign_store.outcome_counts(s, campaign_id) == {"completed": len(PEOPLE)}
            calls = list(s.exec(select(CallRow)))
            assert sorted(c.to_number for c in calls) == sorted(p for _n, p in PEOPLE)
            assert {c.call_sid for c in calls} == {a.call_sid for a in rows}
            for call in calls:
                assert call.direction == "outbound" and call.outcome == "completed"
                assert call.id is not None and call.person_id is not None
                answers = {
                    a.key: a.value for a in s.exec(select(Answer).where(Answer.call_id == call.id))
                }
                turns = s.exec(select(Turn).where(Turn.call_id == call.id)).all()
                assert "meals" in answers, [(t.speaker, t.text) for t in turns]
            spoken = [t.text for t in s.exec(select(Turn)) if t.text]

        # Served by the workers, two each (the dialler alternates); never by a scheduler.
        for worker in workers.values():
            assert metric_value(worker.metrics(), "anbu_calls_total", OUTBOUND_DONE) == 2
        assert metric_value(second.metrics(), "anbu_calls_total", OUTBOUND_DONE) == 0
        served = {
            name: {r["call_sid"] for r in w.records() if r.get("call_sid")}
            for name, w in workers.items()
        }
        assert served["a"] | served["b"] == {c.call_sid for c in calls}
        assert not served["a"] & served["b"]
        for process in (first, second):
            assert not [r for r in process.records() if r.get("call_sid")]

        # Nothing personal in anyone's logs: numbers, names, what was said.
        everything = "\n".join(str(r) for p in everyone for r in p.records()).lower()
        for name, phone in PEOPLE:
            assert phone not in everything and phone.removeprefix("+") not in everything
            assert not re.search(rf"\b{name.split()[1].lower()}\b", everything), "a name"
        for text in (t for t in [*SAYS, *spoken] if len(t) >= 12):
            assert text.lower() not in everything, f"logged what was said: {text!r}"
    finally:
        for process in everyone:
            process.stop()
        db.dispose()
        pg_server.drop_database(db_url)
