"""TTS latency on this machine: time to first audio, real-time factor, cache-hit time.

Uses the bundled Piper voice at the telephone rate (8 kHz), as calls hear it. Prints one JSON
object. Run: ``python bench/tts_bench.py [--runs 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from dataclasses import asdict

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import numpy as np

from tts.cache import PhraseCache
from tts.synthesizer import SpeechSynthesizer

OUT_RATE = 8000
PROMPT = (
    "Thank you for calling Anbu Bistro. I can book a table for you. "
    "What day would you like to come, and for how many people?"
)
SENTENCE = "How many people is the booking for?"


def stats(values: list[float]) -> dict[str, float]:
    """p50/p95 in milliseconds (cache hits take microseconds, so seconds would read 0)."""
    arr = np.asarray(values) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(arr, 50)), 3),
        "p95_ms": round(float(np.percentile(arr, 95)), 3),
    }


async def first_audio(
    synth: SpeechSynthesizer, text: str, cache: PhraseCache | None
) -> tuple[float, float, int]:
    """Seconds to the first chunk, seconds to the last, and bytes of audio."""
    started = time.perf_counter()
    first = 0.0
    size = 0
    async for chunk in synth.stream(text, out_rate=OUT_RATE, cache=cache):
        if not first:
            first = time.perf_counter() - started
        size += len(chunk)
    return first, time.perf_counter() - started, size


async def run(runs: int) -> dict[str, object]:
    t0 = time.perf_counter()
    synth = SpeechSynthesizer("")
    load_s = time.perf_counter() - t0
    synth.render_sentence(SENTENCE, out_rate=OUT_RATE)  # warm-up

    rtf: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        audio = synth.render_sentence(SENTENCE, out_rate=OUT_RATE)
        rtf.append((time.perf_counter() - started) / (len(audio) / 2 / OUT_RATE))

    cold_first, cold_total = [], []
    for _ in range(runs):
        first, total, size = await first_audio(synth, PROMPT, None)
        cold_first.append(first)
        cold_total.append(total)
    prompt_audio_s = size / 2 / OUT_RATE

    cache = PhraseCache(synth)
    warm_started = time.perf_counter()
    cache.warm([PROMPT], out_rate=OUT_RATE)
    warm_s = time.perf_counter() - warm_started
    hit_first, hit_total = [], []
    for _ in range(runs):
        first, total, _ = await first_audio(synth, PROMPT, cache)
        hit_first.append(first)
        hit_total.append(total)

    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "voice": synth.voice_id,
        "voice_rate": synth.sample_rate,
        "out_rate": OUT_RATE,
        "load_s": round(load_s, 2),
        "runs": runs,
        "real_time_factor": {
            "p50": round(float(np.percentile(rtf, 50)), 4),
            "p95": round(float(np.percentile(rtf, 95)), 4),
        },
        "prompt": {"sentences": 3, "audio_s": round(prompt_audio_s, 2)},
        "uncached_time_to_first_audio": stats(cold_first),
        "uncached_time_to_all_audio": stats(cold_total),
        "cache_warm_ms": round(warm_s * 1000, 1),
        "cached_time_to_first_audio": stats(hit_first),
        "cached_time_to_all_audio": stats(hit_total),
        "cache": asdict(cache.stats()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.runs)), indent=2))


if __name__ == "__main__":
    main()
