"""Pipecat frames the TTS service understands besides text.

Some callers need the agent to slow down (an older person on a wellness check-in, a caller who
asked "can you repeat that?"); the dialog says so with :class:`SpeakingRateFrame` ahead of the
text it applies to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipecat.frames.frames import ControlFrame


@dataclass
class SpeakingRateFrame(ControlFrame):
    """Speak everything after this frame at ``rate`` (1.0 normal, 0.8 slower, 1.2 faster).

    A control frame, so it is processed in order with the text around it; not interruptible,
    so a barge-in cannot drop a rate change that later prompts rely on. The TTS service
    consumes it.
    """

    rate: float = 1.0
    interruptible: bool = field(default=False, init=False)
