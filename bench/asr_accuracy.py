"""ASR accuracy on telephone audio, through the real path: 8 kHz mu-law -> 16 kHz -> Whisper.

Three sets:

* **synthetic** (``bench/data/asr/``, made by ``bench/make_asr_set.py``): 30 caller answers in
  three voices (Piper joe, espeak-ng en-us, espeak-ng en-gb female). WER with the number-aware
  normaliser of ``bench/asr_text.py``, and slot accuracy: the dialog's own parsers
  (``dialog.nlu``) on the transcript must give the labelled date, time, party size, number,
  name or yes/no.
* **real** human speech from Debian's ``pocketsphinx-testdata`` (public domain LibriVox
  readings and CMU recordings, BSD licensed; installed by ``infra/ensure-bench-data.sh``, read
  from ``/usr/share/pocketsphinx/test/data`` at run time, not copied into the repo), sent
  through the same phone line. WER only.
* **noise** (``tests/asr/asr_testkit.noise``: silence, hiss, hum, tones, clicks ...): how many
  the recogniser wrongly accepts as speech. A window setting must not weaken the noise guard.

Each ``--window-s`` value is one recogniser configuration (0 is Whisper's full 30 s window), so
one run gives the accuracy cost of a shorter window next to its speed.

    .venv/bin/python bench/asr_accuracy.py [--window-s 0,2] [--hints]

Prints one JSON document and a short table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import wave
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests" / "asr")]

import numpy as np  # noqa: E402
import soxr  # noqa: E402
from asr_testkit import NOISE_KINDS, noise  # noqa: E402
from asr_text import normalise, wer  # noqa: E402
from make_asr_set import parse_slot  # noqa: E402

from asr.recognizer import SpeechRecognizer  # noqa: E402
from tts.resample import float_to_pcm16, mulaw_to_pcm16, pcm16_to_mulaw  # noqa: E402

DATA = ROOT / "bench" / "data" / "asr"
POCKETSPHINX = Path("/usr/share/pocketsphinx/test/data")
PHONE_RATE = 8000
SLOT_HINTS = {
    "party": ["two", "four", "six people"],
    "date": ["today", "tomorrow", "Friday"],
    "time": ["seven thirty", "eight pm"],
    "number": [],
    "name": [],
    "yes_no": ["yes", "no"],
}


def read_wav(path: Path) -> tuple[bytes, int]:
    with wave.open(str(path), "rb") as w:
        return w.readframes(w.getnframes()), w.getframerate()


def phone_line(pcm16: bytes, rate: int) -> bytes:
    """8 kHz PCM16 after a mu-law round trip (what a caller's voice becomes on the line)."""
    x = np.frombuffer(pcm16, dtype="<i2").astype(np.float32) / 32768.0
    narrow = soxr.resample(x, rate, PHONE_RATE, quality="HQ") if rate != PHONE_RATE else x
    return mulaw_to_pcm16(pcm16_to_mulaw(float_to_pcm16(narrow)))


def real_speech() -> list[dict[str, Any]]:
    """(file, text, 8 kHz phone audio) for the pocketsphinx test clips that have transcripts."""
    items: list[dict[str, Any]] = []
    if not POCKETSPHINX.is_dir():
        return items
    for folder, listing in (("librivox", "transcription"), ("cards", "cards.transcription")):
        for line in (POCKETSPHINX / folder / listing).read_text().splitlines():
            if "(" not in line:
                continue
            text, _, uid = line.rpartition("(")
            text = text.replace("<s>", "").replace("</s>", "").strip()
            path = POCKETSPHINX / folder / f"{uid.rstrip(')').strip()}.wav"
            if path.is_file():
                pcm, rate = read_wav(path)
                items.append(
                    {"file": f"{folder}/{path.name}", "text": text, "pcm": pcm, "rate": rate}
                )
    raw = POCKETSPHINX / "goforward.raw"  # 16 kHz PCM16, the pocketsphinx README's example
    if raw.is_file():
        items.append(
            {
                "file": "goforward.raw",
                "text": "go forward ten meters",
                "pcm": raw.read_bytes(),
                "rate": 16000,
            }
        )
    for item in items:
        item["audio"] = phone_line(item.pop("pcm"), item.pop("rate"))
    return items


def evaluate(recognizer: SpeechRecognizer, hints: bool) -> dict[str, Any]:
    manifest = json.loads((DATA / "manifest.json").read_text())
    per_voice: dict[str, dict[str, Any]] = {}
    decode_s: list[float] = []
    misses: list[dict[str, Any]] = []
    for item in manifest["items"]:
        pcm, rate = read_wav(DATA / item["file"])
        kinds = list(item["slots"])
        item_hints = [h for k in kinds for h in SLOT_HINTS[k]] if hints else []
        result = recognizer.transcribe(pcm, sample_rate=rate, hints=item_hints)
        decode_s.append(result.decode_s)
        hyp = "" if result.is_noise else result.text
        v = per_voice.setdefault(item["voice"], {"pairs": [], "slots": {}, "rejected": 0})
        v["pairs"].append((item["text"], hyp))
        v["rejected"] += int(result.is_noise)
        for kind, expected in item["slots"].items():
            got = parse_slot(kind, hyp)
            ok = got == expected
            tally = v["slots"].setdefault(kind, [0, 0])
            tally[0] += int(ok)
            tally[1] += 1
            if not ok:
                misses.append({"file": item["file"], "slot": kind, "want": expected, "got": got})
    synthetic: dict[str, Any] = {}
    all_pairs = []
    slot_ok = slot_n = 0
    for voice, v in per_voice.items():
        rate, errors, words = wer(v["pairs"])
        all_pairs += v["pairs"]
        ok = sum(t[0] for t in v["slots"].values())
        n = sum(t[1] for t in v["slots"].values())
        slot_ok, slot_n = slot_ok + ok, slot_n + n
        synthetic[voice] = {
            "utterances": len(v["pairs"]),
            "wer": round(rate, 4),
            "word_errors": errors,
            "words": words,
            "slot_accuracy": round(ok / n, 4) if n else None,
            "slots": {k: f"{t[0]}/{t[1]}" for k, t in sorted(v["slots"].items())},
            "rejected_as_noise": v["rejected"],
        }
    synthetic["all"] = {
        "wer": round(wer(all_pairs)[0], 4),
        "slot_accuracy": round(slot_ok / slot_n, 4) if slot_n else None,
    }

    real_pairs = []
    real_rows = []
    for item in real_speech():
        result = recognizer.transcribe(item["audio"], sample_rate=PHONE_RATE)
        decode_s.append(result.decode_s)
        hyp = "" if result.is_noise else result.text
        real_pairs.append((item["text"], hyp))
        real_rows.append({"file": item["file"], "ref": item["text"], "hyp": hyp})
    real_rate, real_errors, real_words = wer(real_pairs)

    accepted = []
    for kind in NOISE_KINDS:
        for seconds in (0.6, 2.0):
            for hint_set in ((), ("two", "four", "six people")):
                r = recognizer.transcribe(noise(kind, seconds), hints=hint_set)
                if not r.is_noise:
                    accepted.append(f"{kind}/{seconds}s/{'hints' if hint_set else 'plain'}")
    return {
        "synthetic": synthetic,
        "real": {
            "source": str(POCKETSPHINX),
            "utterances": len(real_pairs),
            "wer": round(real_rate, 4),
            "word_errors": real_errors,
            "words": real_words,
            "transcripts": real_rows,
        },
        "noise": {
            "cases": len(NOISE_KINDS) * 4,
            "accepted_as_speech": len(accepted),
            "accepted": accepted,
        },
        "decode_p50_s": round(statistics.median(decode_s), 3),
        "slot_misses": misses[:40],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--window-s", default="0,2", help="feature windows to compare")
    parser.add_argument("--hints", action="store_true", help="decode with the slot's hints")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    report: dict[str, Any] = {
        "bench": "asr_accuracy",
        "machine": {"nproc": os.cpu_count(), "loadavg": [round(x, 2) for x in os.getloadavg()]},
        "hints": args.hints,
        "normaliser": "bench/asr_text.py: lower-case, no punctuation or fillers, numbers as digits",
        "configs": {},
    }
    for window in [float(w) for w in args.window_s.split(",")]:
        recognizer = SpeechRecognizer("", device="cpu", workers=1, window_s=window)
        started = time.perf_counter()
        result = evaluate(recognizer, args.hints)
        result["wall_s"] = round(time.perf_counter() - started, 1)
        recognizer.close()
        report["configs"][f"window_{window:g}s"] = result
    text = json.dumps(report, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    print(table(report))


def table(report: dict[str, Any]) -> str:
    voices = sorted(next(iter(report["configs"].values()))["synthetic"])
    head = "| config | " + " | ".join(f"{v} WER / slots" for v in voices)
    rows = [head + " | real WER | noise accepted | decode p50 s |"]
    rows.append("|" + "---|" * (len(voices) + 4))
    for name, c in report["configs"].items():
        cells = [
            f"{c['synthetic'][v]['wer']:.3f} / {c['synthetic'][v]['slot_accuracy']}" for v in voices
        ]
        rows.append(
            f"| {name} | " + " | ".join(cells) + f" | {c['real']['wer']:.3f} | "
            f"{c['noise']['accepted_as_speech']}/{c['noise']['cases']} | {c['decode_p50_s']} |"
        )
    return "\n".join(rows)


_ = normalise  # re-exported for callers that want the normaliser next to the bench

if __name__ == "__main__":
    main()
