"""One Piper voice per process, synthesising sentence by sentence off the event loop.

The voice (an ONNX model, ~60 MB) is loaded once and shared by every call. Synthesis runs in a
small thread pool owned by the synthesizer so that many calls cannot starve the event loop
that carries their audio, and :meth:`SpeechSynthesizer.stream` hands over each sentence as soon
as it is ready, so the caller hears the first sentence while the next is still being made.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime
import soxr
from loguru import logger
from piper import PiperConfig, PiperVoice, SynthesisConfig
from piper.phonemize_espeak import ESPEAK_DATA_DIR

from tts.cache import PhraseCache
from tts.resample import float_to_pcm16
from tts.runtime import pick_providers, session_options
from tts.sentences import split_sentences
from tts.voice import resolve_voice, voice_id

MIN_RATE = 0.5
MAX_RATE = 2.0

# espeak-ng, which Piper phonemizes with, keeps global state and is not thread-safe; the ONNX
# inference that follows is, and is where the time goes, so only phonemization is serialised.
_PHONEMIZE_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class SynthesizerStats:
    """Counters for monitoring and tests.

    Attributes:
        sentences_started: Sentences handed to the pool (or rendered synchronously).
        sentences_done: Sentences whose audio is complete.
    """

    sentences_started: int
    sentences_done: int


class SpeechSynthesizer:
    """Text to PCM16 speech with one shared Piper voice.

    Build it once per process (see :func:`shared_synthesizer`); the voice loads in the
    constructor so that a bad path fails at start-up rather than on the first prompt.
    """

    def __init__(
        self,
        voice: str = "",
        *,
        workers: int = 2,
        volume: float = 0.9,
        use_cuda: bool = False,
        device: str = "cpu",
        intra_op_threads: int = 1,
    ) -> None:
        """Load the voice.

        Args:
            voice: The ``piper_voice`` setting: empty for the bundled voice, else a ``.onnx`` path.
            workers: Sentences synthesised at once across all calls.
            volume: Peak level after Piper's per-sentence normalisation; below 1.0 leaves
                headroom for the resampler's overshoot.
            use_cuda: Run the ONNX model on a GPU (the same as ``device="cuda"``).
            device: ``cpu``, ``cuda`` or ``auto`` (CUDA when onnxruntime offers it).
            intra_op_threads: onnxruntime threads per sentence; 1 (no spinning) keeps Piper
                from taking every core from Whisper and the calls' audio (see
                :mod:`tts.runtime`); 0 is onnxruntime's default of one per core.
        """
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        model_path, config_path = resolve_voice(voice)
        self.model_path = model_path
        self.voice_id = voice_id(model_path)
        self.providers = pick_providers("cuda" if use_cuda else device)
        self._voice = _load_voice(model_path, config_path, self.providers, intra_op_threads)
        self.sample_rate: int = int(self._voice.config.sample_rate)
        self._base_length_scale = float(self._voice.config.length_scale)
        self._volume = volume
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tts")
        self._lock = threading.Lock()
        self._started = 0
        self._done = 0
        logger.info("TTS voice {} loaded ({} Hz)", self.voice_id, self.sample_rate)

    @property
    def stats(self) -> SynthesizerStats:
        """A snapshot of the counters."""
        with self._lock:
            return SynthesizerStats(self._started, self._done)

    def _config(self, rate: float) -> SynthesisConfig:
        """Piper settings for a speaking rate: 0.8 is 20 % slower (length scale / 0.8)."""
        if not MIN_RATE <= rate <= MAX_RATE:
            raise ValueError(f"rate must be between {MIN_RATE} and {MAX_RATE}, not {rate}")
        return SynthesisConfig(
            length_scale=self._base_length_scale / rate,
            normalize_audio=False,  # normalised here, after the float audio is known
            volume=1.0,
        )

    def _synthesize_float(self, text: str, rate: float) -> Iterator[npt.NDArray[np.float32]]:
        """Float audio at the voice rate, one array per sentence as Piper cuts them."""
        config = self._config(rate)
        with _PHONEMIZE_LOCK:
            sentences = self._voice.phonemize(text)
        for phonemes in sentences:
            if not phonemes:
                continue
            ids = self._voice.phonemes_to_ids(phonemes)
            audio = np.asarray(self._voice.phoneme_ids_to_audio(ids, config), dtype=np.float32)
            peak = float(np.max(np.abs(audio))) if audio.size else 0.0
            if peak > 1e-8:
                audio = audio * (self._volume / peak)
            yield np.clip(audio, -1.0, 1.0).astype(np.float32)

    def synthesize_sentences(self, text: str, *, rate: float = 1.0) -> Iterator[bytes]:
        """PCM16 mono at :attr:`sample_rate`, one chunk per sentence; blocking.

        ``rate`` 1.0 is the voice's normal pace; 0.8 is slower, 1.2 faster.
        """
        for audio in self._synthesize_float(text, rate):
            yield float_to_pcm16(audio)

    def render_sentence(self, sentence: str, *, rate: float = 1.0, out_rate: int) -> bytes:
        """The whole of ``sentence`` as PCM16 at ``out_rate``; blocking.

        Resampled from float with soxr's high-quality anti-aliasing filter, so there is one
        quantisation step, not two.
        """
        with self._lock:
            self._started += 1
        try:
            parts = list(self._synthesize_float(sentence, rate))
            audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
            if out_rate != self.sample_rate and audio.size:
                audio = soxr.resample(audio, self.sample_rate, out_rate, quality="HQ")
            return float_to_pcm16(audio)
        finally:
            with self._lock:
                self._done += 1

    async def stream(
        self,
        text: str,
        *,
        rate: float = 1.0,
        out_rate: int | None = None,
        cache: PhraseCache | None = None,
    ) -> AsyncIterator[bytes]:
        """PCM16 at ``out_rate`` (default: the voice rate), one chunk per sentence, as made.

        Each sentence is looked up in ``cache`` first (a hit is yielded at once) and otherwise
        synthesised on the pool and then cached. The next sentence is started as soon as the
        current one is ready, before it is yielded, so synthesis overlaps playback without
        competing with the first sentence for the CPU. Closing the iterator early cancels the
        sentence not yet started.
        """
        self._config(rate)  # validate before any work
        target = out_rate or self.sample_rate
        sentences = split_sentences(text)
        if not sentences:
            return
        loop = asyncio.get_running_loop()

        def begin(sentence: str) -> bytes | asyncio.Future[bytes]:
            if cache is not None:
                hit = cache.get(sentence, rate=rate, out_rate=target, voice=self.voice_id)
                if hit is not None:
                    return hit
            job = partial(self.render_sentence, sentence, rate=rate, out_rate=target)
            return loop.run_in_executor(self._executor, job)

        pending: bytes | asyncio.Future[bytes] = begin(sentences[0])
        try:
            for index, sentence in enumerate(sentences):
                current = pending
                audio = current if isinstance(current, bytes) else await current
                if cache is not None and not isinstance(current, bytes):
                    cache.put(sentence, audio, rate=rate, out_rate=target, voice=self.voice_id)
                if index + 1 < len(sentences):
                    pending = begin(sentences[index + 1])
                yield audio
        finally:
            if isinstance(pending, asyncio.Future) and not pending.done():
                pending.cancel()

    def close(self) -> None:
        """Stop the worker threads once queued sentences finish."""
        self._executor.shutdown(wait=True, cancel_futures=True)


def _load_voice(
    model_path: str,
    config_path: str,
    providers: list[str | tuple[str, dict[str, str]]],
    intra_op_threads: int,
) -> PiperVoice:
    """``PiperVoice.load`` with our own onnxruntime session (threads, spinning, providers)."""
    with open(config_path, encoding="utf-8") as file:
        config = PiperConfig.from_dict(json.load(file))
    session = onnxruntime.InferenceSession(
        model_path, sess_options=session_options(intra_op_threads), providers=providers
    )
    return PiperVoice(
        config=config,
        session=session,
        espeak_data_dir=Path(ESPEAK_DATA_DIR),
        download_dir=Path.cwd(),
    )


_shared: dict[tuple[str, int], SpeechSynthesizer] = {}
_shared_lock = threading.Lock()


def shared_synthesizer(voice: str = "", *, workers: int = 2) -> SpeechSynthesizer:
    """The process's synthesizer for this voice, loaded on first use."""
    key = (resolve_voice(voice)[0], workers)
    with _shared_lock:
        synthesizer = _shared.get(key)
        if synthesizer is None:
            synthesizer = SpeechSynthesizer(voice, workers=workers)
            _shared[key] = synthesizer
        return synthesizer
