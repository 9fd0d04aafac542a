"""Synthesised sentences kept for replay.

Most of what the agent says is fixed script ("Thank you for calling Anbu Bistro.", "How many
people is the booking for?"). Synthesising it costs ~100-300 ms of CPU per sentence on every
call; replaying it costs nothing and starts the audio at once. The cache works per sentence, at
the output rate, so a prompt made of a fixed sentence and a templated one still replays the
fixed part, and the audio is ready to send without resampling.

Bounded by bytes with least-recently-used eviction. Sentences put there by :meth:`warm` (the
script's fixed prompts) are pinned: the churn of templated sentences (names, times) cannot evict
them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from loguru import logger

from tts.sentences import split_sentences

CacheKey = tuple[str, float, int, str]
"""(sentence, rate, out_rate, voice id)."""

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
"""32 MiB: ~17 minutes of 16 kHz PCM16, far more than a script's fixed prompts."""


class SentenceRenderer(Protocol):
    """What :meth:`PhraseCache.warm` needs from a synthesizer (structural, to avoid a cycle)."""

    @property
    def voice_id(self) -> str:
        """Name of the voice, part of every cache key."""
        ...

    def render_sentence(self, sentence: str, *, rate: float, out_rate: int) -> bytes:
        """PCM16 mono audio of one sentence at ``out_rate``."""
        ...


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Counters for metrics and tests."""

    hits: int
    misses: int
    entries: int
    pinned: int
    bytes_used: int
    max_bytes: int
    evictions: int


def cache_key(text: str, *, rate: float, out_rate: int, voice: str) -> CacheKey:
    """The key a sentence is stored under: whitespace-normalised text, rate to 3 decimals."""
    return (" ".join(text.split()), round(float(rate), 3), int(out_rate), voice)


class PhraseCache:
    """Thread-safe LRU of sentence audio keyed by (text, rate, out_rate, voice id)."""

    def __init__(
        self, renderer: SentenceRenderer | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        """Create an empty cache.

        Args:
            renderer: Synthesizer used by :meth:`warm`; also supplies the default voice id.
            max_bytes: Audio bytes kept before least-recently-used unpinned sentences go.
        """
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, not {max_bytes}")
        self._renderer = renderer
        self._max_bytes = max_bytes
        self._entries: OrderedDict[CacheKey, bytes] = OrderedDict()
        self._pinned: set[CacheKey] = set()
        self._bytes = 0
        self._hits = 0
        self._misses = 0
        self._evictions = 0
        self._lock = threading.Lock()

    def _voice(self, voice: str | None) -> str:
        if voice is not None:
            return voice
        if self._renderer is None:
            raise ValueError("voice is required when the cache has no renderer")
        return self._renderer.voice_id

    def get(
        self, text: str, *, rate: float = 1.0, out_rate: int, voice: str | None = None
    ) -> bytes | None:
        """The cached audio of one sentence, or None; counts a hit or a miss."""
        key = cache_key(text, rate=rate, out_rate=out_rate, voice=self._voice(voice))
        with self._lock:
            audio = self._entries.get(key)
            if audio is None:
                self._misses += 1
                return None
            self._entries.move_to_end(key)
            self._hits += 1
            return audio

    def put(
        self,
        text: str,
        audio: bytes,
        *,
        rate: float = 1.0,
        out_rate: int,
        voice: str | None = None,
        pin: bool = False,
    ) -> None:
        """Store one sentence's audio; a pinned sentence is never evicted."""
        key = cache_key(text, rate=rate, out_rate=out_rate, voice=self._voice(voice))
        audio = bytes(audio)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            if pin:
                self._pinned.add(key)
            elif key not in self._pinned and len(audio) > self._max_bytes:
                return
            self._entries[key] = audio
            self._bytes += len(audio)
            self._evict()

    def _evict(self) -> None:
        """Drop least-recently-used unpinned sentences until the cache fits (lock held)."""
        if self._bytes <= self._max_bytes:
            return
        for key in list(self._entries):
            if self._bytes <= self._max_bytes:
                break
            if key in self._pinned:
                continue
            self._bytes -= len(self._entries.pop(key))
            self._evictions += 1

    def warm(self, phrases: Iterable[str], *, rate: float = 1.0, out_rate: int) -> int:
        """Synthesise and pin every sentence of ``phrases`` not cached yet; blocking.

        Run at start-up (or via ``asyncio.to_thread``) with the script's fixed prompts. Returns
        how many sentences were synthesised. Does not count towards hits or misses.
        """
        if self._renderer is None:
            raise ValueError("PhraseCache.warm needs a renderer (a SpeechSynthesizer)")
        voice = self._renderer.voice_id
        made = 0
        for phrase in phrases:
            for sentence in split_sentences(phrase):
                key = cache_key(sentence, rate=rate, out_rate=out_rate, voice=voice)
                with self._lock:
                    if key in self._entries:
                        self._pinned.add(key)
                        continue
                audio = self._renderer.render_sentence(sentence, rate=rate, out_rate=out_rate)
                self.put(sentence, audio, rate=rate, out_rate=out_rate, voice=voice, pin=True)
                made += 1
        with self._lock:
            if self._bytes > self._max_bytes:
                logger.warning(
                    "TTS cache: pinned prompts use {} bytes, over the {} byte bound",
                    self._bytes,
                    self._max_bytes,
                )
        return made

    def stats(self) -> CacheStats:
        """A snapshot of the counters."""
        with self._lock:
            return CacheStats(
                hits=self._hits,
                misses=self._misses,
                entries=len(self._entries),
                pinned=len(self._pinned),
                bytes_used=self._bytes,
                max_bytes=self._max_bytes,
                evictions=self._evictions,
            )

    @property
    def hits(self) -> int:
        """Sentences served from the cache."""
        with self._lock:
            return self._hits

    @property
    def misses(self) -> int:
        """Sentences looked up and not found."""
        with self._lock:
            return self._misses

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries
