"""Whisper decoding driven directly through CTranslate2, one utterance or a batch at a time.

``WhisperModel.transcribe`` always encodes a 30-second window (3000 mel frames), however short
the utterance: on 2 CPU cores that encode alone is ~300 ms, most of a short answer's decode.
This module does the same greedy/beam decode as ``transcribe`` with the options the recogniser
uses (no timestamps, temperature 0, an initial prompt, Whisper's default suppressions), but it
lets the caller choose two things ``transcribe`` does not:

* **batches**: several utterances share one ``encode`` and one ``generate`` (a large win on a
  GPU, where one utterance leaves most of the device idle);
* **the feature window**: the mel features may be cut to the utterance (rounded up to a bucket)
  instead of padded to 3000 frames. The encoder then runs over fewer positions and the decoder
  attends to fewer. Whisper was trained on 30-second windows only, so this changes its output
  and must be justified by measured accuracy (``bench/asr_accuracy.py``), not assumed.

With the full window a decode here gives exactly the text, tokens and scores that
``WhisperModel.transcribe`` gives for the same audio and options (a test checks this).
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import ctranslate2
import numpy as np
import numpy.typing as npt
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer

FULL_WINDOW_FRAMES = 3000
"""Whisper's 30-second window in 10 ms mel frames."""
FRAMES_PER_SECOND = 100
MAX_INITIAL_TIMESTAMP_INDEX = 50
"""faster-whisper's default ``max_initial_timestamp`` (1 s) in 20 ms timestamp steps."""


@dataclass(frozen=True, slots=True)
class DecodeJob:
    """One utterance to decode.

    Attributes:
        features: Log-mel features, ``(n_mels, frames)``, already cut/padded to the window.
        prompt: Token ids fed before the audio's text (previous-text prompt and SOT sequence).
        max_new_tokens: Most tokens to generate (see :func:`asr.recognizer.token_budget`).
    """

    features: npt.NDArray[np.float32]
    prompt: tuple[int, ...]
    max_new_tokens: int


@dataclass(frozen=True, slots=True)
class DecodedSegment:
    """What one decode produced; the attribute names match faster-whisper's ``Segment`` so that
    the recogniser summarises either the same way."""

    text: str
    tokens: tuple[int, ...]
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float


def window_frames(content_frames: int, window_s: float) -> int:
    """How many mel frames to encode for an utterance of ``content_frames``.

    ``window_s`` 0 (or 30 and above) means Whisper's full 3000-frame window. Otherwise the
    window is the utterance rounded up to a whole multiple of ``window_s`` seconds, never more
    than 3000 frames: the bucket keeps the number of distinct shapes small (utterances of the
    same bucket can share one batch and give the same result alone or batched) and leaves at
    least a little trailing silence after the speech, as Whisper saw in training.
    """
    if window_s <= 0 or window_s * FRAMES_PER_SECOND >= FULL_WINDOW_FRAMES:
        return FULL_WINDOW_FRAMES
    step = max(1, round(window_s * FRAMES_PER_SECOND))
    buckets = content_frames // step + 1  # strictly more than the content: some padding
    return min(FULL_WINDOW_FRAMES, buckets * step)


_WORD = re.compile(r"[\w']+")


