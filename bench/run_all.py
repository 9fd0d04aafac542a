"""Run every benchmark and print one JSON document (``make bench``).

Each bench runs in its own process (so one's threads and caches cannot colour another's) and
writes its JSON to a temporary file; this collects them under one key each, with the machine
and its load before and after. ``--quick`` runs small versions (ramp to N=4, full window only)
for a smoke check; the full run takes about 15 minutes on 2 cores.

    .venv/bin/python bench/run_all.py [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"


def benches(quick: bool) -> dict[str, list[str]]:
    """Name -> argv (without the output option) of every bench."""
    return {
        "asr_latency": ["asr_bench.py", "--runs", "3" if quick else "10"],
        "tts_latency": ["tts_bench.py", "--runs", "3" if quick else "10"],
        "tts_call": ["tts_call.py", *(["--limit", "5"] if quick else [])],
        "asr_accuracy": ["asr_accuracy.py", "--window-s", "0" if quick else "0,2"],
        "ramp": ["ramp.py", "--n", "1,2,4" if quick else "1,2,4,8,16"],
    }


def run_one(argv: list[str], timeout: float) -> dict[str, Any]:
    """Run one bench; its JSON (via ``--json`` where it has one, else its stdout)."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", ORT_DISABLE_TELEMETRY="1")
    with tempfile.TemporaryDirectory(prefix="anbu-bench-") as tmp:
        out = Path(tmp) / "out.json"
        takes_json = argv[0] not in ("asr_bench.py", "tts_bench.py")
        cmd = [sys.executable, str(BENCH / argv[0]), *argv[1:]]
        if takes_json:
            cmd += ["--json", str(out)]
        started = time.monotonic()
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT, check=False
        )
        result: dict[str, Any]
        if proc.returncode != 0:
            result = {"error": f"exit {proc.returncode}", "stderr_tail": proc.stderr[-2000:]}
        elif takes_json:
            result = json.loads(out.read_text())
        else:
            result = json.loads(proc.stdout)
        result["bench_wall_s"] = round(time.monotonic() - started, 1)
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated bench names")
    parser.add_argument("--timeout", type=float, default=1800.0, help="per bench, seconds")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    chosen = {n for n in args.only.split(",") if n}
    report: dict[str, Any] = {
        "machine": {
            "nproc": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        },
        "quick": args.quick,
        "results": {},
    }
    for name, argv in benches(args.quick).items():
        if chosen and name not in chosen:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        report["results"][name] = run_one(argv, args.timeout)
    report["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(report, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
