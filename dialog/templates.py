"""Prompt templates: ``{slot}`` and ``{var.path}`` placeholders, spoken naturally.

Values are stored in their machine form (ISO dates, 24-hour times) so that they persist and
compare cleanly; the template renders them the way a person says them ("Friday, December 3rd",
"7:30 pm"), because the output is going to be spoken, not read.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Mapping
from typing import Any

_FORMATTER = string.Formatter()


def placeholders(template: str) -> list[str]:
    """The names a template refers to; raises ValueError on a malformed template."""
    return [field for _, field, _, _ in _FORMATTER.parse(template) if field is not None]


def root(name: str) -> str:
    return name.split(".", 1)[0]


def lookup(name: str, values: Mapping[str, Any]) -> Any:
    """Resolve ``a.b.c`` through nested mappings; None when any part is missing."""
    current: Any = values
    for part in name.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def speak_date(value: str) -> str:
    day = dt.date.fromisoformat(value)
    return f"{day.strftime('%A, %B')} {ordinal(day.day)}"


def speak_time(value: str) -> str:
    t = dt.time.fromisoformat(value)
    if t == dt.time(12, 0):
        return "noon"
    hour = t.hour % 12 or 12
    suffix = "am" if t.hour < 12 else "pm"
    return f"{hour}:{t.minute:02d} {suffix}" if t.minute else f"{hour} {suffix}"


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")


def speak(value: Any) -> str:
    """A value as it should sound."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            return speak_date(value)
        if _ISO_TIME.match(value):
            return speak_time(value)
        return value
    if isinstance(value, list):
        spoken = [speak(v) for v in value]
        return spoken[0] if len(spoken) == 1 else ", ".join(spoken[:-1]) + " or " + spoken[-1]
    return str(value)


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill a template; a missing value renders empty rather than failing a live call."""
    out: list[str] = []
    for literal, field, _, _ in _FORMATTER.parse(template):
        out.append(literal)
        if field is not None:
            out.append(speak(lookup(field, values)))
    text = re.sub(r"\s{2,}", " ", "".join(out))
    return re.sub(r"\s+([,.;:?!])", r"\1", text).strip()  # a gap leaves no " ," behind
