"""What an attempt's result was, and whether to try again: pure functions, no I/O.

Reports about one call arrive from three places in any order: Twilio's status callbacks
(``no-answer``, ``busy``, ``failed``, ``completed``), asynchronous answering-machine detection
(``AnsweredBy``) and the dialog (``completed``, ``wrong_person``, ``opted_out`` ...). The most
specific one wins, so a voicemail stays a voicemail when Twilio later says ``completed``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Outcomes meaning the person themselves was on the line.
REACHED = frozenset({"completed", "opted_out"})
#: The number was on the do-not-call or opt-out list when the attempt came due, so it was never
#: dialled. Neither reached nor unreached: it must not reset the person's unreachable streak (we
#: did not speak with them) nor add to it (nobody tried), and it is never retried.
BLOCKED = "blocked"
_RANK = {
    "completed": 1,
    "failed": 1,
    "no-answer": 2,
    "busy": 2,
    "expired": 2,
    "wrong_person": 3,
    "opted_out": 3,
    "blocked": 3,
    "voicemail": 4,
}
_TWILIO_TERMINAL = {
    "completed": "completed",
    "no-answer": "no-answer",
    "busy": "busy",
    "failed": "failed",
    "canceled": "failed",
}


def rank(outcome: str | None) -> int:
    return _RANK.get(outcome or "", 0)


def better(current: str | None, new: str | None) -> str | None:
    """The more specific of two outcomes (the first on a tie)."""
    return new if rank(new) > rank(current) else current


def from_twilio_status(status: str) -> str | None:
    """The outcome a terminal call status implies; None while the call is still going."""
    return _TWILIO_TERMINAL.get(status)


def is_machine(answered_by: str) -> bool:
    """Twilio AMD: ``machine_start``, ``machine_end_beep`` ... and ``fax`` are not a person."""
    return answered_by.startswith("machine") or answered_by == "fax"


def from_dialog(outcome: str | None) -> str:
    """A finished conversation's outcome as an attempt outcome.

    A transfer to a person or a caller who hung up mid-way still reached the person; what they
    said so far is recorded turn by turn either way.
    """
    if outcome in ("wrong_person", "opted_out", "voicemail"):
        return outcome
    return "completed"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    outcomes: frozenset[str]
    delay_minutes: int
    max_attempts: int

    @classmethod
    def parse(cls, outcomes: str, delay_minutes: int, max_attempts: int) -> RetryPolicy:
        names = frozenset(o.strip() for o in outcomes.split(",") if o.strip())
        return cls(names, delay_minutes, max_attempts)

    def should_retry(self, outcome: str, attempt_no: int) -> bool:
        """Another attempt in the same window after this one?"""
        return outcome in self.outcomes and attempt_no < self.max_attempts
