"""TTS over typical calls: real-time factor, time to first audio and phrase-cache hit rate.

Replays the golden reservation conversations (``tests/conversations/reservation/*.yaml``) through
the real dialog engine (``agent.session.CallSession`` on a throw-away SQLite store, at each
conversation's ``now``; pre-existing bookings are not seeded, so a "change my booking" call
takes its not-found path) and speaks every agent turn as production does: the shared Piper
voice, streamed sentence by sentence at 8 kHz, through a ``PhraseCache`` warmed with every
script's fixed prompts (``agent.voice.Voice.warm``). Calls run one after another, so the
numbers are the synthesiser's own, without contention from other calls.

    .venv/bin/python bench/tts_call.py [--tts-threads 1] [--limit 40]

Prints one JSON document and a short table.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e")]

import yaml  # noqa: E402

OUT_RATE = 8000
CONVERSATIONS = ROOT / "tests" / "conversations" / "reservation"


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return round(ordered[int(rank) - 1], 4)


async def speak(synth: Any, cache: Any, text: str) -> tuple[float, float, float]:
    """(seconds to first audio, seconds to all audio, seconds of audio) for one agent turn."""
    started = time.perf_counter()
    first = None
    size = 0
    async for chunk in synth.stream(text, out_rate=OUT_RATE, cache=cache):
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
    return first or 0.0, time.perf_counter() - started, size / 2 / OUT_RATE


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from e2e_kit import test_settings

    from agent.runtime import Runtime
    from agent.session import CallSession
    from agent.voice import PHONE_RATE, fixed_prompts
    from dialog.templates import render
    from dialog.types import UserInput
    from tts.cache import PhraseCache
    from tts.synthesizer import SpeechSynthesizer

    synth = SpeechSynthesizer("", intra_op_threads=args.tts_threads)
    cache = PhraseCache(synth)
    with tempfile.TemporaryDirectory(prefix="anbu-tts-call-") as tmp:
        settings = test_settings(Path(tmp), 0, capacity=100_000)
        runtime = Runtime.create(settings)
        context = runtime.context(caller_number="", now=runtime.now())
        warm_started = time.perf_counter()
        warmed = 0
        for script in runtime.scripts.values():
            phrases = [render(t, context) for t in fixed_prompts(script.model_dump())]
            warmed += cache.warm(phrases, rate=script.voice.speaking_rate, out_rate=PHONE_RATE)
        warm_s = time.perf_counter() - warm_started

        files = sorted(CONVERSATIONS.glob("*.yaml"))[: args.limit]
        cached_first: list[float] = []
        uncached_first: list[float] = []
        rtf: list[float] = []
        per_call: list[float] = []
        turns = 0
        for path in files:
            spec = yaml.safe_load(path.read_text())
            now = dt.datetime.fromisoformat(spec.get("now", "2026-11-23T15:00:00"))
            session = CallSession(
                runtime,
                script=spec.get("script", "reservation"),
                call_sid=f"CATTS{path.stem[:28]}",
                direction="inbound",
                line="bench",
                from_number=spec.get("caller", "+15550100001"),
                to_number="+15550100000",
                now=now,
            )
            before = cache.stats()
            texts = [session.start().text]
            for step in spec.get("turns", []):
                said = step.get("caller")
                if said is None or session.ended:
                    continue
                user = UserInput.dtmf(said[1:]) if said.startswith("#") else UserInput.said(said)
                texts.append(session.handle(user).text)
            for text in texts:
                if not text:
                    continue
                misses_before = cache.stats().misses
                first, total, audio_s = await speak(synth, cache, text)
                missed = cache.stats().misses - misses_before
                turns += 1
                if missed:
                    uncached_first.append(first)
                    rtf.append(total / audio_s if audio_s else 0.0)
                else:
                    cached_first.append(first)
            after = cache.stats()
            hits = after.hits - before.hits
            looked = hits + after.misses - before.misses
            per_call.append(hits / looked if looked else 1.0)
        stats = cache.stats()
        looked_up = stats.hits + stats.misses
        return {
            "bench": "tts_call",
            "machine": {"nproc": os.cpu_count(), "loadavg": [round(x, 2) for x in os.getloadavg()]},
            "voice": synth.voice_id,
            "intra_op_threads": args.tts_threads,
            "calls": len(files),
            "agent_turns": turns,
            "cache_warm": {"sentences": warmed, "seconds": round(warm_s, 1)},
            "cache_hit_rate": round(stats.hits / looked_up, 4) if looked_up else None,
            "cache_hit_rate_per_call_p50": pct(per_call, 50),
            "sentences_looked_up": looked_up,
            "first_audio_cached_turn_s": {
                "p50": pct(cached_first, 50),
                "p95": pct(cached_first, 95),
            },
            "first_audio_uncached_turn_s": {
                "p50": pct(uncached_first, 50),
                "p95": pct(uncached_first, 95),
            },
            "real_time_factor_uncached_turn": {"p50": pct(rtf, 50), "p95": pct(rtf, 95)},
            "turns_cached": len(cached_first),
            "turns_with_synthesis": len(uncached_first),
        }


def table(r: dict[str, Any]) -> str:
    return "\n".join(
        [
            "| calls | turns | cache hit rate | first audio cached p50 | first audio uncached "
            "p50 / p95 | RTF p50 |",
            "|---|---|---|---|---|---|",
            f"| {r['calls']} | {r['agent_turns']} | {r['cache_hit_rate']} | "
            f"{r['first_audio_cached_turn_s']['p50']} s | "
            f"{r['first_audio_uncached_turn_s']['p50']} / {r['first_audio_uncached_turn_s']['p95']}"
            f" s | {r['real_time_factor_uncached_turn']['p50']} |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tts-threads", type=int, default=1, help="0: onnxruntime default")
    parser.add_argument("--limit", type=int, default=100, help="most conversations to replay")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    report = asyncio.run(run(args))
    text = json.dumps(report, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    print(table(report))


if __name__ == "__main__":
    main()
