"""Generate the synthetic telephone ASR test set under ``bench/data/asr/``.

Short caller answers a reservation or check-in line hears (dates, times, party sizes, numbers,
names, yes/no), spoken by three synthetic voices so that the score is not one voice's:

* ``piper``: the bundled Piper voice (en_US joe), with its default generator noise;
* ``espeak-us``: Debian's ``espeak-ng -v en-us`` (a formant voice, very unlike Piper);
* ``espeak-gb-f``: ``espeak-ng -v en-gb+f3`` (British, female variant).

Each utterance goes through what a phone call does to it (down to 8 kHz, G.711 mu-law and back)
and is stored as 8 kHz 16-bit mono WAV, so the bench reads exactly the bytes Twilio would carry.
``manifest.json`` holds the text and the slot values the dialog's own parsers must get from it
(hand-labelled, and checked here against the parsers on the reference text).

    .venv/bin/python bench/make_asr_set.py     # needs espeak-ng: infra/ensure-bench-data.sh

The generated WAVs are committed (about 4 MB) so results are comparable across machines even if
a voice package changes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import soxr  # noqa: E402

from dialog.nlu import (  # noqa: E402
    parse_date,
    parse_name,
    parse_number,
    parse_party_size,
    parse_time,
    parse_yes_no,
)
from tts.resample import float_to_pcm16, mulaw_to_pcm16, pcm16_to_mulaw  # noqa: E402

OUT = ROOT / "bench" / "data" / "asr"
TODAY = dt.date(2026, 11, 23)  # a Monday: "tomorrow" is Tuesday the 24th
PHONE_RATE = 8000

# (id, text, {slot kind: expected value})
UTTERANCES: list[tuple[str, str, dict[str, Any]]] = [
    ("party4", "A table for four people, please.", {"party": 4}),
    ("party2", "Just two of us.", {"party": 2}),
    ("party6", "We are six.", {"party": 6}),
    ("party12", "There will be twelve people.", {"party": 12}),
    ("tomorrow", "Tomorrow, please.", {"date": "2026-11-24"}),
    ("friday", "This Friday.", {"date": "2026-11-27"}),
    ("dec3", "On the third of December.", {"date": "2026-12-03"}),
    ("saturday", "Saturday evening would be great.", {"date": "2026-11-28"}),
    ("t730", "At seven thirty.", {"time": "19:30"}),
    ("t8pm", "Eight pm.", {"time": "20:00"}),
    ("t615", "Around a quarter past six.", {"time": "18:15"}),
    ("t1845", "Six forty five in the evening.", {"time": "18:45"}),
    ("all1", "A table for four tomorrow at seven thirty.", {"party": 4, "date": "2026-11-24"}),
    ("all2", "Can I book for two people on Friday at eight?", {"party": 2, "date": "2026-11-27"}),
    ("num15", "Fifteen.", {"number": 15}),
    ("num42", "My booking number is forty two.", {"number": 42}),
    ("num3", "About three times a day.", {"number": 3}),
    ("name_john", "It's John Smith.", {"name": "John Smith"}),
    ("name_maria", "My name is Maria Garcia.", {"name": "Maria Garcia"}),
    ("name_david", "David Lee.", {"name": "David Lee"}),
    ("name_sarah", "The name is Sarah Johnson.", {"name": "Sarah Johnson"}),
    ("yes1", "Yes, please.", {"yes_no": True}),
    ("yes2", "Yeah, that's right.", {"yes_no": True}),
    ("yes3", "Sure, go ahead.", {"yes_no": True}),
    ("no1", "No, thank you.", {"yes_no": False}),
    ("no2", "No, that's wrong.", {"yes_no": False}),
    ("no3", "Nope.", {"yes_no": False}),
    ("cancel", "I need to cancel my reservation.", {}),
    ("person", "Can I speak to a person?", {}),
    ("ate", "I had soup and some bread for lunch.", {}),
]

VOICES = {
    "piper": None,
    "espeak-us": ["-v", "en-us", "-s", "150"],
    "espeak-gb-f": ["-v", "en-gb+f3", "-s", "145"],
}


def parse_slot(kind: str, text: str) -> Any:
    """The value the dialog's parser reads from ``text``, JSON-ready (None if it finds none)."""
    if kind == "party":
        return parse_party_size(text)
    if kind == "number":
        return parse_number(text)
    if kind == "name":
        return parse_name(text)
    if kind == "yes_no":
        return parse_yes_no(text)
    if kind == "date":
        day = parse_date(text, TODAY)
        return None if day is None else day.isoformat()
    if kind == "time":
        at = parse_time(text, prefer="pm")
        return None if at is None else at.strftime("%H:%M")
    raise ValueError(kind)


def piper_audio(text: str) -> tuple[np.ndarray, int]:
    from piper import PiperVoice

    from tts.voice import bundled_voice

    model, config = bundled_voice()
    voice = PiperVoice.load(model, config_path=config)
    pcm = b"".join(c.audio_int16_bytes for c in voice.synthesize(text))
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0, voice.config.sample_rate


def espeak_audio(text: str, flags: list[str]) -> tuple[np.ndarray, int]:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SystemExit("espeak-ng is missing: run infra/ensure-bench-data.sh")
    wav = subprocess.run([exe, "--stdout", *flags, text], capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(wav)) as r:
        pcm = r.readframes(r.getnframes())
        rate = r.getframerate()
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0, rate


def phone_line(samples: np.ndarray, rate: int) -> bytes:
    """8 kHz PCM16 after a G.711 mu-law round trip, peak-normalised to -1 dBFS first."""
    peak = float(np.max(np.abs(samples))) or 1.0
    narrow = soxr.resample(samples * (0.89 / peak), rate, PHONE_RATE, quality="HQ")
    return mulaw_to_pcm16(pcm16_to_mulaw(float_to_pcm16(narrow)))


def write_wav(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(PHONE_RATE)
        w.writeframes(pcm)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    items = []
    for uid, text, slots in UTTERANCES:
        for kind, expected in slots.items():
            got = parse_slot(kind, text)
            if got != expected:
                raise SystemExit(f"{uid}: parser reads {kind}={got!r} from the reference text")
        for voice, flags in VOICES.items():
            samples, rate = piper_audio(text) if flags is None else espeak_audio(text, flags)
            name = f"{voice}/{uid}.wav"
            (OUT / voice).mkdir(exist_ok=True)
            write_wav(OUT / name, phone_line(samples, rate))
            items.append({"file": name, "voice": voice, "id": uid, "text": text, "slots": slots})
    manifest = {
        "description": "Synthetic caller answers over a simulated phone line (8 kHz mu-law, "
        "stored as decoded 8 kHz PCM16 WAV). Made by bench/make_asr_set.py.",
        "today": TODAY.isoformat(),
        "time_prefer": "pm",
        "voices": {
            k: ("piper en_US-joe-medium" if v is None else "espeak-ng " + " ".join(v))
            for k, v in VOICES.items()
        },
        "items": items,
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    size = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(json.dumps({"items": len(items), "bytes": size, "dir": str(OUT)}))


if __name__ == "__main__":
    main()
