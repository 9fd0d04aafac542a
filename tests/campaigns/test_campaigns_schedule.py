"""Calling windows in each person's own time zone, across a DST change, within start/end dates."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.schedule import Schedule

UTC = dt.UTC


def at(y: int, mo: int, d: int, h: int, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=UTC)


def test_window_is_local_to_each_person() -> None:
    s = Schedule.parse("mon,thu", "10:00-12:00")
    # Monday 2026-03-02 15:30 UTC: 10:30 in New York (EST), 15:30 in London, 00:30 Tue in Seoul.
    now = at(2026, 3, 2, 15, 30)
    ny = s.window_at(now, "America/New_York")
    assert ny is not None and (ny.start, ny.end) == (at(2026, 3, 2, 15), at(2026, 3, 2, 17))
    assert s.window_at(now, "Europe/London") is None
    assert s.window_at(now, "Asia/Seoul") is None  # Tuesday there
    london = s.window_at(at(2026, 3, 2, 10, 0), "Europe/London")
    assert london is not None and london.local_date == dt.date(2026, 3, 2)


def test_window_edges_and_days() -> None:
    s = Schedule.parse("mon", "10:00-12:00")
    assert s.window_at(at(2026, 3, 2, 14, 59), "America/New_York") is None
    assert s.window_at(at(2026, 3, 2, 15, 0), "America/New_York") is not None
    assert s.window_at(at(2026, 3, 2, 17, 0), "America/New_York") is None  # end is exclusive
    assert s.window_at(at(2026, 3, 3, 15, 30), "America/New_York") is None  # Tuesday


def test_dst_change_keeps_local_hours() -> None:
    """US clocks go forward on Sunday 2026-03-08: Monday 10:00 is 15:00 UTC before, 14:00 after."""
    s = Schedule.parse("mon", "10:00-12:00")
    before = s.window_at(at(2026, 3, 2, 15, 30), "America/New_York")
    after = s.window_at(at(2026, 3, 9, 14, 30), "America/New_York")
    assert before is not None and before.start == at(2026, 3, 2, 15)
    assert after is not None and after.start == at(2026, 3, 9, 14)
    assert s.window_at(at(2026, 3, 2, 14, 30), "America/New_York") is None
    # Autumn: Europe/London falls back on Sunday 2026-10-25.
    s2 = Schedule.parse("mon", "09:00-10:00")
    assert s2.window_on(dt.date(2026, 10, 19), "Europe/London").start == at(2026, 10, 19, 8)  # type: ignore[union-attr]
    assert s2.window_on(dt.date(2026, 10, 26), "Europe/London").start == at(2026, 10, 26, 9)  # type: ignore[union-attr]


def test_start_and_end_dates_and_next_window() -> None:
    s = Schedule.parse("mon,thu", "10:00-12:00", "2026-03-05", "2026-03-09")
    assert s.window_at(at(2026, 3, 2, 15, 30), "America/New_York") is None  # before start
    nxt = s.next_window(at(2026, 3, 2, 15, 30), "America/New_York")
    assert nxt is not None and nxt.local_date == dt.date(2026, 3, 5)
    assert s.next_window(at(2026, 3, 10, 0, 0), "America/New_York") is None  # after end
    assert not s.is_over(at(2026, 3, 10, 11))  # Hawaii may still be on the 9th
    assert s.is_over(at(2026, 3, 10, 12))


@pytest.mark.parametrize(
    ("days", "window"),
    [("", "10:00-12:00"), ("funday", "10:00-12:00"), ("mon", "12:00-10:00"), ("mon", "10-12h")],
)
def test_bad_schedules_refused(days: str, window: str) -> None:
    with pytest.raises(ValueError):
        Schedule.parse(days, window)
