"""The synthesizer with the real bundled voice: audio, rate, streaming order, resampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tts.cache import PhraseCache
from tts.resample import pcm16_to_float, to_rate
from tts.synthesizer import SpeechSynthesizer
from tts.voice import VoiceNotFoundError, resolve_voice

TWO_SENTENCES = "Thank you for calling Anbu Bistro. How many people is the booking for?"
FOUR_SENTENCES = (
    "Thank you for calling. I can book a table for you. "
    "What day would you like to come? And for how many people?"
)


def _seconds(pcm16: bytes, rate: int) -> float:
    return len(pcm16) / 2 / rate


def _rms(pcm16: bytes) -> float:
    return float(np.sqrt(np.mean(pcm16_to_float(pcm16) ** 2)))


def test_one_chunk_per_sentence_non_silent_plausible_length(
    synthesizer: SpeechSynthesizer,
) -> None:
    chunks = list(synthesizer.synthesize_sentences(TWO_SENTENCES))
    assert synthesizer.sample_rate == 22050
    assert len(chunks) == 2
    for chunk in chunks:
        assert len(chunk) % 2 == 0
        assert _rms(chunk) > 0.03  # speech, not silence
        assert 0.8 < _seconds(chunk, synthesizer.sample_rate) < 5.0
    # ~14 words at a normal pace: 3 to 7 seconds in all.
    assert 3.0 < sum(_seconds(c, synthesizer.sample_rate) for c in chunks) < 7.0


def _mean_length(synthesizer: SpeechSynthesizer, rate: float, runs: int = 3) -> float:
    # Piper's duration predictor is stochastic (noise_w): one run can be several % off.
    total = 0
    for _ in range(runs):
        total += sum(len(c) for c in synthesizer.synthesize_sentences(TWO_SENTENCES, rate=rate))
    return total / runs


def test_slower_rate_gives_longer_audio(synthesizer: SpeechSynthesizer) -> None:
    normal = _mean_length(synthesizer, 1.0)
    slow = _mean_length(synthesizer, 0.8)
    fast = _mean_length(synthesizer, 1.25)
    # Length scale 1/0.8 = 1.25 stretches phonemes; measured totals come out ~1.16x and ~0.87x
    # (pauses and edges scale less); averaging three runs evens out Piper's duration noise.
    assert slow > normal * 1.08
    assert fast < normal * 0.93


def test_rate_out_of_range_is_refused(synthesizer: SpeechSynthesizer) -> None:
    with pytest.raises(ValueError, match="rate"):
        next(iter(synthesizer.synthesize_sentences("Hello.", rate=0.1)))


def test_render_sentence_at_telephone_rate(synthesizer: SpeechSynthesizer) -> None:
    audio = synthesizer.render_sentence("How many people?", out_rate=8000)
    assert _rms(audio) > 0.03
    assert 0.5 < _seconds(audio, 8000) < 3.0


async def test_stream_yields_first_sentence_before_the_rest_is_made(
    synthesizer: SpeechSynthesizer,
) -> None:
    before = synthesizer.stats
    done_at_yield: list[int] = []
    chunks: list[bytes] = []
    async for chunk in synthesizer.stream(FOUR_SENTENCES, out_rate=16000):
        done_at_yield.append(synthesizer.stats.sentences_done - before.sentences_done)
        chunks.append(chunk)
    assert len(chunks) == 4
    # When the first sentence was handed over, at most it and the one started after it were
    # done; the remaining sentences had not even been started.
    assert done_at_yield[0] <= 2
    assert done_at_yield[-1] == 4
    assert all(_rms(c) > 0.03 for c in chunks)


async def test_stream_closed_early_does_not_make_the_rest(synthesizer: SpeechSynthesizer) -> None:
    before = synthesizer.stats
    stream = synthesizer.stream(FOUR_SENTENCES, out_rate=8000)
    async for _ in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    started = synthesizer.stats.sentences_started - before.sentences_started
    assert started <= 2


async def test_stream_of_empty_text_yields_nothing(synthesizer: SpeechSynthesizer) -> None:
    assert [c async for c in synthesizer.stream("   ", out_rate=8000)] == []


async def test_stream_uses_and_fills_the_cache(synthesizer: SpeechSynthesizer) -> None:
    cache = PhraseCache(synthesizer)
    assert cache.warm(["Thank you for calling."], out_rate=8000) == 1
    fixed = cache.get("Thank you for calling.", out_rate=8000)
    assert fixed is not None
    text = "Thank you for calling. Your table for four is booked for Friday."

    first = [c async for c in synthesizer.stream(text, out_rate=8000, cache=cache)]
    assert first[0] == fixed  # the fixed sentence was replayed, not re-synthesised
    stats = cache.stats()
    assert (stats.hits, stats.misses) == (2, 1)  # the get above, the replay; the new sentence

    second = [c async for c in synthesizer.stream(text, out_rate=8000, cache=cache)]
    assert second == first  # now both sentences come from the cache
    assert cache.stats().hits == 4


def test_resample_length_and_anti_aliasing(synthesizer: SpeechSynthesizer) -> None:
    """22050 -> 8000 keeps the length and does not fold content above 4 kHz into the band."""
    rate = synthesizer.sample_rate
    # Sibilant-heavy speech has real energy above 4 kHz to fold.
    speech = b"".join(synthesizer.synthesize_sentences("Sixty-six sisters sat in the sun."))
    narrow = to_rate(speech, rate, 8000)
    expected = len(speech) // 2 * 8000 / rate
    assert abs(len(narrow) // 2 - expected) <= 2

    # The band below 3.4 kHz is kept; the 3.4-4 kHz edge, where folded 4-4.6 kHz content
    # would land, holds no more energy than the original had there.
    def band_energy(pcm: bytes, sr: int, lo: float, hi: float) -> float:
        x = pcm16_to_float(pcm).astype(np.float64)
        spectrum = np.abs(np.fft.rfft(x)) ** 2 / sr
        freqs = np.fft.rfftfreq(x.size, 1 / sr)
        return float(spectrum[(freqs >= lo) & (freqs < hi)].sum() / x.size)

    assert band_energy(speech, rate, 4000, 11025) > 0.05 * band_energy(speech, rate, 0, 4000)
    kept = band_energy(narrow, 8000, 300, 3400) / band_energy(speech, rate, 300, 3400)
    assert 0.9 < kept < 1.1
    assert band_energy(narrow, 8000, 3400, 4000) <= 1.05 * band_energy(speech, rate, 3400, 4000)

    # A pure 6 kHz tone would alias to 2 kHz without a filter: it must all but vanish.
    t = np.arange(rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 6000 * t) * 32767).astype("<i2").tobytes()
    folded = pcm16_to_float(to_rate(tone, rate, 8000))
    assert float(np.sqrt(np.mean(folded**2))) < 0.5 / np.sqrt(2) * 0.01  # below -40 dB


def test_missing_voice_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nobody.onnx"
    with pytest.raises(VoiceNotFoundError, match=r"nobody\.onnx") as err:
        resolve_voice(str(missing))
    assert "piper_voice" in str(err.value)
    with pytest.raises(VoiceNotFoundError, match=r"nobody\.onnx"):
        SpeechSynthesizer(str(missing))


def test_voice_without_config_or_suffix_is_a_clear_error(tmp_path: Path) -> None:
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"not really a model")
    with pytest.raises(VoiceNotFoundError, match=r"voice\.onnx\.json"):
        resolve_voice(str(model))
    with pytest.raises(VoiceNotFoundError, match=r"\.onnx file"):
        resolve_voice(str(tmp_path / "voice.bin"))


def test_empty_setting_is_the_bundled_voice() -> None:
    model, config = resolve_voice("")
    assert model.endswith(".onnx") and Path(model).is_file()
    assert config == model + ".json" and Path(config).is_file()
