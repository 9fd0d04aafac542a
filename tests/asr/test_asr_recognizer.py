"""The recogniser on real (synthetic) speech through a phone line, and on noise."""

from __future__ import annotations

import asyncio
import re

import numpy as np
import pytest
from asr_testkit import NOISE_KINDS, noise, phone_line, phone_to_16k, speech

from asr.recognizer import SpeechRecognizer
from asr.transcript import Transcript

VOICES = [
    "piper",
    # No skip: `make test` installs espeak-ng; a missing second voice must fail loudly.
    "espeak",
]

FOUR_PEOPLE = r"\b(four|4) people\b"
SEVEN_THIRTY = r"\b(seven[ -]thirty|7[:.]?30)\b"

# (what is said, patterns the transcript must match, hints the dialog would send)
ANSWERS = [
    ("A table for four people, please.", [FOUR_PEOPLE], ["two", "four", "six people"]),
    ("Tomorrow at seven thirty.", [r"\btomorrow\b", SEVEN_THIRTY], ["tomorrow", "seven thirty"]),
    (
        "I'd like to book a table for two tomorrow evening at seven thirty.",
        [r"\btable for (two|2)\b", r"\btomorrow\b", SEVEN_THIRTY],
        ["book a table", "tomorrow evening", "seven thirty"],
    ),
    ("Can I speak to a person?", [r"\bspeak to\b"], ["speak to a person"]),
    ("No, I need to cancel.", [r"\bno\b", r"\bcancel\b"], ["yes", "no", "cancel"]),
]


def _matches(transcript: Transcript, patterns: list[str]) -> int:
    text = transcript.text.lower()
    return sum(1 for pattern in patterns if re.search(pattern, text))


@pytest.mark.parametrize("voice", VOICES)
@pytest.mark.parametrize(("said", "patterns", "hints"), ANSWERS, ids=[a[0][:24] for a in ANSWERS])
def test_recognises_answers_over_the_phone(
    recognizer: SpeechRecognizer, voice: str, said: str, patterns: list[str], hints: list[str]
) -> None:
    audio = phone_to_16k(*speech(voice, said))

    plain = recognizer.transcribe(audio)
    hinted = recognizer.transcribe(audio, hints=hints)

    for result in (plain, hinted):
        assert not result.is_noise, result.metrics()
        assert 0.0 < result.confidence <= 1.0
        assert result.duration_s == pytest.approx(audio.size / 16000)
        assert result.decode_s > 0
    # Hints must not break an answer that is already recognised, and usually help.
    assert _matches(hinted, patterns) == len(patterns), hinted.metrics()
    assert _matches(hinted, patterns) >= _matches(plain, patterns)
    if voice == "piper":  # the clean voice must be right without help too
        assert _matches(plain, patterns) == len(patterns), plain.metrics()


@pytest.mark.parametrize("voice", VOICES)
def test_hints_fix_words_the_plain_decode_gets_wrong(
    recognizer: SpeechRecognizer, voice: str
) -> None:
    """Numbers and names are where vocabulary helps: "Six." alone is easily "6." or lost."""
    cases = [
        ("Six.", r"^six\W*$", ["two", "four", "six", "eight people"]),
        ("Eight people.", r"\beight people\b", ["two", "four", "six", "eight people"]),
        ("My name is Priya Raman.", r"\bpriya raman\b", ["Name: Priya Raman"]),
    ]
    plain_hits = hinted_hits = 0
    for said, pattern, hints in cases:
        audio = phone_to_16k(*speech(voice, said))
        plain = recognizer.transcribe(audio)
        hinted = recognizer.transcribe(audio, hints=hints)
        assert not hinted.is_noise, hinted.metrics()
        plain_hits += bool(re.search(pattern, plain.text.lower()))
        hinted_hits += bool(re.search(pattern, hinted.text.lower()))
    assert hinted_hits >= plain_hits
    assert hinted_hits >= len(cases) - 1


def test_accepts_8k_pcm_bytes(recognizer: SpeechRecognizer) -> None:
    """The pipeline hands over raw PCM16 at the call's rate; the recogniser resamples."""
    pcm_8k = phone_line(*speech("piper", "A table for four people, please."))
    result = recognizer.transcribe(pcm_8k, sample_rate=8000)
    assert re.search(FOUR_PEOPLE, result.text.lower())
    assert result.duration_s == pytest.approx(len(pcm_8k) / 2 / 8000, abs=0.01)


@pytest.mark.parametrize("kind", NOISE_KINDS)
@pytest.mark.parametrize(
    "hints", [(), ("two", "four", "six people"), ("yes", "no")], ids=["plain", "party", "yesno"]
)
def test_noise_is_flagged(recognizer: SpeechRecognizer, kind: str, hints: tuple[str, ...]) -> None:
    """Whatever tiny.en writes over noise (even an echo of the hints) must not pass as speech."""
    audio = phone_to_16k(noise(kind), 16000)
    result = recognizer.transcribe(audio, hints=hints)
    assert result.is_noise, (kind, result.metrics())
    assert result.noise_reason is not None


def test_empty_audio_is_noise_without_decoding(recognizer: SpeechRecognizer) -> None:
    before = recognizer.stats.completed
    result = recognizer.transcribe(b"")
    assert result.is_noise and result.noise_reason == "empty"
    assert recognizer.stats.completed == before


def test_transcript_repr_never_shows_text(recognizer: SpeechRecognizer) -> None:
    result = recognizer.transcribe(phone_to_16k(*speech("piper", "Can I speak to a person?")))
    assert "person" in result.text.lower()
    assert "person" not in repr(result).lower()
    assert "person" not in str(result.metrics()).lower()


async def test_async_decodes_are_bounded_by_workers(recognizer: SpeechRecognizer) -> None:
    audio = phone_to_16k(*speech("piper", "Tomorrow at seven thirty."))
    before = recognizer.stats
    results = await asyncio.gather(*(recognizer.transcribe_async(audio) for _ in range(4)))
    after = recognizer.stats

    assert after.completed - before.completed == 4
    assert after.peak_in_flight <= recognizer.workers
    assert after.peak_in_flight == recognizer.workers  # the pool did run decodes side by side
    assert after.in_flight == 0 and after.waiting == 0
    assert all(r.text == results[0].text for r in results)
    assert all(r.queue_wait_s >= 0 and r.decode_s > 0 for r in results)


async def test_decoding_does_not_block_the_event_loop(recognizer: SpeechRecognizer) -> None:
    audio = phone_to_16k(
        *speech("piper", "I'd like to book a table for two tomorrow evening at seven thirty.")
    )
    ticks = 0
    decoding = True

    async def heartbeat() -> None:
        nonlocal ticks
        while decoding:
            await asyncio.sleep(0.005)
            ticks += 1

    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(0)  # let the heartbeat start
    start_ticks = ticks
    result = await recognizer.transcribe_async(audio)
    during = ticks - start_ticks
    decoding = False
    await beat
    assert not result.is_noise
    assert during > 0, "the event loop stood still while Whisper decoded"


def test_rejects_stereo_and_odd_bytes(recognizer: SpeechRecognizer) -> None:
    with pytest.raises(ValueError, match="mono"):
        recognizer.transcribe(np.zeros((2, 1600), dtype=np.float32))
    with pytest.raises(ValueError, match="even"):
        recognizer.transcribe(b"\x00\x01\x02")
