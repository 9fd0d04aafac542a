"""Where Piper's ONNX model runs, and with how many threads.

onnxruntime's defaults are made for one model owning the machine: an intra-op pool with one
thread per core, spinning between operators. On a 2-core phone server Whisper, Silero and
dozens of call pipelines share those cores; a Piper session that spins both of them while a
sentence is made steals the time that decoding and the calls' audio pumps need. So the CPU
session defaults to one intra-op thread without spinning (sentences from different calls run
in parallel on the synthesizer's own pool instead), and a GPU is used only when onnxruntime
can actually reach one.
"""

from __future__ import annotations

import onnxruntime

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"


def pick_providers(device: str = "cpu") -> list[str | tuple[str, dict[str, str]]]:
    """onnxruntime providers for ``device``: ``cpu``, ``cuda`` or ``auto``.

    ``auto`` takes CUDA when this onnxruntime build offers it (the ``onnxruntime-gpu`` wheel on
    a host with a GPU) and the CPU otherwise; ``cuda`` without it is an error rather than a
    silent fall-back, so a misconfigured GPU host is noticed. The CPU stays listed after CUDA
    for the few operators CUDA lacks.
    """
    choice = device.strip().lower() or "cpu"
    if choice not in ("auto", "cpu", "cuda"):
        raise ValueError(f"TTS device must be 'auto', 'cpu' or 'cuda', not {device!r}")
    if choice == "cpu":
        return [CPU]
    if CUDA in _available():
        return [(CUDA, {"cudnn_conv_algo_search": "HEURISTIC"}), CPU]
    if choice == "cuda":
        raise RuntimeError("TTS device is 'cuda' but onnxruntime offers no CUDA provider")
    return [CPU]


def session_options(intra_op_threads: int = 1) -> onnxruntime.SessionOptions:
    """Session options for a shared voice: ``intra_op_threads`` threads (0: onnxruntime's
    default, one per core), no spinning, one inter-op thread."""
    if intra_op_threads < 0:
        raise ValueError(f"intra_op_threads must not be negative, not {intra_op_threads}")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return options


def _available() -> list[str]:
    """Providers this onnxruntime build offers; none when it cannot even say."""
    try:
        return list(onnxruntime.get_available_providers())
    except Exception:  # a broken GPU build must not stop a CPU server
        return []
