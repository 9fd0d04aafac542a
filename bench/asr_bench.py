"""ASR latency on this machine: decode time by utterance length and beam, and queue wait.

Utterances are the bundled Piper voice (generator noise off, so runs are comparable) sent
through a simulated phone line (8 kHz mu-law) and fed at 8 kHz, as the STT service feeds them.
Prints one JSON object. Run: ``python bench/asr_bench.py [--runs 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import numpy as np
import soxr
from piper import PiperVoice, SynthesisConfig

from asr.recognizer import SpeechRecognizer
from tts.resample import float_to_pcm16, mulaw_to_pcm16, pcm16_to_mulaw
from tts.voice import bundled_voice

UTTERANCES = {
    "1s": "Yes, please.",
    "3s": "A table for four people tomorrow at seven.",
    "8s": (
        "Hi, I would like to book a table for four people tomorrow evening at seven thirty, "
        "and one of us uses a wheelchair, so somewhere near the door would be great."
    ),
}


def phone_audio(voice: PiperVoice, text: str) -> bytes:
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, volume=0.9)
    pcm = b"".join(c.audio_int16_bytes for c in voice.synthesize(text, config))
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    narrow = float_to_pcm16(soxr.resample(x, voice.config.sample_rate, 8000, quality="HQ"))
    return mulaw_to_pcm16(pcm16_to_mulaw(narrow))


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


async def concurrent(recognizer: SpeechRecognizer, audio: bytes, n: int) -> dict[str, float]:
    started = time.perf_counter()
    results = await asyncio.gather(
        *(recognizer.transcribe_async(audio, sample_rate=8000) for _ in range(n))
    )
    waits = [r.queue_wait_s for r in results]
    return {
        "requests": n,
        "wall_s": round(time.perf_counter() - started, 3),
        "queue_wait_p50_s": round(statistics.median(waits), 3),
        "queue_wait_max_s": round(max(waits), 3),
        "decode_p50_s": round(statistics.median(r.decode_s for r in results), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    model, config = bundled_voice()
    voice = PiperVoice.load(model, config_path=config)
    clips = {name: phone_audio(voice, text) for name, text in UTTERANCES.items()}

    t0 = time.perf_counter()
    recognizer = SpeechRecognizer("", workers=args.workers)
    load_s = time.perf_counter() - t0
    recognizer.transcribe(clips["1s"], sample_rate=8000)  # warm-up

    decode: dict[str, dict[str, float]] = {}
    for name, audio in clips.items():
        for beam in (1, 5):
            times = [
                recognizer.transcribe(audio, sample_rate=8000, beam_size=beam).decode_s
                for _ in range(args.runs)
            ]
            decode[f"{name}_beam{beam}"] = {
                "audio_s": round(len(audio) / 2 / 8000, 2),
                "p50_s": round(percentile(times, 50), 3),
                "p95_s": round(percentile(times, 95), 3),
            }

    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "model": recognizer.model_path,
        "device": f"{recognizer.device}/{recognizer.compute_type}",
        "workers": recognizer.workers,
        "load_s": round(load_s, 2),
        "runs": args.runs,
        "decode": decode,
        "concurrent_4x3s": asyncio.run(concurrent(recognizer, clips["3s"], 4)),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
