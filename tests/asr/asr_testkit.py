"""Test speech for the recogniser: synthetic voices sent through a simulated phone line.

Two voices so the recogniser is not tuned to one: the bundled Piper voice (always present) and
the ``espeak-ng`` command line (a very different, robotic formant voice) when it is installed.
Piper is run with its generator noise off so the audio, and thus the transcripts, are the same
on every run. The phone path is what a Twilio call does to the caller's voice: down to 8 kHz,
G.711 mu-law and back, then up to Whisper's 16 kHz.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
import zlib
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import soxr
from piper import PiperVoice, SynthesisConfig

from tts.resample import float_to_pcm16, mulaw_to_pcm16, pcm16_to_mulaw
from tts.voice import bundled_voice

ESPEAK = shutil.which("espeak-ng")
ESPEAK_MISSING = (
    "espeak-ng CLI not installed: run `make system-packages` (apt-get install espeak-ng)"
)

Pcm = npt.NDArray[np.int16]


@lru_cache(maxsize=1)
def _piper() -> PiperVoice:
    model, config = bundled_voice()
    return PiperVoice.load(model, config_path=config)


@lru_cache(maxsize=64)
def piper_speech(text: str) -> tuple[bytes, int]:
    """Deterministic Piper speech: PCM16 bytes and the voice's rate."""
    voice = _piper()
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, volume=0.9)
    audio = b"".join(chunk.audio_int16_bytes for chunk in voice.synthesize(text, config))
    return audio, int(voice.config.sample_rate)


@lru_cache(maxsize=64)
def espeak_speech(text: str) -> tuple[bytes, int]:
    """espeak-ng speech at 150 words a minute: PCM16 bytes and its rate (22050 Hz)."""
    assert ESPEAK is not None, ESPEAK_MISSING
    wav = subprocess.run(
        [ESPEAK, "--stdout", "-s", "150", text], capture_output=True, check=True, timeout=30
    ).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        return reader.readframes(reader.getnframes()), reader.getframerate()


def speech(voice: str, text: str) -> tuple[bytes, int]:
    """Speech from the named voice ("piper" or "espeak")."""
    return piper_speech(text) if voice == "piper" else espeak_speech(text)


def phone_line(pcm16: bytes, rate: int) -> bytes:
    """PCM16 at 8 kHz after a mu-law round trip, as the agent receives a Twilio caller."""
    samples = np.frombuffer(pcm16, dtype="<i2").astype(np.float32) / 32768.0
    narrow = float_to_pcm16(soxr.resample(samples, rate, 8000, quality="HQ"))
    return mulaw_to_pcm16(pcm16_to_mulaw(narrow))


def phone_to_16k(pcm16: bytes, rate: int) -> npt.NDArray[np.float32]:
    """The phone-line audio at 16 kHz float, what the recogniser is fed in most tests."""
    at_8k = np.frombuffer(phone_line(pcm16, rate), dtype="<i2").astype(np.float32) / 32768.0
    return soxr.resample(at_8k, 8000, 16000, quality="HQ").astype(np.float32)


def noise(kind: str, seconds: float = 2.0, rate: int = 16000) -> bytes:
    """Non-speech PCM16 the VAD might still pass on: silence, hiss, hum, tones and clicks."""
    rng = np.random.default_rng(zlib.crc32(kind.encode()))
    n = int(seconds * rate)
    t = np.arange(n) / rate
    if kind == "silence":
        x = np.zeros(n)
    elif kind == "hiss":  # -50 dBFS line hiss
        x = rng.standard_normal(n) * 0.003
    elif kind == "white":
        x = rng.standard_normal(n) * 0.1
    elif kind == "loud_white":
        x = rng.standard_normal(n) * 0.3
    elif kind == "pink":
        spectrum = np.fft.rfft(rng.standard_normal(n))
        spectrum /= np.maximum(1.0, np.sqrt(np.arange(spectrum.size)))
        x = np.fft.irfft(spectrum, n)
        x *= 0.1 / np.std(x)
    elif kind == "brown":
        x = np.cumsum(rng.standard_normal(n)) / 300.0
    elif kind == "hum":
        x = 0.1 * np.sin(2 * np.pi * 60 * t) + 0.03 * np.sin(2 * np.pi * 180 * t)
    elif kind == "tone":
        x = 0.2 * np.sin(2 * np.pi * 1000 * t)
    elif kind == "clicks":
        x = np.zeros(n)
        x[:: rate // 4] = 0.8
    elif kind == "random_clicks":
        x = np.zeros(n)
        for start in rng.integers(0, n - 100, 12):
            x[start : start + 80] = rng.standard_normal(80) * 0.5
    else:
        raise ValueError(kind)
    return float_to_pcm16(np.clip(x, -1.0, 1.0))


NOISE_KINDS = (
    "silence",
    "hiss",
    "white",
    "loud_white",
    "pink",
    "brown",
    "hum",
    "tone",
    "clicks",
    "random_clicks",
)
