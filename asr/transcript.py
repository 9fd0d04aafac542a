"""The result of recognising one utterance.

A value object rather than a bare string so that the dialog can act on how sure the recogniser
was (confirm a low-confidence party size, re-prompt on noise) and so that latency can be
reported per turn. ``text`` is excluded from ``repr`` so that logging a transcript object never
writes what the caller said.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Transcript:
    """One utterance's recognition result and the numbers the noise guard judged it by.

    Attributes:
        text: What was recognised, stripped; empty when nothing was.
        confidence: ``exp(avg_logprob)`` clipped to [0, 1]; a rough per-token probability.
        no_speech_prob: Whisper's probability that the window held no speech.
        avg_logprob: Mean token log-probability of the decoded text.
        compression_ratio: gzip ratio of the text; high values mean repetition loops.
        duration_s: Length of the audio that was decoded, in seconds.
        decode_s: Wall time spent inside the model.
        queue_wait_s: Time spent waiting for a free recogniser worker (async path only).
        is_noise: True when the guard judged the text invented from noise, or it was empty.
        noise_reason: Why ``is_noise`` is set (``"empty"``, ``"no_speech"``, ``"low_logprob"``,
            ``"repetition"``, ``"hallucination"``), else None. Safe to log: it holds no text.
    """

    text: str = field(repr=False)
    confidence: float
    no_speech_prob: float
    avg_logprob: float
    compression_ratio: float
    duration_s: float
    decode_s: float
    is_noise: bool
    noise_reason: str | None = None
    queue_wait_s: float = 0.0

    @property
    def is_speech(self) -> bool:
        """Whether the dialog should treat this as an answer (not noise, not empty)."""
        return not self.is_noise

    def metrics(self) -> dict[str, Any]:
        """Everything except the text: what may go into logs, metrics and frame metadata."""
        return {
            "confidence": round(self.confidence, 4),
            "no_speech_prob": round(self.no_speech_prob, 4),
            "avg_logprob": round(self.avg_logprob, 4) if math.isfinite(self.avg_logprob) else None,
            "compression_ratio": round(self.compression_ratio, 3),
            "duration_s": round(self.duration_s, 3),
            "decode_s": round(self.decode_s, 4),
            "queue_wait_s": round(self.queue_wait_s, 4),
            "is_noise": self.is_noise,
            "noise_reason": self.noise_reason,
        }