def collapse_loop(text: str) -> str:
    """``text`` cut to its first copy when all of it is one phrase said over and over.

    With a short window tiny.en often reads a short answer twice or more ("Yes, please. Yes,
    please. Yes") before it stops: the whole text is then periodic in its words. Only a text
    that repeats from its very first word and holds at least one complete repeat is cut, so
    real speech with a repeated word inside ("a table for two, two people") is left alone.
    """
    spans = [m.span() for m in _WORD.finditer(text)]
    words = [text[a:b].lower() for a, b in spans]
    n = len(words)
    for period in range(1, n // 2 + 1):
        if all(words[i] == words[i % period] for i in range(period, n)):
            end = spans[period - 1][1]
            tail = text[end:]
            stop = tail[:1] if tail[:1] in ".?!" else ""
            return text[:end] + stop
    return text


def compression_ratio(text: str) -> float:
    """gzip ratio of ``text``, as faster-whisper computes it (high means a repetition loop)."""
    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


class WhisperDecoder:
    """Features, prompts and batched decodes for one loaded ``WhisperModel``.

    Thread-safe as far as CTranslate2 is: the model runs up to ``num_workers`` calls at once.
    """

    def __init__(self, model: WhisperModel) -> None:
        self._model = model
        self._tokenizer = Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en"
        )
        self._suppress = _suppressed_tokens(self._tokenizer)
        self.max_length = int(model.max_length)

    def features(
        self, samples: npt.NDArray[np.float32], window_s: float
    ) -> npt.NDArray[np.float32]:
        """Log-mel features of 16 kHz ``samples``, cut or zero-padded to the window.

        Exactly what ``WhisperModel.transcribe`` feeds its encoder for audio of up to 30 s
        when the window is full: the extractor's 160-sample padding, the last frame dropped,
        zeros appended.
        """
        feats = self._model.feature_extractor(samples)
        content = max(0, feats.shape[-1] - 1)
        frames = window_frames(content, window_s)
        out = np.zeros((feats.shape[0], frames), dtype=np.float32)
        keep = min(content, frames)
        out[:, :keep] = feats[:, :keep]
        return out

    def prompt(self, initial_prompt: str | None) -> tuple[int, ...]:
        """The decoder prompt ``transcribe`` builds for ``initial_prompt``, no timestamps."""
        previous = self._tokenizer.encode(" " + initial_prompt.strip()) if initial_prompt else []
        return tuple(self._model.get_prompt(self._tokenizer, previous, without_timestamps=True))

    def decode(self, jobs: Sequence[DecodeJob], *, beam_size: int = 1) -> list[DecodedSegment]:
        """Decode ``jobs`` as one batch: one ``encode`` and one ``generate``.

        All jobs must have the same feature shape. Prompts may differ in length. The batch's
        ``max_length`` is the largest any job needs; a job that generates past its own budget
        is cut back to it, which for greedy decoding is exactly what decoding it alone gives
        (its score then still covers the extra tokens; such a decode is a loop and the noise
        guard rejects it through the token cap either way).
        """
        if not jobs:
            return []
        shapes = {job.features.shape for job in jobs}
        if len(shapes) != 1:
            raise ValueError(f"a batch needs one feature shape, got {sorted(shapes)}")
        stacked = np.ascontiguousarray(np.stack([job.features for job in jobs]))
        inner = self._model.model
        to_cpu = inner.device == "cuda" and len(inner.device_index) > 1
        encoded = inner.encode(ctranslate2.StorageView.from_array(stacked), to_cpu=to_cpu)
        max_length = min(self.max_length, max(len(job.prompt) + job.max_new_tokens for job in jobs))
        results = inner.generate(
            encoded,
            [list(job.prompt) for job in jobs],
            beam_size=beam_size,
            patience=1.0,
            length_penalty=1.0,
            repetition_penalty=1.0,
            no_repeat_ngram_size=0,
            max_length=max_length,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=list(self._suppress),
            max_initial_timestamp_index=MAX_INITIAL_TIMESTAMP_INDEX,
        )
        return [self._segment(job, result) for job, result in zip(jobs, results, strict=True)]

    def _segment(
        self, job: DecodeJob, result: ctranslate2.models.WhisperGenerationResult
    ) -> DecodedSegment:
        tokens = list(result.sequences_ids[0])
        score = float(result.scores[0])
        seq_len = len(tokens)
        avg_logprob = score * seq_len / (seq_len + 1)  # length_penalty 1, as faster-whisper
        if seq_len > job.max_new_tokens:
            tokens = tokens[: job.max_new_tokens]
        text = self._tokenizer.decode(tokens)
        return DecodedSegment(
            text=text,
            tokens=tuple(tokens),
            avg_logprob=avg_logprob if math.isfinite(avg_logprob) else -math.inf,
            no_speech_prob=float(result.no_speech_prob),
            compression_ratio=compression_ratio(text.strip()),
        )


def _suppressed_tokens(tokenizer: Tokenizer) -> tuple[int, ...]:
    """faster-whisper's default ``suppress_tokens=[-1]``: non-speech symbols and specials."""
    ids = set(tokenizer.non_speech_tokens)
    ids.update(
        [
            tokenizer.transcribe,
            tokenizer.translate,
            tokenizer.sot,
            tokenizer.sot_prev,
            tokenizer.sot_lm,
            tokenizer.no_speech,
        ]
    )
    return tuple(sorted(ids))
