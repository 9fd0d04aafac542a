"""The reservation line's action port: the dialog asks, the store answers.

Dates and times arrive as the dialog stores them (ISO date, ``HH:MM`` local to the business);
bookings are stored in UTC. Every booking, change or cancellation commits in its own short
transaction at the moment the caller confirms it, under the store's booking lock, so two callers
can never take the last table twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from agent.hours import OpeningHours
from dialog.types import ActionResult
from store import reservations as rs
from store.db import session_scope
from store.models import Reservation

log = logging.getLogger(__name__)
LAST_SEATING = dt.timedelta(minutes=30)  # before closing


class ReservationDesk:
    """Implements :class:`dialog.types.ActionPort` for the ``reservation`` script."""

    def __init__(
        self,
        db: Engine,
        *,
        hours: OpeningHours,
        timezone: str,
        capacity: int,
        booking_minutes: int,
        slot_minutes: int,
        max_party_size: int,
        call_id: int | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        self.db, self.hours, self.tz = db, hours, ZoneInfo(timezone)
        self.capacity, self.booking_minutes = capacity, booking_minutes
        self.slot_minutes, self.max_party_size = slot_minutes, max_party_size
        self.call_id = call_id
        self._now = now

    def now(self) -> dt.datetime:
        return self._now or dt.datetime.now(self.tz)

    def perform(self, action: str, args: dict[str, Any]) -> ActionResult:
        handler = getattr(self, f"_{action}", None)
        if handler is None:
            return ActionResult(ok=False, data={"reason": "unsupported"})
        try:
            result: ActionResult = handler(args)
        except (ValueError, TypeError, LookupError) as exc:
            # Bad values from a misheard answer must not end the call: the script re-asks.
            log.info("reservation action %s refused: %s", action, type(exc).__name__)
            return ActionResult(ok=False, data={"reason": "invalid"})
        return result

    # ---- actions ----------------------------------------------------------------------------

    def _check_availability(self, args: dict[str, Any]) -> ActionResult:
        day, at, party = _date(args["date"]), _time(args["time"]), int(args["party_size"])
        exclude = _optional_int(args.get("exclude_id"))
        if party > self.max_party_size:
            return ActionResult(ok=False, data={"reason": "too_large"})
        windows = self.hours.windows(day)
        if not windows:
            return ActionResult(ok=False, data={"reason": "closed_day"})
        if not any(open_ <= at and _plus(at, LAST_SEATING) <= close for open_, close in windows):
            return ActionResult(ok=False, data={"reason": "closed_time"})
        start = self._local(day, at)
        with session_scope(self.db) as s:
            if start >= self.now() and rs.is_available(
                s,
                start,
                party,
                capacity=self.capacity,
                booking_minutes=self.booking_minutes,
                exclude_id=exclude,
            ):
                return ActionResult(ok=True)
            free = rs.nearest_free_times(
                s,
                start,
                party,
                capacity=self.capacity,
                booking_minutes=self.booking_minutes,
                slot_minutes=self.slot_minutes,
                opening_windows=self._windows(day),
                limit=3,
            )
        free = [t for t in free if t >= self.now()]
        if not free:
            return ActionResult(ok=False, data={"reason": "full_day"})
        times = sorted(t.astimezone(self.tz).strftime("%H:%M") for t in free)
        return ActionResult(ok=False, data={"reason": "full", "alternatives": times})

    def _book_reservation(self, args: dict[str, Any]) -> ActionResult:
        start = self._local(_date(args["date"]), _time(args["time"]))
        with session_scope(self.db) as s:
            booked = rs.book(
                s,
                phone=str(args.get("phone") or ""),
                name=str(args["name"]),
                party_size=int(args["party_size"]),
                starts_at=start,
                capacity=self.capacity,
                booking_minutes=self.booking_minutes,
                call_id=self.call_id,
            )
            if booked is None:
                return ActionResult(ok=False, data={"reason": "full"})
            return ActionResult(ok=True, data={"id": booked.id})

    def _find_reservation(self, args: dict[str, Any]) -> ActionResult:
        with session_scope(self.db) as s:
            found = rs.find_reservations(
                s,
                str(args.get("phone") or ""),
                name=str(args.get("name") or "") or None,
                from_time=self.now(),
            )
            if not found:
                return ActionResult(ok=False, data={"reason": "not_found"})
            return ActionResult(ok=True, data=self._describe(found[0]))

    def _change_reservation(self, args: dict[str, Any]) -> ActionResult:
        start = self._local(_date(args["date"]), _time(args["time"]))
        with session_scope(self.db) as s:
            changed = rs.change(
                s,
                int(args["reservation_id"]),
                capacity=self.capacity,
                booking_minutes=self.booking_minutes,
                starts_at=start,
                party_size=int(args["party_size"]),
            )
            if changed is None:
                return ActionResult(ok=False, data={"reason": "full"})
            return ActionResult(ok=True, data=self._describe(changed))

    def _cancel_reservation(self, args: dict[str, Any]) -> ActionResult:
        with session_scope(self.db) as s:
            return ActionResult(ok=rs.cancel(s, int(args["reservation_id"])))

    # ---- helpers ----------------------------------------------------------------------------

    def _local(self, day: dt.date, at: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, at, tzinfo=self.tz)

    def _windows(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        # A table is held for booking_minutes, but the last seating is LAST_SEATING before close.
        hold = dt.timedelta(minutes=self.booking_minutes)
        return [
            (
                self._local(day, a),
                max(self._local(day, b) - LAST_SEATING, self._local(day, a)) + hold,
            )
            for a, b in self.hours.windows(day)
        ]

    def _describe(self, r: Reservation) -> dict[str, Any]:
        local = r.starts_at.astimezone(self.tz)
        return {
            "id": r.id,
            "party_size": r.party_size,
            "date": local.date().isoformat(),
            "time": local.strftime("%H:%M"),
        }


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value))


def _time(value: Any) -> dt.time:
    return dt.time.fromisoformat(str(value))


def _plus(t: dt.time, delta: dt.timedelta) -> dt.time:
    moved = dt.datetime.combine(dt.date(2000, 1, 1), t) + delta
    return moved.time() if moved.date() == dt.date(2000, 1, 1) else dt.time.max


def _optional_int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    return int(value)
