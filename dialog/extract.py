"""Turn a caller's words (or keypresses) into a typed slot value.

The NLU parsers answer "what value is in this text?". This module adds what only the dialog
knows: which slot is being asked for, its range, and how sure we must be. When a slot is *not*
the one just asked for (filling ahead, or a correction), we demand an explicit cue — "for four
people", "at seven" — because a bare "four" is an answer to the question asked, not a time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dialog import nlu
from dialog.nlu.categories import ALL as CATEGORY_SETS
from dialog.script import CategoryDef, Slot
from dialog.types import SlotType

_TIME_CUE = re.compile(
    r"\b(at|around|about|by)\s+\w|\d:\d"
    r"|\b(am|pm|a\.m|p\.m|o'?clock|noon|midnight|half past|quarter)\b"
)
_PARTY_CUE = re.compile(
    r"\b(people|persons|person|guests|adults?|kids?|children|of us|party|table for|for (one|two|"
    r"three|four|five|six|seven|eight|nine|ten|\d+)\b|just me|me and)\b"
)
_NAME_CUE = re.compile(r"\b(name is|name's|under|it's for|this is|i am|i'm)\b")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Extraction:
    value: Any
    confidence: float = 1.0


def _bounds(slot: Slot, variables: Mapping[str, Any]) -> tuple[int | None, int | None]:
    hi = slot.max
    if slot.max_var is not None and isinstance(variables.get(slot.max_var), int):
        hi = int(variables[slot.max_var])
    return slot.min, hi


def in_range(slot: Slot, value: Any, variables: Mapping[str, Any]) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return True
    lo, hi = _bounds(slot, variables)
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def category_defs(slot: Slot) -> list[nlu.Category]:
    cats = slot.categories
    if isinstance(cats, str):
        if cats not in CATEGORY_SETS:
            raise KeyError(f"unknown category set {cats!r}")
        return list(CATEGORY_SETS[cats])
    assert cats is not None
    return [_category(label, d) for label, d in cats.items()]


def _category(label: str, d: CategoryDef) -> nlu.Category:
    return nlu.Category(label=label, examples=list(d.examples), keywords=list(d.keywords))


def extract(
    slot: Slot,
    text: str,
    *,
    today: dt.date,
    strict: bool = False,
    said: str | None = None,
) -> Extraction | None:
    """The value of ``slot`` in ``text``, or None. ``strict`` asks for an explicit cue.

    ``text`` is the normalised utterance; ``said`` is the caller's words as heard, which a
    free-text answer keeps (case, punctuation, every word) so that nothing said is lost.
    """
    t = slot.type
    if t is SlotType.YES_NO:
        yn = nlu.parse_yes_no(text)
        return None if yn is None else Extraction(yn)
    if t is SlotType.DATE:
        day = nlu.parse_date(text, today)
        return None if day is None else Extraction(day.isoformat())
    if t is SlotType.TIME:
        if strict and not _TIME_CUE.search(text):
            return None
        at = nlu.parse_time(text, slot.prefer)
        return None if at is None else Extraction(at.strftime("%H:%M"))
    if t is SlotType.PARTY_SIZE:
        if strict and not _PARTY_CUE.search(text):
            return None
        n = nlu.parse_party_size(text)
        return None if n is None else Extraction(n)
    if t is SlotType.NUMBER:
        if strict:
            return None
        n = nlu.parse_number(text)
        return None if n is None else Extraction(n)
    if t is SlotType.PERSON_NAME:
        if strict and not _NAME_CUE.search(text):
            return None
        name = nlu.parse_name(text)
        return None if name is None else Extraction(name)
    if t is SlotType.CHOICE:
        assert slot.choices is not None
        key = nlu.parse_choice(text, slot.choices)
        return None if key is None else Extraction(key)
    if t is SlotType.SCALE:
        if strict:
            return None
        lo, hi = slot.min or 1, slot.max or 5
        n = nlu.parse_scale(text, lo, hi)
        return None if n is None else Extraction(n)
    if t is SlotType.CATEGORY:
        if strict:
            return None
        result = nlu.get_classifier().classify(text, category_defs(slot))
        return None if result.label is None else Extraction(result.label, result.confidence)
    # free text: anything said counts, as said (control characters aside)
    if strict or not text.strip():
        return None
    as_said = " ".join(_CONTROL.sub(" ", said).split()) if said is not None else ""
    return Extraction(as_said or text.strip())


def extract_dtmf(slot: Slot, digits: str) -> Extraction | None:
    """Keypad input: 1 = yes, 2 = no; digits for numbers; a slot's own key map for choices."""
    digits = digits.strip().rstrip("#")
    if not digits or not digits.isdigit():
        return None
    t = slot.type
    if t is SlotType.YES_NO:
        return {"1": Extraction(True), "2": Extraction(False)}.get(digits)
    if t in (SlotType.NUMBER, SlotType.PARTY_SIZE, SlotType.SCALE):
        return Extraction(int(digits))
    if t is SlotType.CHOICE:
        assert slot.choices is not None
        if slot.dtmf and digits in slot.dtmf:
            return Extraction(slot.dtmf[digits])
        keys = list(slot.choices)
        index = int(digits) - 1
        return Extraction(keys[index]) if 0 <= index < len(keys) else None
    if t is SlotType.TIME:
        at = nlu.parse_time(digits, slot.prefer)
        return None if at is None else Extraction(at.strftime("%H:%M"))
    return None


def hints_for(slot: Slot) -> list[str]:
    """Vocabulary the ASR decoder should expect for this slot's answer."""
    if slot.hints:
        return list(slot.hints)
    defaults: dict[SlotType, Sequence[str]] = {
        SlotType.YES_NO: ("yes", "no"),
        SlotType.PARTY_SIZE: ("two people", "four people", "a table for six"),
        SlotType.DATE: ("today", "tomorrow", "Friday", "December 3rd"),
        SlotType.TIME: ("7 pm", "7:30", "half past six"),
        SlotType.SCALE: ("one", "two", "three", "four", "five"),
    }
    if slot.type is SlotType.CHOICE and slot.choices:
        return [words[0] if words else key for key, words in slot.choices.items()]
    return list(defaults.get(slot.type, ()))
