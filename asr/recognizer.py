"""One Whisper model per process, shared by every call, decoding off the event loop.

Loading tiny.en takes about a second and its weights are shared read-only, so all calls use one
``WhisperModel``. Decoding is CPU-bound and holds a core for a few hundred milliseconds, so it
runs in a small thread pool owned by the recogniser: the pool's size (``asr_workers``) bounds how
many decodes run at once, which keeps a burst of callers from starving each other or the event
loop that carries everyone's audio. CTranslate2 releases the GIL while it decodes, and the model
gets one CTranslate2 worker per pool thread so the decodes really do run in parallel.

Two capacity levers (see ``docs/benchmarks.md`` for what each bought):

* ``max_batch`` > 1 gathers utterances that arrive within ``batch_wait_s`` of each other into one
  encode/generate (:mod:`asr.batcher`, :mod:`asr.decoder`). That is what a GPU needs; on a
  2-core CPU a batch costs as much as its utterances one by one, so CPU defaults to 1.
* ``window_s`` > 0 encodes the utterance rounded up to a multiple of ``window_s`` seconds instead
  of Whisper's fixed 30-second window, cutting the encoder's cost several-fold. It changes what
  tiny.en writes (it tends to repeat a short answer, which is collapsed) and is off by default.
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt
from faster_whisper import WhisperModel
from loguru import logger

from asr.audio import WHISPER_RATE, AudioInput, to_whisper_audio
from asr.batcher import MicroBatcher
from asr.decoder import (
    FULL_WINDOW_FRAMES,
    DecodedSegment,
    DecodeJob,
    WhisperDecoder,
    collapse_loop,
    compression_ratio,
)
from asr.guard import noise_reason
from asr.hints import build_prompt
from asr.model import default_max_batch, pick_device, resolve_model_path
from asr.transcript import Transcript


class AsrSettings(Protocol):
    """The slice of the application settings the recogniser reads (kept structural so that
    ``asr`` does not import the agent package)."""

    whisper_model: str
    whisper_device: str
    asr_workers: int


@dataclass(frozen=True, slots=True)
class RecognizerStats:
    """Counters for monitoring and for tests that check the concurrency bound.

    Attributes:
        in_flight: Decodes running right now.
        peak_in_flight: Most decodes ever running at once.
        waiting: Async requests submitted but not yet started.
        completed: Decodes finished (successfully or not).
        batches: Model calls made through the batcher (0 when batching is off).
        peak_batch: Most utterances decoded in one model call.
    """

    in_flight: int
    peak_in_flight: int
    waiting: int
    completed: int
    batches: int = 0
    peak_batch: int = 1


class SpeechRecognizer:
    """English speech recognition for one utterance at a time, many callers at once.

    Build it once per process (see :func:`shared_recognizer`); it loads the model in the
    constructor so a bad path or device fails at start-up, not on the first call.
    """

    def __init__(
        self,
        model: str = "",
        *,
        device: str = "auto",
        workers: int = 2,
        cpu_threads: int = 0,
        window_s: float = 0.0,
        max_batch: int = 0,
        batch_wait_s: float = 0.015,
    ) -> None:
        """Load the model.

        Args:
            model: The ``whisper_model`` setting: empty for the bundled tiny.en, else a folder.
            device: The ``whisper_device`` setting: ``auto``, ``cpu`` or ``cuda``.
            workers: Most decodes (or batches) at once (``asr_workers``); the pool's size.
            cpu_threads: Threads per decode; 0 shares the machine's cores among the workers,
                which on 2 cores gave the best throughput for 4 concurrent requests.
            window_s: 0 for Whisper's full 30 s window; else encode the utterance rounded up
                to a multiple of this many seconds (faster, changes output: measure first).
            max_batch: Most utterances per model call on the async path; 0 picks by device
                (1 on CPU, where batching buys nothing; 16 on CUDA).
            batch_wait_s: How long the first utterance of a batch waits for others to join.
        """
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        if window_s < 0 or max_batch < 0 or batch_wait_s < 0:
            raise ValueError("window_s, max_batch and batch_wait_s must not be negative")
        self.model_path = resolve_model_path(model)
        self.device, self.compute_type = pick_device(device)
        self.workers = workers
        self.window_s = window_s
        self.max_batch = max_batch or default_max_batch(self.device)
        threads = cpu_threads or max(1, (os.cpu_count() or 1) // workers)
        self.cpu_threads = threads
        started = time.perf_counter()
        self._model = WhisperModel(
            self.model_path,
            device=self.device,
            compute_type=self.compute_type,
            cpu_threads=threads,
            num_workers=workers,
        )
        logger.info(
            "ASR model loaded from {} on {}/{} ({} workers x {} threads) in {:.2f}s",
            self.model_path,
            self.device,
            self.compute_type,
            workers,
            threads,
            time.perf_counter() - started,
        )
        self._decoder = WhisperDecoder(self._model)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asr")
        self._batcher: MicroBatcher[_BatchItem, Transcript] | None = (
            MicroBatcher(
                self._decode_batch,
                workers=workers,
                max_batch=self.max_batch,
                max_wait_s=batch_wait_s,
                name="asr-batch",
            )
            if self.max_batch > 1
            else None
        )
        self._lock = threading.Lock()
        self._in_flight = 0
        self._peak = 0
        self._waiting = 0
        self._completed = 0

    @classmethod
    def from_settings(cls, settings: AsrSettings) -> SpeechRecognizer:
        """A recogniser configured from the application settings."""
        return cls(
            settings.whisper_model, device=settings.whisper_device, workers=settings.asr_workers
        )

    @property
    def stats(self) -> RecognizerStats:
        """A snapshot of the concurrency counters."""
        batcher = self._batcher
        batches = batcher.batches if batcher is not None else 0
        peak_batch = batcher.peak_batch if batcher is not None else 1
        waiting = batcher.waiting if batcher is not None else 0
        with self._lock:
            return RecognizerStats(
                self._in_flight,
                self._peak,
                self._waiting + waiting,
                self._completed,
                batches,
                max(1, peak_batch),
            )

    def transcribe(
        self,
        audio: AudioInput,
        *,
        sample_rate: int = WHISPER_RATE,
        hints: Sequence[str] = (),
        beam_size: int = 1,
    ) -> Transcript:
        """Recognise one utterance, blocking until done; call it from a worker thread.

        Args:
            audio: Float32 samples in [-1, 1] or little-endian PCM16 bytes, mono.
            sample_rate: Rate of ``audio``; anything but 16 kHz is resampled.
            hints: The expected answer's vocabulary, turned into a short ``initial_prompt``.
            beam_size: 1 (greedy) is the fast default; 5 costs more for little gain on tiny.en.

        The settings favour speed and predictability on short answers: English only, no
        timestamps, no conditioning on earlier text, temperature 0 only (no fallback re-decodes),
        and no VAD (the pipeline's VAD already cut the utterance). Whisper's own no-speech and
        log-probability filters are off so that the guard in :mod:`asr.guard` sees the numbers.
        """
        samples = to_whisper_audio(audio, sample_rate)
        duration = samples.size / WHISPER_RATE
        if samples.size == 0:
            return _empty()
        prompt = build_prompt(hints)
        max_tokens = token_budget(duration)
        if samples.size <= FULL_WINDOW_FRAMES * (WHISPER_RATE // 100):
            item = self._item(samples, prompt, max_tokens, beam_size)
            return self._decode_batch([item])[0]
        with self._lock:
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
        started = time.perf_counter()
        try:
            segments, _info = self._model.transcribe(
                samples,
                language="en",
                task="transcribe",
                beam_size=beam_size,
                best_of=1,
                temperature=0.0,
                without_timestamps=True,
                word_timestamps=False,
                condition_on_previous_text=False,
                vad_filter=False,
                initial_prompt=prompt,
                no_speech_threshold=None,
                log_prob_threshold=None,
                compression_ratio_threshold=None,
                max_new_tokens=max_tokens,
            )
            # The generator decodes lazily: consuming it here keeps all of the work on this thread.
            decoded = list(segments)
        finally:
            decode_s = time.perf_counter() - started
            with self._lock:
                self._in_flight -= 1
                self._completed += 1
        return _summarise(decoded, duration, decode_s, max_tokens)

    async def transcribe_async(
        self,
        audio: AudioInput,
        *,
        sample_rate: int = WHISPER_RATE,
        hints: Sequence[str] = (),
        beam_size: int = 1,
    ) -> Transcript:
        """:meth:`transcribe` on the recogniser's bounded pool, with the queue wait recorded.

        With batching on (``max_batch`` > 1), utterances of up to 30 s go through the batcher
        and may share one model call with other calls' utterances; ``decode_s`` is then the
        batch's time.
        """
        if self._batcher is not None:
            samples = to_whisper_audio(audio, sample_rate)
            duration = samples.size / WHISPER_RATE
            if samples.size == 0:
                return _empty()
            if samples.size <= FULL_WINDOW_FRAMES * (WHISPER_RATE // 100):
                item = self._item(samples, build_prompt(hints), token_budget(duration), beam_size)
                key = (item.job.features.shape[-1], len(item.job.prompt), beam_size)
                result, waited = await asyncio.wrap_future(self._batcher.submit(key, item))
                return replace(result, queue_wait_s=waited)
        loop = asyncio.get_running_loop()
        submitted = time.perf_counter()
        started_at: list[float] = []
        with self._lock:
            self._waiting += 1

        def job() -> Transcript:
            started_at.append(time.perf_counter())
            with self._lock:
                self._waiting -= 1
            return self.transcribe(audio, sample_rate=sample_rate, hints=hints, beam_size=beam_size)

        try:
            result = await loop.run_in_executor(self._executor, job)
        finally:
            if not started_at:  # cancelled or refused before it ran
                with self._lock:
                    self._waiting -= 1
        return replace(result, queue_wait_s=started_at[0] - submitted)

    def _item(
        self, samples: npt.NDArray[np.float32], prompt: str | None, max_tokens: int, beam: int
    ) -> _BatchItem:
        """A decode job for up to 30 s of 16 kHz audio (features computed here, off the model)."""
        job = DecodeJob(
            self._decoder.features(samples, self.window_s),
            self._decoder.prompt(prompt),
            max_tokens,
        )
        return _BatchItem(job, samples.size / WHISPER_RATE, beam)

    def _decode_batch(self, items: Sequence[_BatchItem]) -> list[Transcript]:
        """One model call for ``items`` (same window, prompt length and beam), counted as one
        decode in flight; each transcript goes through the noise guard on its own."""
        with self._lock:
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
        started = time.perf_counter()
        try:
            segments = self._decoder.decode([i.job for i in items], beam_size=items[0].beam)
        finally:
            decode_s = time.perf_counter() - started
            with self._lock:
                self._in_flight -= 1
                self._completed += len(items)
        short = self.window_s > 0
        return [
            _summarise(
                [_collapsed(seg) if short else seg],
                item.duration_s,
                decode_s,
                item.job.max_new_tokens,
            )
            for item, seg in zip(items, segments, strict=True)
        ]

    def close(self) -> None:
        """Stop the worker threads once queued decodes finish; the model is freed with the
        object."""
        if self._batcher is not None:
            self._batcher.close()
        self._executor.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True, slots=True)
class _BatchItem:
    job: DecodeJob
    duration_s: float
    beam: int


def _empty() -> Transcript:
    return Transcript("", 0.0, 1.0, -math.inf, 0.0, 0.0, 0.0, True, "empty")


def _collapsed(seg: DecodedSegment) -> DecodedSegment:
    """A short-window decode with its repetition loop folded to one copy (see
    :func:`asr.decoder.collapse_loop`); a loop that was folded no longer reads as hitting the
    token cap, but keeps its scores."""
    text = collapse_loop(seg.text)
    if text == seg.text:
        return seg
    return replace(
        seg, text=text, tokens=seg.tokens[:1], compression_ratio=compression_ratio(text.strip())
    )


def token_budget(duration_s: float) -> int:
    """Most tokens one utterance may produce: 16 plus 10 a second (fast speech is ~6).

    Over noise, especially with a hint prompt, tiny.en can fall into a loop ("six, six, six,
    ...") and generate up to 448 tokens, a second or more of CPU for nothing. Capping by the
    audio's length bounds that cost; a decode that reaches the cap is treated as a loop.
    """
    return 16 + int(10 * min(duration_s, 30.0))


def _summarise(
    segments: Sequence[object], duration_s: float, decode_s: float, max_tokens: int
) -> Transcript:
    """Fold Whisper's segments into one transcript and run the noise guard over it.

    With timestamps off a short utterance is one segment; longer audio may give several, whose
    log-probabilities are averaged by token count. The lowest no-speech probability wins: if any
    window held speech, the utterance did.
    """
    texts: list[str] = []
    weighted = 0.0
    tokens = 0
    no_speech = 1.0
    ratio = 0.0
    hit_cap = False
    for seg in segments:
        n = max(1, len(getattr(seg, "tokens", ()) or ()))
        hit_cap = hit_cap or n >= max_tokens
        texts.append(str(getattr(seg, "text", "")).strip())
        weighted += float(getattr(seg, "avg_logprob", -math.inf)) * n
        tokens += n
        no_speech = min(no_speech, float(getattr(seg, "no_speech_prob", 1.0)))
        ratio = max(ratio, float(getattr(seg, "compression_ratio", 0.0)))
    text = " ".join(t for t in texts if t).strip()
    avg_logprob = weighted / tokens if tokens else -math.inf
    confidence = min(1.0, max(0.0, math.exp(avg_logprob))) if tokens else 0.0
    reason = noise_reason(
        text,
        avg_logprob=avg_logprob,
        no_speech_prob=no_speech,
        compression_ratio=ratio,
        hit_token_cap=hit_cap,
    )
    return Transcript(
        text=text,
        confidence=confidence,
        no_speech_prob=no_speech,
        avg_logprob=avg_logprob,
        compression_ratio=ratio,
        duration_s=duration_s,
        decode_s=decode_s,
        is_noise=reason is not None,
        noise_reason=reason,
    )


_shared: dict[tuple[str, str, int, float, int], SpeechRecognizer] = {}
_shared_lock = threading.Lock()


def shared_recognizer(
    model: str = "",
    *,
    device: str = "auto",
    workers: int = 2,
    window_s: float = 0.0,
    max_batch: int = 0,
) -> SpeechRecognizer:
    """The process's recogniser for this configuration, loaded on first use.

    Every call service asks here instead of constructing its own, so a process holds one copy
    of the weights and one bounded pool however many calls are live.
    """
    key = (
        resolve_model_path(model),
        device.strip().lower() or "auto",
        workers,
        window_s,
        max_batch,
    )
    with _shared_lock:
        recognizer = _shared.get(key)
        if recognizer is None:
            recognizer = SpeechRecognizer(
                model, device=device, workers=workers, window_s=window_s, max_batch=max_batch
            )
            _shared[key] = recognizer
        return recognizer
