"""Sample-rate conversion and G.711 mu-law for synthesised speech.

Piper speaks at 22050 Hz; a Twilio leg carries 8 kHz mu-law. Going down by ~2.75x needs a real
anti-aliasing filter or sibilants fold back as hiss, so conversion uses soxr's high-quality
filter. The mu-law encoder reproduces ``audioop.lin2ulaw`` bit for bit (audioop is gone from
Python 3.13) so that cached audio can be stored ready to send.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr

TELEPHONE_RATE = 8_000

_SEGMENT_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF], dtype=np.int32)


def pcm16_to_float(pcm16: bytes) -> npt.NDArray[np.float32]:
    """Little-endian PCM16 bytes as float32 samples in [-1, 1)."""
    if len(pcm16) % 2:
        raise ValueError("PCM16 audio must have an even number of bytes")
    return np.frombuffer(pcm16, dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm16(samples: npt.NDArray[np.floating]) -> bytes:
    """Float samples as little-endian PCM16, clipped (a resampler can overshoot full scale)."""
    scaled = np.clip(np.round(np.asarray(samples, dtype=np.float64) * 32768.0), -32768, 32767)
    return scaled.astype("<i2").tobytes()


def to_rate(pcm16: bytes, from_hz: int, to_hz: int) -> bytes:
    """Resample mono PCM16 from ``from_hz`` to ``to_hz`` with soxr's anti-aliasing filter.

    Each call is independent (no stream state), which suits audio cut at sentence boundaries,
    where the signal is near silence, and lets a resampled sentence be cached on its own.
    """
    if from_hz <= 0 or to_hz <= 0:
        raise ValueError(f"sample rates must be positive, not {from_hz} -> {to_hz}")
    if from_hz == to_hz or not pcm16:
        return bytes(pcm16)
    out = soxr.resample(pcm16_to_float(pcm16), from_hz, to_hz, quality="HQ")
    return float_to_pcm16(out)


def pcm16_to_mulaw(pcm16: bytes) -> bytes:
    """G.711 mu-law bytes from PCM16, identical to ``audioop.lin2ulaw(pcm16, 2)``."""
    value = np.frombuffer(pcm16, dtype="<i2").astype(np.int32) >> 2
    negative = value < 0
    value = np.minimum(np.where(negative, -value, value), 8159) + 33
    mask = np.where(negative, 0x7F, 0xFF)
    segment = np.searchsorted(_SEGMENT_ENDS, value, side="left")
    shift = np.minimum(segment, 7) + 1
    code = np.where(segment >= 8, 0x7F, (segment << 4) | ((value >> shift) & 0x0F))
    return ((code ^ mask) & 0xFF).astype(np.uint8).tobytes()


def mulaw_to_pcm16(mulaw: bytes) -> bytes:
    """PCM16 from G.711 mu-law bytes, identical to ``audioop.ulaw2lin(mulaw, 2)``."""
    code = ~np.frombuffer(mulaw, dtype=np.uint8).astype(np.int32) & 0xFF
    magnitude = (((code & 0x0F) << 3) + 0x84) << ((code & 0x70) >> 4)
    return np.where(code & 0x80, 0x84 - magnitude, magnitude - 0x84).astype("<i2").tobytes()


def to_mulaw_8k(pcm16: bytes, from_hz: int) -> bytes:
    """Telephone audio: resample to 8 kHz, then mu-law encode (what Twilio media streams carry)."""
    return pcm16_to_mulaw(to_rate(pcm16, from_hz, TELEPHONE_RATE))
