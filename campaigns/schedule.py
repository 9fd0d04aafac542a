"""Calling windows: which days and local hours a person may be called, in their own time zone.

Pure functions of a schedule, a time zone and an instant. Local wall-clock times are turned into
instants with ``zoneinfo``, so a 10:00-12:00 window stays 10:00-12:00 local across a daylight
saving change (its UTC instants move by an hour). A window boundary that falls in a spring-forward
gap is read with the offset in force before the change (``fold=0``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Window:
    """One calling window, as UTC instants, and the local date it belongs to."""

    start: dt.datetime
    end: dt.datetime
    local_date: dt.date


@dataclass(frozen=True, slots=True)
class Schedule:
    days: frozenset[int]  # 0 = Monday
    start: dt.time
    end: dt.time
    first_day: dt.date | None = None
    last_day: dt.date | None = None

    @classmethod
    def parse(
        cls, days: str, window: str, start_date: str | None = None, end_date: str | None = None
    ) -> Schedule:
        """``days`` like ``mon,thu``; ``window`` like ``10:00-12:00``; ISO dates or None."""
        names = [d.strip().lower()[:3] for d in days.split(",") if d.strip()]
        if not names or any(n not in WEEKDAYS for n in names):
            raise ValueError("days must be a comma-separated list like mon,thu")
        try:
            begin_text, end_text = window.split("-")
            begin, end = (
                dt.time.fromisoformat(begin_text.strip()),
                dt.time.fromisoformat(end_text.strip()),
            )
        except ValueError as exc:
            raise ValueError("window must look like 10:00-12:00") from exc
        if not begin < end:
            raise ValueError("a window must end after it starts (same day)")
        first = dt.date.fromisoformat(start_date) if start_date else None
        last = dt.date.fromisoformat(end_date) if end_date else None
        if first and last and last < first:
            raise ValueError("end date before start date")
        return cls(frozenset(WEEKDAYS.index(n) for n in names), begin, end, first, last)

    def _allows(self, day: dt.date) -> bool:
        if day.weekday() not in self.days:
            return False
        if self.first_day and day < self.first_day:
            return False
        return not (self.last_day and day > self.last_day)

    def window_on(self, day: dt.date, tz: str) -> Window | None:
        """The window on local date ``day`` in ``tz``, if the schedule calls that day."""
        if not self._allows(day):
            return None
        zone = ZoneInfo(tz)
        start = dt.datetime.combine(day, self.start, tzinfo=zone).astimezone(dt.UTC)
        end = dt.datetime.combine(day, self.end, tzinfo=zone).astimezone(dt.UTC)
        return Window(start, end, day)

    def window_at(self, now: dt.datetime, tz: str) -> Window | None:
        """The window open at instant ``now`` for someone in ``tz``, or None."""
        local = now.astimezone(ZoneInfo(tz))
        window = self.window_on(local.date(), tz)
        if window is not None and window.start <= now < window.end:
            return window
        return None

    def next_window(self, after: dt.datetime, tz: str, horizon_days: int = 400) -> Window | None:
        """The first window that has not ended by ``after`` (possibly open now)."""
        day = after.astimezone(ZoneInfo(tz)).date()
        for _ in range(horizon_days):
            window = self.window_on(day, tz)
            if window is not None and window.end > after:
                return window
            if self.last_day and day > self.last_day:
                return None
            day += dt.timedelta(days=1)
        return None

    def is_over(self, now: dt.datetime) -> bool:
        """True once the last day has passed everywhere on Earth (UTC-12 is the last to end)."""
        if self.last_day is None:
            return False
        ends = dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
        return now >= ends
