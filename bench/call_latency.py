"""Response latency of whole phone calls, measured where the caller is: at the phone.

Starts the real server in-process (``agent.app.create_app`` under uvicorn on loopback, in its own
thread and event loop, exactly as ``tests/e2e`` does), phones it with the simulated phone, and
plays reservation calls turn by turn. For every turn it takes, from the phone's own timeline,
the time from the end of the caller's speech (the last voiced 20 ms frame sent) to the first
agent media message received; and from the server (``PhoneHooks.results``) where that time
went: end-of-turn detection, ASR, dialog, TTS first audio. Also the greeting (stream ``start``
sent → first agent audio received).

    .venv/bin/python bench/call_latency.py [--calls 3] [--vad-stop 0.4] [--markdown]

Prints one JSON object (and a markdown table with ``--markdown``). Not a test: timings depend on
the machine and on whatever else is running on it; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e")]  # e2e_kit: the tests' in-process server

import numpy as np  # noqa: E402
from e2e_kit import Live, serve  # noqa: E402
from loguru import logger  # noqa: E402

from agent.runtime import Runtime  # noqa: E402
from agent.simcall import Caller  # noqa: E402
from agent.voice import Voice  # noqa: E402
from telephony.simulator import FRAME_S, SimulatedPhone  # noqa: E402

RESERVATION = [
    "I'd like to book a table please.",
    "Four people.",
    "Tomorrow.",
    "Seven thirty.",
    "It's John Smith.",
    "Yes please.",
    "No thanks, that's all.",
]
PCM_FRAME = 320  # bytes of 8 kHz int16 per 20 ms
VOICED = 500  # int16 peak above which a caller frame counts as speech


class TimedPhone(SimulatedPhone):
    """The simulated phone, with a wall-clock time for every 20 ms tick and every event."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tick_at: dict[int, float] = {}
        self.event_at: list[tuple[float, str, int]] = []  # (monotonic, kind, tick)

    async def _tick_once(self) -> None:
        self.tick_at[self._tick] = time.monotonic()
        await super()._tick_once()

    def _event(self, kind: str, name: str = "", size: int = 0) -> None:
        self.event_at.append((time.monotonic(), kind, self._tick))
        super()._event(kind, name, size)

    def first_media_after(self, at: float) -> float | None:
        for when, kind, _tick in self.event_at:
            if kind == "media" and when >= at:
                return when
        return None


