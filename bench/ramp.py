"""Concurrency ramp: how many simultaneous calls one machine holds, and how fast it answers.

For each level N (``--n 1,2,4,8,16``) N simulated phones dial the real server at once and each
plays a short scripted reservation call (``--turns``, at most 4: party, day and time in one
sentence; the name; "yes please"; "no thanks"). Everything on the agent's side is real: the
server is ``agent.app.create_app`` under uvicorn on loopback (its own thread and event loop,
as in ``tests/e2e``) with one shared ``Voice`` (Silero VAD per call, faster-whisper tiny.en,
Piper with the phrase cache warmed as in production). Names, party sizes and times differ per
call, so the confirmation sentence is synthesised for every call rather than replayed.

The callers' lines are synthesised before the ramp and the phones run in a child process
(``bench/ramp_phones.py``, which also defines latency, underrun and failure precisely), so the
caller side takes no GIL and no synthesis time from the server during measurement.

Per level: response latency p50/p95 at the phone, ASR queue wait and decode (from the server's
``TurnTiming``), server and phone CPU (``resource``), machine load, memory per call (peak RSS
growth of the server process over the level / N), underruns and failed calls. The capacity
figure is the largest N with p95 <= 1.5 s, no underrun and no failed call; the ramp stops after
the first level that misses it (``--keep-going`` to continue).

    .venv/bin/python bench/ramp.py --n 1,2,4,8,16 [--turns 4] [--json out.json]
        [--window-s 0] [--max-batch 0] [--asr-workers 2] [--tts-threads 1]

Prints one JSON document, then a short table. Timings depend on the machine and on whatever
else runs on it: every level records ``nproc`` and the load average.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e"), str(ROOT / "bench")]

P95_LIMIT_S = 1.5
NAMES = [
    "John Smith",
    "Maria Garcia",
    "David Lee",
    "Sarah Johnson",
    "Michael Brown",
    "Emily Davis",
    "James Wilson",
    "Anna Miller",
]
PARTIES = ["two", "three", "four", "five", "six"]
TIMES = ["six", "six thirty", "seven", "seven thirty", "eight", "eight thirty"]


def call_lines(index: int, turns: int) -> list[str]:
    """The caller's lines for call ``index``: a different booking for every call."""
    party = PARTIES[index % len(PARTIES)]
    at = TIMES[(index // len(PARTIES)) % len(TIMES)]
    name = NAMES[index % len(NAMES)]
    lines = [
        f"Hi, can I get a table for {party} tomorrow at {at}?",
        f"It's {name}.",
        "Yes please.",
        "No thanks, that's all.",
    ]
    return lines[:turns]


def rss_bytes() -> int:
    """Resident memory of this (the server's) process."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, for its utilisation over a level."""
    with open("/proc/stat") as f:
        fields = [float(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class Sampler(threading.Thread):
    """Peak RSS of this process while a level runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="ramp-sampler")
        self.peak = rss_bytes()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.25):
            self.peak = max(self.peak, rss_bytes())

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return max(self.peak, rss_bytes())


def pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (p95 of 20 values is the 19th), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return round(ordered[int(rank) - 1], 3)


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def run_level(n: int, live: Any, speech: dict[int, list[bytes]], args: argparse.Namespace) -> Any:
    """One level: N phones at once in a child process; server-side numbers from this one."""
    from ramp_phones import run_level as phones

    cfg = {
        "url": live.url,
        "token": live.settings.webhook_token(),
        "public_url": live.settings.public_url,
        "to_number": "+15550100000",
        "reply_timeout_s": args.reply_timeout,
        "end_timeout_s": args.reply_timeout,
        "stagger_s": args.stagger_s,
        "level_timeout_s": args.level_timeout,
    }
    calls = [speech[i] for i in range(n)]
    recognizer = live.app.state.hooks.voice.recognizer
    asr_before = recognizer.stats
    load_before = os.getloadavg()
    rss_before = rss_bytes()
    busy0, total0 = cpu_times()
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    sampler = Sampler()
    sampler.start()
    started = time.monotonic()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        result = pool.apply(phones, (cfg, calls))
    wall = time.monotonic() - started
    _wait_idle(live, timeout=30.0)
    peak = sampler.stop()
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    busy1, total1 = cpu_times()
    asr_after = recognizer.stats

    records = result["calls"]
    sids = {r["call_sid"] for r in records}
    server = [live.hooks.results[s] for s in sids if s in live.hooks.results]
    timings = [t for res in server for t in res.timings]
    outcomes = [res.end.outcome if res.end is not None else None for res in server]
    turns = [t for r in records for t in r["turns_s"] if t is not None]
    queue = [float(t["asr_queue_s"]) for t in timings if t.get("asr_queue_s") is not None]
    decode = [float(t["asr_decode_s"]) for t in timings if t.get("asr_decode_s") is not None]
    server_resp = [float(t["response_s"]) for t in timings if t.get("response_s") is not None]
    server_cpu = (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime)
    failed = sum(1 for r in records if r["failed"])
    underrun_ticks = sum(r["underrun_ticks"] for r in records)
    p95 = pct(turns, 95)
    level = {
        "n": n,
        "turns_measured": len(turns),
        "response_p50_s": pct(turns, 50),
        "response_p95_s": p95,
        "response_max_s": round(max(turns), 3) if turns else None,
        "greeting_p95_s": pct([r["greeting_s"] for r in records if r["greeting_s"]], 95),
        "server_response_p95_s": pct(server_resp, 95),
        "asr_queue_p50_s": pct(queue, 50),
        "asr_queue_p95_s": pct(queue, 95),
        "asr_decode_p50_s": pct(decode, 50),
        "asr_decode_p95_s": pct(decode, 95),
        "server_p95_s": {
            key: pct([float(t[key]) for t in timings if t.get(key) is not None], 95)
            for key in ("end_of_turn_s", "asr_s", "dialog_s", "tts_first_audio_s")
        },
        "asr_batches": asr_after.batches - asr_before.batches,
        "asr_peak_batch": asr_after.peak_batch,
        "underrun_ticks": underrun_ticks,
        "underrun_episodes": sum(r["underrun_episodes"] for r in records),
        "underrun_at_ticks": sorted(t for r in records for t in r["underrun_at"])[:20],
        "agent_audio_s": round(sum(r["agent_ticks"] for r in records) * 0.02, 1),
        "failed_calls": failed,
        "outcomes": {str(o): outcomes.count(o) for o in sorted(set(outcomes), key=str)},
        "errors": sorted({r["error"] for r in records if r["error"]})[:5],
        "wall_s": round(wall, 1),
        "server_cpu_s": round(server_cpu, 1),
        "server_cpu_cores": round(server_cpu / wall, 2) if wall else None,
        "phone_cpu_s": result["phone_cpu_s"],
        "machine_cpu_util": round((busy1 - busy0) / max(1.0, total1 - total0), 3),
        "rss_before_mb": round(rss_before / 2**20, 1),
        "rss_peak_mb": round(peak / 2**20, 1),
        "memory_per_call_mb": round((peak - rss_before) / 2**20 / n, 2),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "nproc": os.cpu_count(),
    }
    level["passes"] = bool(
        p95 is not None
        and p95 <= args.p95_limit
        and underrun_ticks == 0
        and failed == 0
        and len(turns) == n * args.turns
    )
    return level


def _wait_idle(live: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while live.hooks.active and time.monotonic() < deadline:
        time.sleep(0.1)


def build_voice(args: argparse.Namespace, settings: Any) -> Any:
    from agent.runtime import Runtime
    from agent.voice import Voice
    from asr.recognizer import SpeechRecognizer
    from tts.cache import PhraseCache
    from tts.synthesizer import SpeechSynthesizer

    recognizer = SpeechRecognizer(
        "",
        device=args.device,
        workers=args.asr_workers,
        cpu_threads=args.asr_threads,
        window_s=args.window_s,
        max_batch=args.max_batch,
        batch_wait_s=args.batch_wait_ms / 1000,
    )
    synthesizer = SpeechSynthesizer(
        "", workers=args.tts_workers, device=args.tts_device, intra_op_threads=args.tts_threads
    )
    voice = Voice(recognizer, synthesizer, PhraseCache(synthesizer))
    voice.warm(Runtime.create(settings))
    return voice


def config(args: argparse.Namespace, voice: Any) -> dict[str, Any]:
    r, s = voice.recognizer, voice.synthesizer
    return {
        "label": args.label,
        "turns": args.turns,
        "stagger_s": args.stagger_s,
        "record_calls": not args.no_record,
        "asr": {
            "device": f"{r.device}/{r.compute_type}",
            "workers": r.workers,
            "cpu_threads": r.cpu_threads,
            "window_s": r.window_s,
            "max_batch": r.max_batch,
            "batch_wait_ms": args.batch_wait_ms,
        },
        "tts": {
            "workers": args.tts_workers,
            "intra_op_threads": args.tts_threads,
            "providers": [p if isinstance(p, str) else p[0] for p in s.providers],
        },
        "p95_limit_s": args.p95_limit,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from e2e_kit import serve, test_settings

    from agent.simcall import Caller

    levels = [int(x) for x in args.n.split(",") if x.strip()]
    with tempfile.TemporaryDirectory(prefix="anbu-ramp-") as tmp:
        base = Path(tmp)
        settings = test_settings(base / "voice", 0)
        voice = build_voice(args, settings)
        caller = Caller(voice.synthesizer, voice.recognizer)
        started = time.monotonic()
        speech = {
            i: [caller.speech(line) for line in call_lines(i, args.turns)]
            for i in range(max(levels))
        }
        prepare_s = time.monotonic() - started
        report: dict[str, Any] = {
            "bench": "ramp",
            "machine": machine(),
            "config": config(args, voice),
            "caller_audio_prepared_s": round(prepare_s, 1),
            "levels": [],
        }
        overrides = {"record_calls": not args.no_record, "capacity": 100_000}
        with serve(voice, caller, base / "server", **overrides) as live:
            for n in levels:
                level = run_level(n, live, speech, args)
                report["levels"].append(level)
                print(_row(level), file=sys.stderr, flush=True)
                if not level["passes"] and not args.keep_going:
                    break
        passing = [lv["n"] for lv in report["levels"] if lv["passes"]]
        report["capacity"] = max(passing) if passing else 0
        report["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
        return report


HEADER = (
    "| N | p50 s | p95 s | ASR queue p95 s | ASR decode p50 s | server CPU cores | "
    "MB/call | underrun ticks | failed | load 1m | pass |"
)


def _row(level: dict[str, Any]) -> str:
    cells = [
        level["n"],
        level["response_p50_s"],
        level["response_p95_s"],
        level["asr_queue_p95_s"],
        level["asr_decode_p50_s"],
        level["server_cpu_cores"],
        level["memory_per_call_mb"],
        level["underrun_ticks"],
        level["failed_calls"],
        level["loadavg_before"][0],
        "yes" if level["passes"] else "no",
    ]
    return "| " + " | ".join("-" if c is None else str(c) for c in cells) + " |"


def table(report: dict[str, Any]) -> str:
    rows = [HEADER, "|" + "---|" * 11]
    rows += [_row(level) for level in report["levels"]]
    rows.append(f"capacity (p95 <= {report['config']['p95_limit_s']} s, no underrun, no failure):")
    rows[-1] += f" {report['capacity']}"
    return "\n".join(rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", default="1,2,4,8,16", help="levels, comma-separated")
    parser.add_argument("--turns", type=int, default=4, choices=range(1, 5))
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    parser.add_argument("--label", default="", help="a name for this configuration")
    parser.add_argument("--device", default="cpu", help="ASR device: cpu, cuda, auto")
    parser.add_argument("--tts-device", default="cpu", help="TTS device: cpu, cuda, auto")
    parser.add_argument("--asr-workers", type=int, default=2)
    parser.add_argument("--asr-threads", type=int, default=0, help="0: cores / workers")
    parser.add_argument("--window-s", type=float, default=0.0, help="0: Whisper's 30 s")
    parser.add_argument("--max-batch", type=int, default=0, help="0: by device")
    parser.add_argument("--batch-wait-ms", type=float, default=15.0)
    parser.add_argument("--tts-workers", type=int, default=2)
    parser.add_argument("--tts-threads", type=int, default=1, help="0: onnxruntime default")
    parser.add_argument("--stagger-s", type=float, default=0.0, help="delay between dials")
    parser.add_argument("--reply-timeout", type=float, default=12.0)
    parser.add_argument("--level-timeout", type=float, default=150.0)
    parser.add_argument("--p95-limit", type=float, default=P95_LIMIT_S)
    parser.add_argument("--no-record", action="store_true", help="record_calls=False")
    parser.add_argument("--keep-going", action="store_true", help="run every level")
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    report = run(args)
    text = json.dumps(report, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    print(table(report))


if __name__ == "__main__":
    main()
