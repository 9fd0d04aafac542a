"""Table bookings under a simple capacity model.

``capacity`` is the number of covers (guests) seated at once. A reservation occupies
``[starts_at, starts_at + booking_minutes)`` — half-open, so one party may leave at 19:00 while the
next sits down at 19:00. A booking fits if, at every moment it overlaps, the covers already booked
plus its party stay within capacity.

Capacity is checked twice: while talking to the caller (:func:`is_available`,
:func:`nearest_free_times`) and again inside the writing transaction (:func:`book`,
:func:`change`) after taking the ``reservations`` lock from :mod:`store.locks`, so two lines
booking the last table at the same moment cannot both succeed. The lock is held until the caller
commits; commit promptly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from store.locks import take_lock
from store.models import Reservation
from store.types import as_utc, utcnow

BOOKING_LOCK = "reservations"


Booking = tuple[datetime, datetime, int]
"""A booked interval: (starts_at, ends_at, party_size)."""


def _overlapping(
    s: Session, start: datetime, end: datetime, exclude_id: int | None = None
) -> list[Booking]:
    # Plain columns, not entities: an entity already in the session's identity map would come
    # back with the values it had when first loaded, before the booking lock was taken.
    query = select(Reservation.starts_at, Reservation.ends_at, Reservation.party_size).where(
        Reservation.status == "booked",
        col(Reservation.starts_at) < as_utc(end),
        col(Reservation.ends_at) > as_utc(start),
    )
    if exclude_id is not None:
        query = query.where(Reservation.id != exclude_id)
    return [(lo, hi, party) for lo, hi, party in s.exec(query)]


def peak_covers(bookings: Iterable[Booking], start: datetime, end: datetime) -> int:
    """Most covers seated at any moment of ``[start, end)`` among ``bookings`` (a sweep line)."""
    events: list[tuple[datetime, int]] = []
    for booked_start, booked_end, party in bookings:
        lo, hi = max(booked_start, start), min(booked_end, end)
        if lo < hi:
            events.append((lo, party))
            events.append((hi, -party))
    # At equal instants departures (negative) sort first: intervals are half-open.
    events.sort(key=lambda e: (e[0], e[1]))
    peak = current = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


def covers_at(s: Session, start: datetime, end: datetime, *, exclude_id: int | None = None) -> int:
    """Most covers booked at any moment of ``[start, end)``."""
    start, end = as_utc(start), as_utc(end)
    return peak_covers(_overlapping(s, start, end, exclude_id), start, end)


def _check_party(party_size: int, capacity: int, booking_minutes: int) -> None:
    if party_size < 1:
        raise ValueError("party_size must be at least 1")
    if capacity < 1 or booking_minutes < 1:
        raise ValueError("capacity and booking_minutes must be positive")


def is_available(
    s: Session,
    starts_at: datetime,
    party_size: int,
    *,
    capacity: int,
    booking_minutes: int,
    exclude_id: int | None = None,
) -> bool:
    """Whether a party of ``party_size`` fits at ``starts_at`` (``exclude_id``: ignore that
    reservation, for changing it)."""
    _check_party(party_size, capacity, booking_minutes)
    start = as_utc(starts_at)
    end = start + timedelta(minutes=booking_minutes)
    return covers_at(s, start, end, exclude_id=exclude_id) + party_size <= capacity


def nearest_free_times(
    s: Session,
    starts_at: datetime,
    party_size: int,
    *,
    capacity: int,
    booking_minutes: int,
    slot_minutes: int,
    opening_windows: Sequence[tuple[datetime, datetime]],
    limit: int = 3,
) -> list[datetime]:
    """Up to ``limit`` free start times closest to ``starts_at`` (earlier first on ties).

    Candidates are every ``slot_minutes`` from each window's start; a booking must start and end
    inside one window. The requested time itself is returned if it is a free slot. Bookings are
    loaded once, so this is one query however many slots are tried.
    """
    _check_party(party_size, capacity, booking_minutes)
    if slot_minutes < 1:
        raise ValueError("slot_minutes must be positive")
    wanted = as_utc(starts_at)
    length = timedelta(minutes=booking_minutes)
    step = timedelta(minutes=slot_minutes)
    candidates: set[datetime] = set()
    for window_start, window_end in opening_windows:
        t, close = as_utc(window_start), as_utc(window_end)
        while t + length <= close:
            candidates.add(t)
            t += step
    if not candidates or limit < 1:
        return []
    bookings = _overlapping(s, min(candidates), max(candidates) + length)
    free: list[datetime] = []
    for t in sorted(candidates, key=lambda c: (abs(c - wanted), c)):
        if peak_covers(bookings, t, t + length) + party_size <= capacity:
            free.append(t)
            if len(free) == limit:
                break
    return free


def book(
    s: Session,
    *,
    phone: str,
    name: str,
    party_size: int,
    starts_at: datetime,
    capacity: int,
    booking_minutes: int,
    notes: str = "",
    call_id: int | None = None,
) -> Reservation | None:
    """Book a table if it still fits; ``None`` if it does not.

    Takes the booking lock first, so the capacity check and the insert are atomic with respect
    to every other booking until the caller commits.
    """
    _check_party(party_size, capacity, booking_minutes)
    start = as_utc(starts_at)
    take_lock(s, BOOKING_LOCK)
    if not is_available(s, start, party_size, capacity=capacity, booking_minutes=booking_minutes):
        return None
    reservation = Reservation(
        phone=phone,
        name=name,
        party_size=party_size,
        starts_at=start,
        ends_at=start + timedelta(minutes=booking_minutes),
        notes=notes,
        call_id=call_id,
    )
    s.add(reservation)
    s.flush()
    return reservation


def _name_parts(name: str) -> set[str]:
    return {part.casefold() for part in name.split()}


def find_reservations(
    s: Session, phone: str, name: str | None = None, from_time: datetime | None = None
) -> list[Reservation]:
    """Booked reservations for ``phone`` starting at or after ``from_time`` (default now).

    With ``name``, keep those sharing any word of it, case-insensitively ("kim" finds
    "Minji Kim"), because callers give a first or last name as it comes.
    """
    since = as_utc(from_time) if from_time else utcnow()
    query = (
        select(Reservation)
        .where(
            Reservation.phone == phone,
            Reservation.status == "booked",
            col(Reservation.starts_at) >= since,
        )
        .order_by(col(Reservation.starts_at), col(Reservation.id))
    )
    found = list(s.exec(query))
    if name:
        wanted = _name_parts(name)
        found = [r for r in found if wanted & _name_parts(r.name)]
    return found


def change(
    s: Session,
    reservation_id: int,
    *,
    capacity: int,
    booking_minutes: int,
    starts_at: datetime | None = None,
    party_size: int | None = None,
    name: str | None = None,
    notes: str | None = None,
) -> Reservation | None:
    """Move or resize a booked reservation; ``None`` if the new time or size does not fit.

    Capacity is re-checked under the booking lock, not counting the reservation itself. Raises
    LookupError if the reservation does not exist or was cancelled.
    """
    take_lock(s, BOOKING_LOCK)
    reservation = s.get(Reservation, reservation_id, populate_existing=True)
    if reservation is None or reservation.status != "booked":
        raise LookupError(f"no booked reservation with id {reservation_id}")
    new_start = as_utc(starts_at) if starts_at else reservation.starts_at
    new_party = party_size if party_size is not None else reservation.party_size
    fits = is_available(
        s,
        new_start,
        new_party,
        capacity=capacity,
        booking_minutes=booking_minutes,
        exclude_id=reservation_id,
    )
    if not fits:
        return None
    reservation.starts_at = new_start
    reservation.ends_at = new_start + timedelta(minutes=booking_minutes)
    reservation.party_size = new_party
    if name is not None:
        reservation.name = name
    if notes is not None:
        reservation.notes = notes
    reservation.updated_at = utcnow()
    s.add(reservation)
    s.flush()
    return reservation


def cancel(s: Session, reservation_id: int) -> bool:
    """Cancel a reservation; ``False`` if it was already cancelled or does not exist."""
    reservation = s.get(Reservation, reservation_id)
    if reservation is None or reservation.status == "cancelled":
        return False
    reservation.status = "cancelled"
    reservation.updated_at = utcnow()
    s.add(reservation)
    s.flush()
    return True
