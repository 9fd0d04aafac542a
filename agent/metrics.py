"""Prometheus metrics for one worker process, served at ``/metrics``.

Nothing here touches the per-call hot path: calls are counted and their turn timings observed
once, when a call ends (from :class:`agent.pipeline.CallResult`), and everything that is a level
rather than an event (active calls, ASR/TTS queues, campaign attempts by state) is read when
Prometheus scrapes. Each app gets its own registry, so several apps in one test process do not
collide, and no label carries anything personal: labels are directions, outcomes, stages and
attempt states, all from small fixed sets.

The horizontal autoscaler scales call workers on ``anbu_active_calls`` (see ``infra/k8s``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, inspect, text

__all__ = ["CONTENT_TYPE", "Metrics"]

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Response latency on a phone line: under ~0.5 s feels instant, over ~2 s callers talk over it.
LATENCY_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0)
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
# CallResult.timings keys → the stage label they are observed under.
STAGES = {
    "end_of_turn_s": "end_of_turn",
    "asr_s": "asr",
    "dialog_s": "dialog",
    "tts_first_audio_s": "tts_first_audio",
}


class _LiveCollector(Collector):
    """Levels read at scrape time: active calls, draining, ASR/TTS queues, phrase cache."""

    def __init__(self, hooks: Callable[[], Any | None]) -> None:
        self._hooks = hooks

    def collect(self) -> Iterable[Metric]:
        hooks = self._hooks()
        active = GaugeMetricFamily("anbu_active_calls", "Calls this worker is on right now")
        accepting = GaugeMetricFamily(
            "anbu_accepting_calls", "1 while this worker takes new calls, 0 while draining"
        )
        active.add_metric([], len(hooks.active) if hooks is not None else 0)
        accepting.add_metric([], 1 if hooks is not None and hooks.accepting else 0)
        yield active
        yield accepting
        voice = getattr(hooks, "voice", None)
        if voice is None:
            return  # models still loading
        asr = voice.recognizer.stats
        yield _gauge("anbu_asr_in_flight", "Whisper decodes running now", asr.in_flight)
        yield _gauge(
            "anbu_asr_queue_waiting", "Utterances waiting for a free Whisper worker", asr.waiting
        )
        yield _counter("anbu_asr_decodes", "Whisper decodes finished", asr.completed)
        tts = voice.synthesizer.stats
        yield _gauge(
            "anbu_tts_sentences_pending",
            "Sentences handed to Piper and not yet rendered (its queue plus work in progress)",
            tts.sentences_started - tts.sentences_done,
        )
        yield _counter("anbu_tts_sentences", "Sentences Piper rendered", tts.sentences_done)
        cache = voice.cache.stats()
        yield _counter("anbu_tts_cache_hits", "Sentences served from the phrase cache", cache.hits)
        yield _counter("anbu_tts_cache_misses", "Sentences not in the phrase cache", cache.misses)


class _CampaignCollector(Collector):
    """``anbu_campaign_attempts{state}``: call attempts per status, counted at scrape time.

    Every worker shares the database, so every worker reports the same numbers; aggregate with
    ``max`` (not ``sum``) across pods. Nothing is reported while the table does not exist.
    """

    def __init__(self, db: Engine) -> None:
        self._db = db

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "anbu_campaign_attempts", "Campaign call attempts by state", labels=["state"]
        )
        try:
            with self._db.connect() as conn:
                if not inspect(conn).has_table("call_attempt"):
                    return
                rows = conn.execute(
                    text("SELECT status, COUNT(*) FROM call_attempt GROUP BY status")
                ).all()
        except Exception:  # a scrape must not fail because the database is briefly away
            log.warning("campaign attempt counts unavailable", exc_info=True)
            return
        for state, count in rows:
            family.add_metric([str(state)], int(count))
        yield family


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    metric = GaugeMetricFamily(name, doc)
    metric.add_metric([], value)
    return metric


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    metric = CounterMetricFamily(name, doc)
    metric.add_metric([], value)
    return metric


class Metrics:
    """The registry of one app; :meth:`call_finished` is what the phone hooks call."""

    def __init__(self, *, hooks: Callable[[], Any | None], db: Engine | None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.calls = Counter(
            "anbu_calls",
            "Calls finished, by direction and the dialog's outcome",
            ["direction", "outcome"],
            registry=self.registry,
        )
        self.response = Histogram(
            "anbu_response_latency_seconds",
            "Caller stops speaking → agent starts answering, per turn",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.stage = Histogram(
            "anbu_turn_stage_seconds",
            "Where a response's time went: end_of_turn, asr, dialog, tts_first_audio",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=self.registry,
        )
        self.asr_decode = Histogram(
            "anbu_asr_decode_seconds",
            "Whisper decode time per utterance",
            buckets=STAGE_BUCKETS,
            registry=self.registry,
        )
        self.asr_queue = Histogram(
            "anbu_asr_queue_wait_seconds",
            "Time an utterance waited for a free Whisper worker",
            buckets=STAGE_BUCKETS,
            registry=self.registry,
        )
        self.greeting = Histogram(
            "anbu_greeting_latency_seconds",
            "Stream start → the greeting starts playing",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_LiveCollector(hooks))
        if db is not None:
            self.registry.register(_CampaignCollector(db))

    def call_finished(self, *, direction: str, outcome: str | None, result: Any | None) -> None:
        """Count a finished call and observe its turns (``result``: a CallResult, or None when
        the pipeline failed before producing one)."""
        self.calls.labels(direction=direction, outcome=outcome or "none").inc()
        if result is None:
            return
        if result.greeting_s is not None:
            self.greeting.observe(result.greeting_s)
        for timing in result.timings:
            self._observe(timing)

    def _observe(self, timing: Mapping[str, float | None]) -> None:
        if (response := timing.get("response_s")) is not None:
            self.response.observe(response)
        for key, stage in STAGES.items():
            if (value := timing.get(key)) is not None:
                self.stage.labels(stage=stage).observe(value)
        if (decode := timing.get("asr_decode_s")) is not None:
            self.asr_decode.observe(decode)
        if (queue := timing.get("asr_queue_s")) is not None:
            self.asr_queue.observe(queue)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
