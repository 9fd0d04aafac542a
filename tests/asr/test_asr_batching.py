"""Cross-call batching and the direct CTranslate2 decode: same answers, bounded concurrency.

No timing thresholds: these check that a batched or direct decode says what the reference
decode says, and that the counters show the bounds were kept.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence

import pytest
from asr_testkit import phone_to_16k, speech
from faster_whisper import WhisperModel

from asr.batcher import MicroBatcher
from asr.decoder import FULL_WINDOW_FRAMES, collapse_loop, window_frames
from asr.hints import build_prompt
from asr.model import GPU_MAX_BATCH, default_max_batch
from asr.recognizer import SpeechRecognizer, token_budget

LINES = [
    ("piper", "A table for four people, please."),
    ("espeak", "Tomorrow at seven thirty."),
    ("piper", "It's under John Smith."),
    ("espeak", "No, I need to cancel."),
]
HINTS = ["two", "four", "six people"]


@pytest.fixture(scope="module")
def batched() -> Iterator[SpeechRecognizer]:
    """A CPU recogniser forced to batch (CPU defaults to 1), with a long gathering window so
    that four requests submitted together reliably share one model call."""
    recognizer = SpeechRecognizer(
        "", device="cpu", workers=2, cpu_threads=1, max_batch=4, batch_wait_s=0.5
    )
    yield recognizer
    recognizer.close()


def _audio() -> list[object]:
    return [phone_to_16k(*speech(voice, text)) for voice, text in LINES]


def test_direct_decode_matches_faster_whisper_transcribe(recognizer: SpeechRecognizer) -> None:
    """The full-window direct decode is faster-whisper's own decode, token for token."""
    reference = WhisperModel(recognizer.model_path, device="cpu", compute_type="int8")
    for audio in _audio():
        for hints in ((), HINTS):
            ours = recognizer.transcribe(audio, hints=hints)  # type: ignore[arg-type]
            segments, _ = reference.transcribe(
                audio,  # type: ignore[arg-type]
                language="en",
                beam_size=1,
                best_of=1,
                temperature=0.0,
                without_timestamps=True,
                condition_on_previous_text=False,
                vad_filter=False,
                initial_prompt=build_prompt(hints),
                no_speech_threshold=None,
                log_prob_threshold=None,
                compression_ratio_threshold=None,
                max_new_tokens=token_budget(ours.duration_s),
            )
            theirs = list(segments)
            assert ours.text == " ".join(s.text.strip() for s in theirs).strip()
            assert ours.avg_logprob == pytest.approx(theirs[0].avg_logprob, abs=1e-5)
            assert ours.no_speech_prob == pytest.approx(theirs[0].no_speech_prob, abs=1e-5)


async def test_batched_results_equal_unbatched(batched: SpeechRecognizer) -> None:
    audios = _audio()
    alone = [batched.transcribe(a, hints=HINTS) for a in audios]  # type: ignore[arg-type]
    before = batched.stats
    together = await asyncio.gather(
        *(batched.transcribe_async(a, hints=HINTS) for a in audios)  # type: ignore[arg-type]
    )
    after = batched.stats

    assert [t.text for t in together] == [t.text for t in alone]
    for a, b in zip(alone, together, strict=True):
        assert b.avg_logprob == pytest.approx(a.avg_logprob, abs=1e-3)
        assert b.is_noise == a.is_noise
    assert after.completed - before.completed == len(audios)
    assert after.peak_batch >= 2  # they really did share a model call
    assert after.batches - before.batches < len(audios)
    assert after.in_flight == 0 and after.waiting == 0


async def test_batches_respect_worker_bound_and_keys(batched: SpeechRecognizer) -> None:
    """Different hint prompts cannot share a call (Whisper needs aligned prompts); every
    request is still answered, and no more than ``workers`` model calls run at once."""
    audio = phone_to_16k(*speech("piper", "Yes, please."))
    hint_sets: list[Sequence[str]] = [(), ("yes", "no"), HINTS, ("tomorrow", "seven thirty")] * 3
    results = await asyncio.gather(*(batched.transcribe_async(audio, hints=h) for h in hint_sets))
    stats = batched.stats
    assert all("yes" in r.text.lower() for r in results)
    assert stats.peak_in_flight <= batched.workers
    assert stats.peak_batch <= batched.max_batch
    assert stats.in_flight == 0 and stats.waiting == 0


def test_cpu_does_not_batch_by_default(recognizer: SpeechRecognizer) -> None:
    assert recognizer.max_batch == 1
    assert default_max_batch("cpu") == 1
    assert default_max_batch("cuda") == GPU_MAX_BATCH > 1


def test_short_window_still_recognises_and_collapses_loops() -> None:
    short = SpeechRecognizer("", device="cpu", workers=1, window_s=2.0)
    try:
        for voice, text in (("piper", "Yes, please."), ("piper", "It's under John Smith.")):
            result = short.transcribe(phone_to_16k(*speech(voice, text)))
            assert not result.is_noise, result.metrics()
            assert result.text.lower().count(text.split()[0].lower()) == 1
    finally:
        short.close()


@pytest.mark.parametrize(
    ("content", "window_s", "expected"),
    [
        (250, 0.0, FULL_WINDOW_FRAMES),
        (250, 30.0, FULL_WINDOW_FRAMES),
        (250, 2.0, 400),
        (200, 2.0, 400),  # always some padding after the speech
        (199, 2.0, 200),
        (2950, 2.0, FULL_WINDOW_FRAMES),
    ],
)
def test_window_frames(content: int, window_s: float, expected: int) -> None:
    assert window_frames(content, window_s) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes, please. Yes, please. Yes", "Yes, please."),
        ("It's under John Smith. It's under John Smith. It's", "It's under John Smith."),
        ("A table for two, two people.", "A table for two, two people."),
        ("Maria Garcia", "Maria Garcia"),
        ("", ""),
    ],
)
def test_collapse_loop(text: str, expected: str) -> None:
    assert collapse_loop(text) == expected


def test_microbatcher_groups_by_key_and_bounds_batches() -> None:
    seen: list[list[tuple[str, int]]] = []
    gate = threading.Event()

    def run(jobs: Sequence[tuple[str, int]]) -> list[int]:
        gate.wait(5)
        seen.append(list(jobs))
        return [n * 10 for _, n in jobs]

    batcher: MicroBatcher[tuple[str, int], int] = MicroBatcher(
        run, workers=1, max_batch=3, max_wait_s=0.05
    )
    try:
        futures = [batcher.submit(key, (key, n)) for n, key in enumerate("aabaaab")]
        gate.set()
        results = [f.result(5)[0] for f in futures]
    finally:
        batcher.close()
    assert results == [n * 10 for n in range(7)]
    assert all(len({k for k, _ in batch}) == 1 for batch in seen)
    assert max(len(batch) for batch in seen) <= 3
    assert batcher.peak_running == 1
    assert all(f.result()[1] >= 0 for f in futures)


def test_microbatcher_hands_errors_to_every_waiter() -> None:
    def boom(jobs: Sequence[int]) -> list[int]:
        raise RuntimeError("model failed")

    batcher: MicroBatcher[int, int] = MicroBatcher(boom, workers=2, max_batch=4, max_wait_s=0.01)
    try:
        futures = [batcher.submit("k", n) for n in range(3)]
        for future in futures:
            with pytest.raises(RuntimeError, match="model failed"):
                future.result(5)
    finally:
        batcher.close()
    with pytest.raises(RuntimeError, match="closed"):
        batcher.submit("k", 1)
    time.sleep(0)  # nothing left running
    assert batcher.running == 0
