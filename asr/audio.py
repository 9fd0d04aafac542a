"""Bringing caller audio into the form Whisper reads: mono float32 at 16 kHz in [-1, 1].

The pipeline hands over raw 16-bit PCM at its own rate (8 kHz on a Twilio leg); tests and tools
hand over float arrays. Resampling uses soxr, whose anti-aliasing matters going down and whose
speed matters on a 2-core box.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr

WHISPER_RATE = 16_000

AudioInput = bytes | bytearray | memoryview | npt.NDArray[np.floating] | npt.NDArray[np.int16]


def to_whisper_audio(audio: AudioInput, sample_rate: int = WHISPER_RATE) -> npt.NDArray[np.float32]:
    """Mono float32 samples at 16 kHz from PCM16 bytes or a numpy array at ``sample_rate``.

    Bytes are read as little-endian signed 16-bit mono PCM. Integer arrays are scaled from the
    int16 range; float arrays are taken as already in [-1, 1].
    """
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, not {sample_rate}")
    if isinstance(audio, (bytes, bytearray, memoryview)):
        raw = bytes(audio)
        if len(raw) % 2:
            raise ValueError("PCM16 audio must have an even number of bytes")
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    else:
        arr = np.asarray(audio)
        if arr.ndim != 1:
            raise ValueError(f"audio must be mono (1-D), got shape {arr.shape}")
        if np.issubdtype(arr.dtype, np.integer):
            samples = arr.astype(np.float32) / 32768.0
        else:
            samples = arr.astype(np.float32, copy=False)
    if sample_rate != WHISPER_RATE and samples.size:
        samples = soxr.resample(samples, sample_rate, WHISPER_RATE, quality="HQ").astype(
            np.float32, copy=False
        )
    return np.ascontiguousarray(samples, dtype=np.float32)
