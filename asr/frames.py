"""Pipecat frames the ASR service speaks besides ``TranscriptionFrame``.

Every caller turn must end with the agent saying something, including the turns where the VAD
fired on a cough, a door or line noise. Whisper's text for those is invented, so the service
does not pass it on as a transcription; it pushes :class:`NoSpeechFrame` instead so the dialog can
re-prompt. :class:`AsrHintsFrame` goes the other way: after each prompt the dialog tells the
recogniser what vocabulary the answer should use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pipecat.frames.frames import DataFrame, SystemFrame, TranscriptionFrame

from asr.transcript import Transcript


@dataclass
class CallerTranscriptionFrame(TranscriptionFrame):
    """A ``TranscriptionFrame`` whose ``str()`` leaves out what the caller said.

    Pipecat logs every frame it pushes at TRACE level using ``str(frame)``, and the stock
    ``TranscriptionFrame`` prints its text; callers' answers (names, health remarks) must not
    reach the logs, so the service emits this subclass. Anything that handles
    ``TranscriptionFrame`` handles it unchanged.
    """

    def __str__(self) -> str:
        return (
            f"{self.name}(user: {self.user_id}, chars: {len(self.text)}, language: {self.language})"
        )


@dataclass
class NoSpeechFrame(DataFrame):
    """The caller's turn held no usable speech (noise, silence, or text the guard rejected).

    A data frame, so it stays in order with transcriptions and is dropped by an interruption
    like they are. ``result`` carries the rejected transcript for metrics; its text must not be
    logged (its ``repr`` already leaves it out).

    Parameters:
        reason: The guard's reason (``"empty"``, ``"no_speech"``, ...), safe to log.
        user_id: The transport's user id, as on ``TranscriptionFrame``.
        result: The rejected transcript, with confidence and timings.
    """

    reason: str
    user_id: str = ""
    result: Transcript | None = None

    def __str__(self) -> str:
        return f"{self.name}(reason: {self.reason})"


@dataclass
class AsrHintsFrame(SystemFrame):
    """Vocabulary the next answers are expected to use, e.g. ``["two", "four", "people"]``.

    Pushed upstream by the dialog after each agent prompt (or downstream from before the STT
    service); the STT service keeps the hints for every following utterance until the next
    ``AsrHintsFrame`` and does not pass the frame on. An empty list clears the hints. A system
    frame, so it takes effect at once and an interruption cannot drop it.
    """

    hints: Sequence[str] = field(default_factory=tuple)

    def __str__(self) -> str:
        return f"{self.name}(hints: {len(self.hints)})"
