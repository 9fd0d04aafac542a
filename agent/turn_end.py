"""When has the caller finished their turn? The dialog's expectation decides, not silence alone.

A fixed silence threshold is either slow (every answer waits it out) or jumpy (a pause in
"a table for four ... tomorrow at seven" cuts the sentence in two). Anbu listens with a short
pause detector instead and asks the question the silence cannot answer: does what was heard
already answer what the agent asked? "Four people" to "how many?" does, so the agent answers at
once; "I'd like to" does not, so the agent waits for the rest of the caller's configured pause
(``vad_stop_secs``) and, if the caller goes on, hears both pieces as one turn.

The check runs the dialog's own slot parsers (cheap regular expressions and number readers) on
the event loop; slot types whose parser is a model (categories) or that accept anything (free
text) count as answered, so they never wait.
"""

from __future__ import annotations

import datetime as dt
import logging

from dialog import nlu
from dialog.extract import extract
from dialog.script import Script
from dialog.types import Expectation, SlotType

log = logging.getLogger(__name__)

_PARSED = frozenset(
    {
        SlotType.YES_NO,
        SlotType.DATE,
        SlotType.TIME,
        SlotType.PARTY_SIZE,
        SlotType.NUMBER,
        SlotType.PERSON_NAME,
        SlotType.CHOICE,
    }
)


def answers(script: Script, expect: Expectation | None, text: str, today: dt.date) -> bool:
    """Whether ``text`` fills the slot the agent is waiting for (True when nothing is awaited)."""
    if expect is None or expect.slot_type not in _PARSED:
        return True
    slot = script.slots.get(expect.slot)
    if slot is None:
        return True
    normalised = nlu.normalize(text)
    if not normalised:
        return False
    try:
        return extract(slot, normalised, today=today) is not None
    except Exception:  # a parser bug must not hold the caller's turn: answer instead
        log.exception("slot parser failed while deciding the end of a turn")
        return True
