"""Reservations by day and how much of the dining room they fill, slot by slot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from agent.hours import OpeningHours
from agent.web.queries import day_range
from store.models import Reservation
from store.reservations import peak_covers

SLOT = dt.timedelta(minutes=30)


@dataclass
class Slot:
    start: dt.datetime
    covers: int
    capacity: int

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.covers / self.capacity)) if self.capacity else 0


@dataclass
class ReservationDay:
    day: dt.date
    reservations: list[Reservation]
    slots: list[Slot]
    capacity: int

    @property
    def covers(self) -> int:
        return sum(r.party_size for r in self.reservations if r.status == "booked")

    @property
    def peak(self) -> int:
        return max((slot.covers for slot in self.slots), default=0)


def reservation_day(
    s: Session,
    day: dt.date,
    tz: ZoneInfo,
    hours: OpeningHours,
    capacity: int,
) -> ReservationDay:
    start, end = day_range(day, tz)
    found = list(
        s.exec(
            select(Reservation)
            .where(col(Reservation.starts_at) >= start, col(Reservation.starts_at) < end)
            .order_by(col(Reservation.starts_at), col(Reservation.id))
        )
    )
    booked = [(r.starts_at, r.ends_at, r.party_size) for r in found if r.status == "booked"]
    slots: list[Slot] = []
    for opens, closes in hours.windows(day):
        t = dt.datetime.combine(day, opens, tzinfo=tz)
        close = dt.datetime.combine(day, closes, tzinfo=tz)
        if close <= t:  # closes at or after midnight
            close += dt.timedelta(days=1)
        while t < close:
            slots.append(Slot(t, peak_covers(booked, t, t + SLOT), capacity))
            t += SLOT
    return ReservationDay(day, found, slots, capacity)


def reservations_json(rday: ReservationDay) -> dict[str, object]:
    return {
        "day": rday.day.isoformat(),
        "capacity": rday.capacity,
        "covers_booked": rday.covers,
        "peak_covers": rday.peak,
        "reservations": [
            {
                "id": r.id,
                "name": r.name,
                "phone": r.phone,
                "party_size": r.party_size,
                "starts_at": r.starts_at.isoformat(),
                "ends_at": r.ends_at.isoformat(),
                "status": r.status,
                "notes": r.notes,
                "call_id": r.call_id,
            }
            for r in rday.reservations
        ],
        "slots": [{"start": slot.start.isoformat(), "covers": slot.covers} for slot in rday.slots],
    }
