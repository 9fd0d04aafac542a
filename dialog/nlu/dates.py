"""Calendar dates from speech: "tomorrow", "next friday", "the 23rd", "december 3rd", "in two days".

Every answer is today or later: a caller booking a table or agreeing a call-back never means a
past day, so "the 3rd" said on the 19th is the 3rd of next month and "march 1st" said in June is
next March. "this friday"/"friday" is the coming one (today if today is Friday); "next friday" is
the Friday of next calendar week (Monday-start), the reading that keeps "this" and "next" distinct.
A confirmation turn in the dialog is expected to catch the remaining ambiguity.

Library choice, measured (``bench/nlu_bench.py``, 40 spoken phrasings with known answers, today
a Wednesday): ``dateparser`` 1.5.0 with ``PREFER_DATES_FROM=future`` scored 27/40 at ~0.3 ms/call
(first call ~80 ms, some inputs 6 ms). It handles clean phrases, but returns a date for "7 pm",
"at 8" and "next week", reads "the 3rd" said in November as *March* 3rd and "saturday at 7" as
July, does not read "the twenty third", and returns nothing once a filler or "please" is present
("um friday please"). (It also takes "next friday" as the coming Friday, a convention choice.)
The token parser below scored 40/40 at ~18 µs/call; the table was written alongside it, so that
score is optimistic. ``dateparser`` is kept for what it does well and we do not: numeric dates
("12/3", "2026-12-03"), which Whisper writes occasionally; it is imported lazily so the common
path never pays for it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from dialog.nlu.normalize import MAX_CHARS, normalize
from dialog.nlu.numbers import NumberSpan, find_numbers

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12,
    "dec": 12,
}  # fmt: skip
_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "wednesday": 2, "thursday": 3, "thurs": 3,
    "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip
_TODAY = re.compile(r"\b(?:today|tonight|this (?:morning|afternoon|evening)|later today)\b")
_TOMORROW = re.compile(r"\b(?:tomorrow|tomorrow's|tmrw|tomorow)\b")
_DAY_AFTER = re.compile(r"\bday after tomorrow\b")
_IN_N = re.compile(
    r"\bin (?P<n>\w+(?: \w+){0,2}) (?P<unit>days?|weeks?)\b"
    r"|\b(?P<n2>\w+(?: \w+)?) (?P<unit2>days?|weeks?) from (?:now|today)\b"
)
_NUMERIC = re.compile(r"\b(\d{1,4})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b")


def _add_days(today: dt.date, n: int) -> dt.date | None:
    if not 0 <= n <= 366:
        return None
    return today + dt.timedelta(days=n)


def _relative_count(words: str) -> int | None:
    if words in ("a", "one", "a couple", "couple"):
        return 2 if "couple" in words else 1
    spans = find_numbers(words.split())
    return spans[-1].value if spans else None


def _in_n(t: str, today: dt.date) -> dt.date | None:
    m = _IN_N.search(t)
    if not m:
        return None
    n = _relative_count(m.group("n") or m.group("n2"))
    if n is None:
        return None
    unit = m.group("unit") or m.group("unit2")
    return _add_days(today, n * (7 if unit.startswith("week") else 1))


def _month_day(month: int, day: int, year: int | None, today: dt.date) -> dt.date | None:
    """The first ``month``/``day`` on or after today (or in ``year`` if one was said)."""
    years = [year] if year else list(range(today.year, today.year + 9))
    for y in years:
        try:
            candidate = dt.date(y, month, day)
        except ValueError:
            continue
        if candidate >= today or year:
            return candidate if candidate >= today else None
    return None


def _day_of_month(day: int, today: dt.date) -> dt.date | None:
    """The next date whose day-of-month is ``day``: this month if not past, else a later one."""
    for k in range(13):
        y, m = divmod(today.month - 1 + k, 12)
        try:
            candidate = dt.date(today.year + y, m + 1, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _year_after(words: Sequence[str], end: int) -> int | None:
    if end < len(words) and re.fullmatch(r"20\d\d", words[end]):
        return int(words[end])
    return None


def _explicit(words: Sequence[str], spans: list[NumberSpan], today: dt.date) -> dt.date | None:
    """A day said as a date: "december 3rd", "3rd of dec", "the 23rd", "on the 12th"."""
    for s in spans:
        if not 1 <= s.value <= 31:
            continue
        before = words[s.start - 1] if s.start > 0 else ""
        before2 = words[s.start - 2] if s.start > 1 else ""
        after = words[s.end] if s.end < len(words) else ""
        after2 = words[s.end + 1] if s.end + 1 < len(words) else ""
        month = None
        if before in _MONTHS:
            month = _MONTHS[before]
        elif before == "the" and before2 in _MONTHS:
            month = _MONTHS[before2]
        elif after in _MONTHS and (after not in ("may", "march") or s.ordinal):
            month = _MONTHS[after]
        elif after == "of" and after2 in _MONTHS:
            month = _MONTHS[after2]
        if month is not None:
            end = s.end + (2 if after == "of" else 1 if after in _MONTHS else 0)
            return _month_day(month, s.value, _year_after(words, end), today)
        if s.ordinal or before == "the":
            return _day_of_month(s.value, today)
    return None


def _weekday(words: Sequence[str], today: dt.date) -> dt.date | None:
    for i, w in enumerate(words):
        if w not in _WEEKDAYS:
            continue
        target = _WEEKDAYS[w]
        before = words[i - 1] if i > 0 else ""
        following = " ".join(words[i + 1 : i + 3])
        if before == "next" or following == "next week":
            next_monday = today + dt.timedelta(days=7 - today.weekday())
            return next_monday + dt.timedelta(days=target)
        return today + dt.timedelta(days=(target - today.weekday()) % 7)
    return None


def _numeric(raw: str, today: dt.date) -> dt.date | None:
    """Numeric dates via ``dateparser`` (US month-first order), pushed into the future."""
    m = _NUMERIC.search(raw)
    if not m:
        return None
    import dateparser  # lazy: ~80 ms first import/parse, needed only for this rare form

    base = dt.datetime.combine(today, dt.time(12))
    settings = {"DATE_ORDER": "MDY", "PREFER_DATES_FROM": "future", "RELATIVE_BASE": base}
    try:
        parsed = dateparser.parse(m.group(0), languages=["en"], settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input; treat as "no date"
        return None
    if parsed is None:
        return None
    if m.group(3) is None:
        return _month_day(parsed.month, parsed.day, None, today)
    return parsed.date() if parsed.date() >= today else None


def parse_date(text: str, today: dt.date) -> dt.date | None:
    """The date ``text`` names, on or after ``today``; ``None`` if it names none."""
    t = normalize(text)
    words = t.split()
    if _DAY_AFTER.search(t):
        return _add_days(today, 2)
    spans = find_numbers(words)
    found = _explicit(words, spans, today) or _in_n(t, today)
    if found:
        return found
    if _TOMORROW.search(t):
        return _add_days(today, 1)
    if _TODAY.search(t):
        return today
    return _weekday(words, today) or _numeric(text[:MAX_CHARS], today)
