"""Phrase cache bookkeeping, sentence splitting and mu-law, without synthesis."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tts.cache import PhraseCache, cache_key
from tts.resample import mulaw_to_pcm16, pcm16_to_mulaw, to_mulaw_8k, to_rate
from tts.sentences import split_sentences


class FakeRenderer:
    """Counts renders; audio is the sentence's bytes repeated so sizes are predictable."""

    voice_id = "fake-voice"

    def __init__(self) -> None:
        self.rendered: list[str] = []

    def render_sentence(self, sentence: str, *, rate: float, out_rate: int) -> bytes:
        self.rendered.append(sentence)
        return sentence.encode() * 10


def test_get_put_hits_and_misses() -> None:
    cache = PhraseCache(max_bytes=1000)
    assert cache.get("Hello.", out_rate=8000, voice="v") is None
    cache.put("Hello.", b"\x01\x02", out_rate=8000, voice="v")
    assert cache.get("Hello.", out_rate=8000, voice="v") == b"\x01\x02"
    assert cache.get("  Hello.  ", out_rate=8000, voice="v") == b"\x01\x02"  # whitespace
    # Every part of the key matters.
    assert cache.get("Hello.", out_rate=16000, voice="v") is None
    assert cache.get("Hello.", rate=0.8, out_rate=8000, voice="v") is None
    assert cache.get("Hello.", out_rate=8000, voice="other") is None
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.entries, stats.bytes_used) == (2, 4, 1, 2)
    assert cache_key("a  b", rate=0.80001, out_rate=8000, voice="v") == ("a b", 0.8, 8000, "v")


def test_lru_eviction_by_bytes_spares_pinned() -> None:
    cache = PhraseCache(max_bytes=10)
    cache.put("pinned", b"pp", out_rate=8000, voice="v", pin=True)
    cache.put("a", b"aaaa", out_rate=8000, voice="v")
    cache.put("b", b"bbbb", out_rate=8000, voice="v")
    assert cache.get("a", out_rate=8000, voice="v") == b"aaaa"  # a is now most recent
    cache.put("c", b"cccc", out_rate=8000, voice="v")  # 14 bytes: evict least recent (b)
    assert cache.get("b", out_rate=8000, voice="v") is None
    assert cache.get("a", out_rate=8000, voice="v") == b"aaaa"
    assert cache.get("pinned", out_rate=8000, voice="v") == b"pp"
    assert cache.stats().bytes_used <= 10
    assert cache.stats().evictions == 1
    cache.put("huge", b"x" * 11, out_rate=8000, voice="v")  # larger than the whole cache
    assert cache.get("huge", out_rate=8000, voice="v") is None


def test_warm_synthesises_each_sentence_once_and_pins_it() -> None:
    renderer = FakeRenderer()
    cache = PhraseCache(renderer, max_bytes=10_000)
    made = cache.warm(["Welcome. How many people?", "How many people?"], out_rate=8000)
    assert made == 2
    assert renderer.rendered == ["Welcome.", "How many people?"]
    assert cache.warm(["Welcome."], out_rate=8000) == 0
    assert cache.stats().pinned == 2
    assert cache.get("Welcome.", out_rate=8000) == b"Welcome." * 10  # voice from the renderer
    assert (cache.hits, cache.misses) == (1, 0)


def test_warm_needs_a_renderer() -> None:
    with pytest.raises(ValueError, match="renderer"):
        PhraseCache().warm(["Hi."], out_rate=8000)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("", []),
        ("Hello", ["Hello"]),
        ("Thank you. How many people?", ["Thank you.", "How many people?"]),
        ("Great! See you at 7.30 p.m. on Friday.", ["Great!", "See you at 7.30 p.m. on Friday."]),
        ("Dr. Lee will call.  Bye.", ["Dr. Lee will call.", "Bye."]),
        ('He said "Yes." Then left.', ['He said "Yes."', "Then left."]),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_mulaw_matches_audioop() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")
    every = np.arange(-32768, 32768, dtype="<i2").tobytes()
    assert pcm16_to_mulaw(every) == audioop.lin2ulaw(every, 2)
    codes = bytes(range(256))
    assert mulaw_to_pcm16(codes) == audioop.ulaw2lin(codes, 2)


def test_to_mulaw_8k_length() -> None:
    one_second = (np.sin(np.arange(22050) / 10) * 8000).astype("<i2").tobytes()
    assert len(to_mulaw_8k(one_second, 22050)) == 8000
    assert to_rate(one_second, 22050, 22050) == one_second
    with pytest.raises(ValueError):
        to_rate(one_second, 0, 8000)
