"""Model resolution, device choice, the hint prompt and the noise guard, without decoding."""

from __future__ import annotations

from pathlib import Path

import pytest

import asr.model
from asr.guard import noise_reason
from asr.hints import MAX_PROMPT_CHARS, build_prompt
from asr.model import ModelNotFoundError, pick_device, resolve_model_path
from asr.recognizer import SpeechRecognizer, token_budget


def test_empty_setting_is_the_bundled_model() -> None:
    path = Path(resolve_model_path(""))
    assert (path / "model.bin").is_file()
    assert resolve_model_path("   ") == str(path)


def test_missing_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelNotFoundError, match="no-such-model") as err:
        resolve_model_path(str(missing))
    assert "whisper_model" in str(err.value)
    with pytest.raises(ModelNotFoundError, match="no-such-model"):
        SpeechRecognizer(str(missing), device="cpu")


def test_folder_without_model_files_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelNotFoundError, match=r"missing model\.bin"):
        resolve_model_path(str(tmp_path))


@pytest.mark.parametrize(
    ("setting", "gpus", "expected"),
    [
        ("auto", 0, ("cpu", "int8")),
        ("auto", 1, ("cuda", "float16")),
        ("", 2, ("cuda", "float16")),
        ("cpu", 1, ("cpu", "int8")),
        ("CUDA", 1, ("cuda", "float16")),
    ],
)
def test_pick_device(
    monkeypatch: pytest.MonkeyPatch, setting: str, gpus: int, expected: tuple[str, str]
) -> None:
    monkeypatch.setattr(asr.model.ctranslate2, "get_cuda_device_count", lambda: gpus)
    assert pick_device(setting) == expected


def test_pick_device_refuses_cuda_without_gpu_and_unknown_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(asr.model.ctranslate2, "get_cuda_device_count", lambda: 0)
    with pytest.raises(RuntimeError, match="no CUDA device"):
        pick_device("cuda")
    with pytest.raises(ValueError, match="whisper_device"):
        pick_device("gpu")


def test_pick_device_survives_a_broken_cuda_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> int:
        raise RuntimeError("driver")

    monkeypatch.setattr(asr.model.ctranslate2, "get_cuda_device_count", broken)
    assert pick_device("auto") == ("cpu", "int8")


def test_build_prompt() -> None:
    assert build_prompt([]) is None
    assert build_prompt(["", "  "]) is None
    assert build_prompt(["two", "four", "Four", " six  people "]) == "two, four, six people."
    assert build_prompt("Party size: two, four, six people.") == (
        "Party size: two, four, six people."
    )
    long = build_prompt([f"word{i}" for i in range(200)])
    assert long is not None and len(long) <= MAX_PROMPT_CHARS + 1


def test_token_budget_grows_with_audio_and_is_capped() -> None:
    assert token_budget(0.5) < token_budget(3.0) < token_budget(30.0) == token_budget(90.0)
    assert token_budget(1.0) >= 20  # a one-second answer never needs more


@pytest.mark.parametrize(
    ("text", "logprob", "no_speech", "ratio", "reason"),
    [
        ("", -0.1, 0.1, 1.0, "empty"),
        (" . ", -0.1, 0.1, 1.0, "empty"),
        ("Yes.", -0.9, 0.94, 0.3, "no_speech"),
        ("Okay.", -1.45, 0.51, 0.3, "no_speech"),
        ("Tunes.", -1.8, 0.1, 0.3, "low_logprob"),
        ("yes yes yes yes yes", -0.2, 0.1, 1.2, "repetition"),
        ("Two, three, six, six, six.", -0.7, 0.52, 1.0, "repetition"),
        ("a b c", -0.2, 0.1, 2.6, "repetition"),
        ("You", -0.3, 0.3, 0.3, "hallucination"),
        ("Thank you for watching!", -0.3, 0.3, 0.9, "hallucination"),
        ("I hope you enjoyed this video.", -0.3, 0.3, 0.9, "hallucination"),
        ("♪", -0.3, 0.3, 0.3, "empty"),
    ],
)
def test_guard_rejects(
    text: str, logprob: float, no_speech: float, ratio: float, reason: str
) -> None:
    got = noise_reason(text, avg_logprob=logprob, no_speech_prob=no_speech, compression_ratio=ratio)
    assert got == reason


@pytest.mark.parametrize(
    ("text", "logprob", "no_speech"),
    [
        ("Yes.", -0.45, 0.56),  # espeak "Yes." without hints
        ("6.", -0.83, 0.47),
        ("Thank you.", -0.2, 0.1),  # a real answer, unlike "Thank you for watching"
        ("No, no, no.", -0.3, 0.2),
        ("tomorrow last 730", -1.26, 0.17),  # weak but real speech
    ],
)
def test_guard_keeps_speech(text: str, logprob: float, no_speech: float) -> None:
    assert (
        noise_reason(text, avg_logprob=logprob, no_speech_prob=no_speech, compression_ratio=1.0)
        is None
    )


def test_guard_flags_a_decode_that_hit_the_token_cap() -> None:
    reason = noise_reason(
        "one two three",
        avg_logprob=-0.2,
        no_speech_prob=0.1,
        compression_ratio=1.0,
        hit_token_cap=True,
    )
    assert reason == "repetition"