def voiced_frames(pcm: bytes) -> int:
    """How many 20 ms frames of ``pcm`` there are up to and including the last voiced one."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.int32)
    frames = [samples[i : i + PCM_FRAME // 2] for i in range(0, samples.size, PCM_FRAME // 2)]
    loud = [i for i, f in enumerate(frames) if f.size and np.abs(f).max() > VOICED]
    return loud[-1] + 1 if loud else 0


@dataclass
class CallMeasure:
    call_sid: str
    greeting_s: float | None
    turns_s: list[float | None] = field(default_factory=list)
    server: list[dict[str, float | None]] = field(default_factory=list)
    server_greeting_s: float | None = None
    outcome: str | None = None


async def play_call(live: Live, speech: list[bytes]) -> CallMeasure:
    phone = TimedPhone(
        live.url,
        live.settings.webhook_token(),
        public_url=live.settings.public_url,
        from_number="+15550100777",
    )
    async with phone:
        await phone.dial()
        started = time.monotonic()  # `start` has just been sent
        first = await _wait_media(phone, started)
        measure = CallMeasure(phone.call_sid, None if first is None else first - started)
        for pcm in speech:
            await phone.wait_for_agent_silence(quiet_s=0.8, timeout=30)
            if phone.ended.is_set():
                break
            begin_tick = phone._tick  # the caller's first frame goes out on this tick or the next
            await phone.say(pcm, wait=True)
            end_tick = begin_tick + voiced_frames(pcm)
            spoken_end = phone.tick_at.get(end_tick) or time.monotonic()
            reply = await _wait_media(phone, spoken_end)
            measure.turns_s.append(None if reply is None else reply - spoken_end)
        await phone.wait_ended(timeout=30)
    call = await live.wait_finalised(phone.call_sid)
    result = live.hooks.results.get(phone.call_sid)
    if result is not None:
        measure.server = list(result.timings)
        measure.server_greeting_s = result.greeting_s
    measure.outcome = call.outcome
    return measure


async def _wait_media(phone: TimedPhone, after: float, timeout: float = 15.0) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not phone.ended.is_set():
        found = phone.first_media_after(after)
        if found is not None:
            return found
        await asyncio.sleep(0.005)
    return None


def _stats(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(values),
        "p50": round(statistics.median(ordered), 3),
        "p95": round(p95, 3),
        "max": round(ordered[-1], 3),
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def summarise(calls: list[CallMeasure], args: argparse.Namespace) -> dict[str, Any]:
    turns = [t for c in calls for t in c.turns_s if t is not None]
    server = [t for c in calls for t in c.server]
    breakdown = {
        key: _stats([float(v) for t in server if (v := t.get(key)) is not None])
        for key in (
            "end_of_turn_s",
            "asr_s",
            "asr_decode_s",
            "asr_queue_s",
            "hold_s",
            "dialog_s",
            "tts_first_audio_s",
            "response_s",
        )
    }
    return {
        "bench": "call_latency",
        "calls": len(calls),
        "turns_per_call": len(RESERVATION),
        "vad_stop_secs": args.vad_stop,
        "asr_workers": args.asr_workers,
        "response_at_phone_s": _stats(turns),
        "greeting_at_phone_s": _stats([c.greeting_s for c in calls if c.greeting_s is not None]),
        "greeting_server_s": _stats(
            [c.server_greeting_s for c in calls if c.server_greeting_s is not None]
        ),
        "server_breakdown_s": breakdown,
        "missed_turns": sum(1 for c in calls for t in c.turns_s if t is None),
        "outcomes": [c.outcome for c in calls],
        "per_call_turns_s": [[_ms(t) for t in c.turns_s] for c in calls],
        "phone_frame_s": FRAME_S,
        "machine": {"cpus": os.cpu_count(), "loadavg_1m_5m": list(os.getloadavg()[:2])},
        "targets": {"p50_s": 0.7, "p95_s": 1.1, "greeting_s": 0.15},
    }


def markdown(report: dict[str, Any]) -> str:
    rows = [("response at phone", report["response_at_phone_s"])]
    rows += [("greeting at phone", report["greeting_at_phone_s"])]
    rows += [(f"server: {k}", v) for k, v in report["server_breakdown_s"].items()]
    out = ["| measure | n | p50 (ms) | p95 (ms) | max (ms) |", "|---|---|---|---|---|"]
    for name, s in rows:
        cells = ["-" if s[k] is None else f"{1000 * s[k]:.0f}" for k in ("p50", "p95", "max")]
        out.append(f"| {name} | {s['n']} | {' | '.join(cells)} |")
    return "\n".join(out)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="anbu-bench-") as tmp:
        base = Path(tmp)
        from e2e_kit import test_settings

        settings = test_settings(base / "voice", 0, asr_workers=args.asr_workers)
        voice = Voice.load(settings)
        voice.warm(Runtime.create(settings))
        caller = Caller(voice.synthesizer, voice.recognizer)
        speech = [caller.speech(line) for line in RESERVATION]
        overrides = {"vad_stop_secs": args.vad_stop, "record_calls": not args.no_record}
        calls: list[CallMeasure] = []
        with serve(voice, caller, base / "server", **overrides) as live:
            for _ in range(args.calls):
                calls.append(await play_call(live, speech))
        return summarise(calls, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=3, help="reservation calls to play")
    parser.add_argument("--vad-stop", type=float, default=0.4, help="ANBU_VAD_STOP_SECS")
    parser.add_argument("--asr-workers", type=int, default=2, help="ANBU_ASR_WORKERS")
    parser.add_argument("--no-record", action="store_true", help="record_calls=False")
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table")
    args = parser.parse_args()
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    report = asyncio.run(run(args))
    print(json.dumps(report, indent=2))
    if args.markdown:
        print(markdown(report))


if __name__ == "__main__":
    main()
