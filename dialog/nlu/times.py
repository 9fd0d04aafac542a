"""Clock times from speech: "seven pm", "7:30", "730", "half past six", "quarter to eight", "noon".

A number is only taken as a time when something marks it as one: "am"/"pm", "o'clock", a colon,
a minutes word after it ("seven thirty", "seven oh five"), "past"/"to" phrasing, a preposition
before it ("at 8", "around 8", "by 8"), or being the whole answer ("eight."). That is what keeps
"a table for two tomorrow at 7" from reading as 2 o'clock.

Hours 1-11 without am/pm are ambiguous; ``prefer="pm"`` resolves them to the afternoon/evening
(a restaurant's dinner service), ``prefer="am"`` or ``None`` leave them as said. Day-part words
("tonight", "in the evening", "this morning") override ``prefer``. A bare 12 is noon.

``dateparser`` was not used here: in the measurement for :mod:`dialog.nlu.dates` it took 6 ms for
"7 pm" and does not read "seven thirty" or "730"; a table of ~20 words does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Literal

from dialog.nlu.normalize import normalize
from dialog.nlu.numbers import HOMOPHONES, NumberSpan, find_numbers

Meridiem = Literal["am", "pm"]

_PM_HINT = re.compile(r"\b(?:tonight|evening|night|afternoon|dinner|supper)\b")
_AM_HINT = re.compile(r"\b(?:morning|breakfast)\b")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_HHMM = re.compile(r"(\d{1,2})(\d{2})")
_LEAD_INS = frozenset({"at", "around", "about", "by", "til", "till", "until", "before", "after"})
_SOFT = frozenset({"just", "please", "maybe", "about", "around", "it's", "its", "say", "lets"})
_DAY_PART_AFTER = re.compile(r"(?:in the (?:morning|afternoon|evening)|at night|tonight)\b")
_FRACTIONS = {"quarter": 15, "half": 30}


def _word(words: Sequence[str], i: int) -> str:
    return words[i] if 0 <= i < len(words) else ""


def _resolve(hour: int, minute: int, meridiem: Meridiem | None) -> dt.time | None:
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    if meridiem == "am" and hour == 12:
        hour = 0
    elif meridiem == "pm" and 1 <= hour <= 11:
        hour += 12
    return dt.time(hour, minute)


def _relative(words: Sequence[str], spans: list[NumberSpan]) -> tuple[int, int] | None:
    """ "half past six", "quarter to eight", "ten past seven", "twenty of eight", "half seven"."""
    by_start = {s.start: s for s in spans}
    for i, w in enumerate(words):
        if w not in ("past", "after", "to", "till", "of") or i + 1 not in by_start:
            continue
        hour = by_start[i + 1].value
        prev = _word(words, i - 1)
        minutes = _FRACTIONS.get(prev)
        if minutes is None:
            span = next(
                (s for s in spans if s.end == i or (s.end == i - 1 and prev == "minutes")), None
            )
            if span is None or not 1 <= span.value <= 30 or span.ordinal:
                continue
            minutes = span.value
        elif w == "of" and prev == "half":
            continue
        if w in ("past", "after"):
            return hour % 24, minutes
        return (hour - 1) % 24 if hour != 0 else 23, 60 - minutes
    for i, w in enumerate(words):
        if w == "half" and i + 1 in by_start and _word(words, i - 1) not in ("a", "and"):
            return by_start[i + 1].value, 30  # British "half seven" = 7:30
    return None


def _meridiem_after(words: Sequence[str], end: int) -> Meridiem | None:
    nxt = _word(words, end)
    if nxt == "oclock":
        nxt = _word(words, end + 1)
    return nxt if nxt in ("am", "pm") else None  # type: ignore[return-value]


def _absolute(
    words: Sequence[str], spans: list[NumberSpan]
) -> tuple[int, int, Meridiem | None] | None:
    """A number marked as a time by what surrounds it; returns hour, minute, said am/pm.

    A day part right after a number ("2 tonight") is the weakest mark: it is used only when no
    number is marked otherwise, so in "a table for 2 tonight at 9" the time is 9, not 2.
    """
    weak: tuple[int, int, Meridiem | None] | None = None
    for k, s in enumerate(spans):
        if s.ordinal:
            continue
        token = words[s.start]
        hour, minute, end = s.value, 0, s.end
        nxt = spans[k + 1] if k + 1 < len(spans) else None
        if token.isdigit() and len(token) in (3, 4):
            hhmm = _HHMM.fullmatch(token)
            if hhmm is None or (
                _word(words, s.end) not in ("am", "pm", "hours", "oclock")
                and (_word(words, s.start - 1) not in _LEAD_INS and len(words) > 2)
            ):
                continue
            hour, minute = int(hhmm.group(1)), int(hhmm.group(2))
        elif nxt and nxt.start == end and 10 <= nxt.value <= 59 and not nxt.ordinal:
            minute, end = nxt.value, nxt.end  # "seven thirty", "7 45"
        elif nxt and nxt.start == end + 1 and _word(words, end) in ("oh", "o") and nxt.value < 10:
            minute, end = nxt.value, nxt.end  # "seven oh five"
        meridiem = _meridiem_after(words, end)
        marked = (
            meridiem is not None
            or _word(words, end) in ("oclock", "hours")
            or end - s.end > 0
            or _word(words, s.start - 1) in _LEAD_INS
            or (token.isdigit() and len(token) in (3, 4))
        )
        if marked:
            return hour, minute, meridiem
        if weak is None and _DAY_PART_AFTER.match(" ".join(words[end : end + 3])) is not None:
            weak = (hour, minute, meridiem)
    return weak


def _homophone_after_at(words: Sequence[str]) -> int | None:
    """ "at for" / "at ate": Whisper's spelling of "at four" / "at eight" at the end of a phrase."""
    for i, w in enumerate(words[:-1]):
        nxt = words[i + 1]
        if w == "at" and nxt in HOMOPHONES and _word(words, i + 2) in ("", "am", "pm", "oclock"):
            return HOMOPHONES[nxt]
    return None


def parse_time(text: str, prefer: Meridiem | None = None) -> dt.time | None:
    """The clock time ``text`` names, or ``None``; see the module docstring for the rules."""
    t = normalize(text)
    words = t.split()
    if re.search(r"\b(?:noon|midday)\b", t):
        return dt.time(12, 0)
    if re.search(r"\bmidnight\b", t):
        return dt.time(0, 0)
    spans = find_numbers(words)
    hint: Meridiem | None = "pm" if _PM_HINT.search(t) else "am" if _AM_HINT.search(t) else None
    relative = _relative(words, spans)
    found: tuple[int, int, Meridiem | None] | None
    clock = next(((i, m) for i, w in enumerate(words) if (m := _CLOCK.fullmatch(w))), None)
    if clock:
        i, m = clock
        found = (int(m.group(1)), int(m.group(2)), _meridiem_after(words, i + 1))
    elif relative:
        found = (relative[0], relative[1], None)
    else:
        found = _absolute(words, spans)
    if found is None:
        content = [w for w in words if w not in _SOFT]
        if len(spans) == 1 and len(content) == spans[0].end - spans[0].start:
            found = (spans[0].value, 0, None) if not spans[0].ordinal else None
        elif (homophone := _homophone_after_at(words)) is not None:
            found = (homophone, 0, None)
    if found is None:
        return None
    hour, minute, said = found
    if hour > 12 or (hour == 12 and said is None):
        return _resolve(hour, minute, None)
    return _resolve(hour, minute, said or hint or prefer)
