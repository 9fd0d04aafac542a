"""Where the voice runs: provider choice (no GPU needed to test it) and the session's threads."""

from __future__ import annotations

import onnxruntime
import pytest

from tts import runtime
from tts.runtime import CPU, CUDA, pick_providers, session_options
from tts.synthesizer import SpeechSynthesizer


def _offer(monkeypatch: pytest.MonkeyPatch, providers: list[str]) -> None:
    monkeypatch.setattr(runtime.onnxruntime, "get_available_providers", lambda: providers)


def test_cpu_is_always_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    _offer(monkeypatch, [CUDA, CPU])
    assert pick_providers("cpu") == [CPU]


def test_auto_takes_cuda_only_when_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    _offer(monkeypatch, [CUDA, CPU])
    chosen = pick_providers("auto")
    assert isinstance(chosen[0], tuple) and chosen[0][0] == CUDA
    assert chosen[-1] == CPU  # operators CUDA lacks still run
    _offer(monkeypatch, [CPU])
    assert pick_providers("auto") == [CPU]


def test_cuda_without_a_gpu_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _offer(monkeypatch, [CPU])
    with pytest.raises(RuntimeError, match="no CUDA provider"):
        pick_providers("cuda")
    with pytest.raises(ValueError, match="'auto', 'cpu' or 'cuda'"):
        pick_providers("tpu")


def test_a_broken_provider_query_means_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> list[str]:
        raise OSError("libcudart missing")

    monkeypatch.setattr(runtime.onnxruntime, "get_available_providers", broken)
    assert pick_providers("auto") == [CPU]


def test_session_options_pin_threads_and_stop_spinning() -> None:
    options = session_options(1)
    assert options.intra_op_num_threads == 1
    assert options.inter_op_num_threads == 1
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert session_options(0).intra_op_num_threads == 0
    with pytest.raises(ValueError, match="negative"):
        session_options(-1)


def test_synthesizer_uses_the_chosen_provider(synthesizer: SpeechSynthesizer) -> None:
    assert synthesizer.providers == [CPU]
    assert onnxruntime.get_device() in ("CPU", "GPU")
