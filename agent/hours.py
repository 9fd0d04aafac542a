"""Opening hours: parsed from one readable setting, checked in the business's own timezone.

The setting reads the way a manager writes it, e.g. ``mon-fri 12:00-14:30,17:00-22:00; sat-sun
12:00-23:00``; the same data is spoken back to callers ("Monday to Friday from 12 pm …").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dialog.templates import speak_time

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class HoursError(ValueError):
    pass


@dataclass(frozen=True)
class OpeningHours:
    by_weekday: dict[int, list[tuple[dt.time, dt.time]]]
    groups: list[tuple[list[int], list[tuple[dt.time, dt.time]]]]

    @classmethod
    def parse(cls, text: str) -> OpeningHours:
        by_weekday: dict[int, list[tuple[dt.time, dt.time]]] = {d: [] for d in range(7)}
        groups: list[tuple[list[int], list[tuple[dt.time, dt.time]]]] = []
        for part in filter(None, (p.strip() for p in text.lower().split(";"))):
            try:
                days_text, ranges_text = part.split(None, 1)
                days = _days(days_text)
                ranges = [_range(r) for r in ranges_text.replace(" ", "").split(",")]
            except (ValueError, IndexError) as exc:
                raise HoursError(
                    f"opening hours {part!r}: expected e.g. 'mon-fri 12:00-14:30,17:00-22:00'"
                ) from exc
            for d in days:
                by_weekday[d].extend(ranges)
            groups.append((days, ranges))
        if not groups:
            raise HoursError("opening hours are empty")
        return cls(by_weekday, groups)

    def windows(self, day: dt.date) -> list[tuple[dt.time, dt.time]]:
        return sorted(self.by_weekday[day.weekday()])

    def spoken(self) -> str:
        parts = []
        for days, ranges in self.groups:
            if len(days) == 7:
                when = "every day"
            elif len(days) == 1:
                when = f"on {DAY_NAMES[days[0]]}s"
            else:
                when = f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}"
            spans = " and ".join(
                f"from {speak_time(a.isoformat('minutes'))} to {speak_time(b.isoformat('minutes'))}"
                for a, b in ranges
            )
            parts.append(f"{when} {spans}")
        return "; ".join(parts)


def _days(text: str) -> list[int]:
    out: list[int] = []
    for chunk in text.split(","):
        if "-" in chunk:
            a, b = chunk.split("-")
            i, j = DAYS.index(a[:3]), DAYS.index(b[:3])
            out.extend(range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)])
        else:
            out.append(DAYS.index(chunk[:3]))
    return out


def _range(text: str) -> tuple[dt.time, dt.time]:
    a, b = text.split("-")
    start, end = dt.time.fromisoformat(a), dt.time.fromisoformat(b)
    if end <= start:
        raise ValueError("closing time before opening time")
    return start, end
