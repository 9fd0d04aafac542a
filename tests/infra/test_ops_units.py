"""The operations pieces on their own: log format, metrics, drain, concurrent migrations."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from cluster_kit import metric_value
from loguru import logger
from sqlalchemy import inspect

from agent.drain import DRAIN_MESSAGE, Drain, draining_refusal
from agent.logs import bind_call, configure_logging, redact, set_call_id
from agent.metrics import Metrics
from store import make_engine, upgrade
from store.db import session_scope
from store.models import CallAttempt


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("info", json_format=True, stream=stream)
    yield stream
    configure_logging("warning", json_format=False)


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_json_records_carry_the_call_from_logging_loguru_tasks_and_threads(
    log_stream: io.StringIO,
) -> None:
    log = logging.getLogger("anbu.test")

    async def call() -> None:
        with bind_call("CA123"):
            set_call_id(7)
            log.info("stdlib in the call")
            logger.info("loguru in the call")
            await asyncio.create_task(asyncio.sleep(0))
            await asyncio.to_thread(log.info, "from a worker thread")
        log.info("after the call")

    asyncio.run(call())
    records = _records(log_stream)
    by_msg = {r["msg"]: r for r in records}
    for msg in ("stdlib in the call", "loguru in the call", "from a worker thread"):
        assert (by_msg[msg]["call_sid"], by_msg[msg]["call_id"]) == ("CA123", 7)
    assert "call_sid" not in by_msg["after the call"]
    assert by_msg["loguru in the call"]["level"] == "INFO"


def test_loguru_debug_is_dropped_even_at_debug_level() -> None:
    """pipecat logs spoken text at DEBUG."""
    stream = io.StringIO()
    configure_logging("debug", json_format=True, stream=stream)
    try:
        logger.debug("Generating TTS [the caller's words]")
    finally:
        configure_logging("warning")
    assert "caller's words" not in stream.getvalue()


def test_phone_numbers_are_redacted_in_messages_and_tracebacks(log_stream: io.StringIO) -> None:
    log = logging.getLogger("anbu.test")
    log.warning("dial failed for %s", "+15550100777")
    try:
        raise ValueError("bad number (555) 010-0777")
    except ValueError:
        log.exception("oops")
    text = log_stream.getvalue()
    assert "0100777" not in text and "010-0777" not in text
    assert text.count("[redacted]") >= 2  # the message, the exception (and its source line)
    # Not phone numbers: call SIDs, dates, ports, durations.
    kept = "CA0123456789abcdef0123456789abcdef 2026-11-23 12:00:00 port 8000 took 1.25 s"
    assert redact(kept) == kept


@dataclass
class FakeStats:
    in_flight: int = 1
    waiting: int = 2
    completed: int = 3
    sentences_started: int = 5
    sentences_done: int = 4


@dataclass
class FakeCache:
    def stats(self) -> Any:
        return type("S", (), {"hits": 6, "misses": 7})()


@dataclass
class FakeVoice:
    recognizer: Any = field(default_factory=lambda: type("R", (), {"stats": FakeStats()})())
    synthesizer: Any = field(default_factory=lambda: type("T", (), {"stats": FakeStats()})())
    cache: FakeCache = field(default_factory=FakeCache)


@dataclass
class FakeHooks:
    active: dict[str, Any] = field(default_factory=dict)
    answered: dict[str, float] = field(default_factory=dict)
    accepting: bool = True
    voice: FakeVoice = field(default_factory=FakeVoice)


@dataclass
class FakeResult:
    timings: list[dict[str, float | None]]
    greeting_s: float | None = 0.3


def test_metrics_from_finished_calls_and_live_levels() -> None:
    hooks = FakeHooks(active={"CA1": object(), "CA2": object()})
    metrics = Metrics(hooks=lambda: hooks, db=None)
    timing = {
        "end_of_turn_s": 0.4,
        "asr_s": 0.2,
        "dialog_s": 0.05,
        "tts_first_audio_s": 0.1,
        "response_s": 0.75,
        "asr_decode_s": 0.15,
        "asr_queue_s": 0.05,
    }
    metrics.call_finished(direction="inbound", outcome="completed", result=FakeResult([timing] * 3))
    metrics.call_finished(direction="outbound", outcome=None, result=None)
    text = metrics.render().decode()

    assert metric_value(text, "anbu_active_calls") == 2
    assert metric_value(text, "anbu_accepting_calls") == 1
    inbound = {"direction": "inbound", "outcome": "completed"}
    assert metric_value(text, "anbu_calls_total", inbound) == 1
    assert metric_value(text, "anbu_calls_total", {"direction": "outbound", "outcome": "none"}) == 1
    assert metric_value(text, "anbu_response_latency_seconds_count") == 3
    assert metric_value(text, "anbu_response_latency_seconds_bucket", {"le": "0.8"}) == 3
    assert metric_value(text, "anbu_response_latency_seconds_bucket", {"le": "0.6"}) == 0
    assert metric_value(text, "anbu_turn_stage_seconds_count", {"stage": "asr"}) == 3
    assert metric_value(text, "anbu_asr_queue_wait_seconds_count") == 3
    assert metric_value(text, "anbu_asr_queue_waiting") == 2
    assert metric_value(text, "anbu_tts_sentences_pending") == 1
    assert metric_value(text, "anbu_tts_cache_hits_total") == 6

    hooks.accepting = False
    assert metric_value(metrics.render().decode(), "anbu_accepting_calls") == 0


def test_campaign_attempts_by_state_are_counted_at_scrape_time(engine: Any) -> None:
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:
        for i, status in enumerate(["pending", "pending", "dialing", "done"]):
            s.add(
                CallAttempt(
                    script="wellness_checkin",
                    to_number=f"+1555010{i:04d}",
                    window_start=now,
                    window_end=now,
                    due_at=now,
                    attempt_no=i + 1,
                    status=status,
                )
            )
    metrics = Metrics(hooks=lambda: None, db=engine)
    text = metrics.render().decode()
    assert metric_value(text, "anbu_campaign_attempts", {"state": "pending"}) == 2
    assert metric_value(text, "anbu_campaign_attempts", {"state": "dialing"}) == 1
    assert "+1555010" not in text


def test_drain_refusal_redirects_or_apologises() -> None:
    redirect = draining_refusal("https://anbu.example.org/twilio/voice")
    assert redirect.twiml is not None
    assert '<Redirect method="POST">https://anbu.example.org/twilio/voice</Redirect>' in (
        redirect.twiml
    )
    polite = draining_refusal("")
    assert polite.twiml is None and polite.say == DRAIN_MESSAGE


async def test_drain_stops_the_scheduler_first_then_waits_for_calls() -> None:
    hooks = FakeHooks(active={"CA1": object()})
    drain = Drain(timeout_s=30)
    order: list[str] = []

    async def stop_scheduler() -> None:
        order.append(f"scheduler stopped, accepting={hooks.accepting}")

    drain.on_drain(stop_scheduler)
    task = asyncio.create_task(drain.run(hooks))
    await asyncio.sleep(0.5)
    assert not task.done() and drain.draining
    assert order == ["scheduler stopped, accepting=False"]
    hooks.active.clear()
    assert await asyncio.wait_for(task, 5) is True


async def test_drain_gives_up_at_its_timeout() -> None:
    hooks = FakeHooks(active={"CA1": object()})
    assert await Drain(timeout_s=0.3).run(hooks) is False


@pytest.mark.postgres
def test_upgrade_concurrently(pg_server: Any) -> None:
    """Workers starting together on a fresh database: one migrates, the others wait."""
    url = pg_server.create_database()
    errors: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    engine = make_engine(url)
    try:
        assert inspect(engine).has_table("call")
    finally:
        engine.dispose()
        pg_server.drop_database(url)
