"""Bookings under the capacity model, including two lines racing for the last table."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from store import Reservation, reservations, session_scope

CAP = 10
LEN = 120  # booking_minutes
T18 = datetime(2030, 6, 1, 18, 0, tzinfo=UTC)
PHONE = "+821055501234"


def _book(s: Session, start: datetime, party: int, name: str = "Minji Kim") -> Reservation | None:
    return reservations.book(
        s,
        phone=PHONE,
        name=name,
        party_size=party,
        starts_at=start,
        capacity=CAP,
        booking_minutes=LEN,
    )


def _at(hour: int, minute: int = 0) -> datetime:
    return T18.replace(hour=hour, minute=minute)


def test_capacity_boundary(session: Session) -> None:
    assert _book(session, T18, 6) is not None
    assert reservations.is_available(session, T18, 4, capacity=CAP, booking_minutes=LEN)
    assert _book(session, T18, 4) is not None  # exactly full
    assert not reservations.is_available(session, T18, 1, capacity=CAP, booking_minutes=LEN)
    assert _book(session, T18, 1) is None  # one more cover is refused
    assert _book(session, _at(19, 59), 1) is None  # still overlapping
    assert _book(session, _at(20), 10) is not None  # half-open: they leave as the next sit


def test_party_larger_than_capacity(session: Session) -> None:
    assert _book(session, T18, CAP + 1) is None
    with pytest.raises(ValueError):
        _book(session, T18, 0)


def test_overlap_counts_peak_not_sum(session: Session) -> None:
    for hour in (18, 19, 20):
        assert _book(session, _at(hour), 4) is not None  # 18-20, 19-21, 20-22
    assert reservations.covers_at(session, _at(18), _at(22)) == 8
    assert reservations.covers_at(session, _at(18), _at(19)) == 4
    assert reservations.covers_at(session, _at(20), _at(20, 30)) == 8
    assert reservations.covers_at(session, _at(22), _at(23)) == 0
    assert reservations.covers_at(session, _at(17), _at(18)) == 0
    # 19:00 overlaps 18-20 and 19-21 (8 covers) and, to 21:00, 20-22 too: still a peak of 8.
    assert reservations.is_available(session, _at(19), 2, capacity=CAP, booking_minutes=LEN)
    assert not reservations.is_available(session, _at(19), 3, capacity=CAP, booking_minutes=LEN)


def test_covers_accept_any_time_zone(session: Session) -> None:
    _book(session, T18, 5)
    seoul = timezone(timedelta(hours=9))
    assert reservations.covers_at(session, T18.astimezone(seoul), _at(19).astimezone(seoul)) == 5


def test_nearest_free_times_search_outward(session: Session) -> None:
    windows = [(_at(17), _at(23))]
    assert _book(session, _at(19), CAP) is not None  # 19:00-21:00 full
    found = reservations.nearest_free_times(
        session,
        _at(19),
        2,
        capacity=CAP,
        booking_minutes=LEN,
        slot_minutes=30,
        opening_windows=windows,
    )
    # Free starts must end by 19:00 or start at 21:00 and end by the 23:00 close.
    assert found == [_at(17), _at(21)]


def test_nearest_free_times_prefers_requested_and_closest(session: Session) -> None:
    windows = [(_at(12), _at(14, 30)), (_at(17), _at(22))]
    assert _book(session, _at(18), 8) is not None
    found = reservations.nearest_free_times(
        session,
        _at(18, 15),
        2,
        capacity=CAP,
        booking_minutes=90,
        slot_minutes=15,
        opening_windows=windows,
        limit=4,
    )
    # 8 covers leave room for 2, so every slot is free; closest first, earlier on ties.
    assert found == [_at(18, 15), _at(18), _at(18, 30), _at(17, 45)]
    too_big = reservations.nearest_free_times(
        session,
        _at(18),
        3,
        capacity=CAP,
        booking_minutes=90,
        slot_minutes=30,
        opening_windows=windows,
    )
    # 18:00-20:00 is full for 3; lunch counts too: 16:30 is no slot (outside the windows).
    assert too_big == [_at(20), _at(20, 30), _at(13)]


def test_change_rechecks_capacity_excluding_itself(session: Session) -> None:
    mine = _book(session, T18, 6)
    other = _book(session, _at(20), 8)
    assert mine is not None and mine.id is not None and other is not None
    # Growing to the full room is fine: its own 6 covers are not counted twice.
    changed = reservations.change(
        session, mine.id, party_size=CAP, capacity=CAP, booking_minutes=LEN
    )
    assert changed is not None and changed.party_size == CAP
    # Moving onto the other party (8 covers) with 10 does not fit and changes nothing.
    moved = reservations.change(
        session, mine.id, starts_at=_at(19), capacity=CAP, booking_minutes=LEN
    )
    assert moved is None
    session.refresh(mine)
    assert (mine.starts_at, mine.party_size) == (T18, CAP)
    moved = reservations.change(
        session, mine.id, starts_at=_at(22), party_size=2, capacity=CAP, booking_minutes=LEN
    )
    assert moved is not None
    assert (moved.starts_at, moved.ends_at, moved.party_size) == (
        _at(22),
        _at(23, 59) + timedelta(minutes=1),
        2,
    )


def test_cancel_is_idempotent_and_frees_capacity(session: Session) -> None:
    full = _book(session, T18, CAP)
    assert full is not None and full.id is not None
    assert _book(session, T18, 1) is None
    assert reservations.cancel(session, full.id)
    assert not reservations.cancel(session, full.id)
    assert not reservations.cancel(session, 12345)
    assert _book(session, T18, 1) is not None
    with pytest.raises(LookupError):
        reservations.change(session, full.id, party_size=2, capacity=CAP, booking_minutes=LEN)


def test_find_reservations(session: Session) -> None:
    now = datetime(2030, 6, 1, 12, tzinfo=UTC)
    past = _book(session, now - timedelta(days=1), 2)
    later = _book(session, _at(20), 2, name="Minji Kim")
    sooner = _book(session, T18, 2, name="Jae Park")
    cancelled = _book(session, _at(19), 2)
    assert past and later and sooner and cancelled and cancelled.id
    reservations.cancel(session, cancelled.id)
    reservations.book(
        session,
        phone="+15550100",
        name="Minji Kim",
        party_size=2,
        starts_at=T18,
        capacity=CAP,
        booking_minutes=LEN,
    )
    found = reservations.find_reservations(session, PHONE, from_time=now)
    assert [r.id for r in found] == [sooner.id, later.id]
    assert [r.id for r in reservations.find_reservations(session, PHONE, "KIM", now)] == [later.id]
    assert [r.id for r in reservations.find_reservations(session, PHONE, "jae", now)] == [sooner.id]
    assert reservations.find_reservations(session, PHONE, "Lee", now) == []


def test_concurrent_bookings_never_overbook(engine: Engine) -> None:
    """Eight lines try to seat 4 each in a room of 10 at the same moment: exactly two win."""
    threads_n = 8
    barrier = threading.Barrier(threads_n)
    results: list[bool] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            with session_scope(engine) as s:
                booked = _book(s, T18, 4, name=f"Guest {i}")
            with lock:
                results.append(booked is not None)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    workers = [threading.Thread(target=attempt, args=(i,)) for i in range(threads_n)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert not errors, errors
    assert sorted(results) == [False] * 6 + [True] * 2
    with session_scope(engine) as s:
        assert reservations.covers_at(s, T18, _at(20)) == 8
