"""The process's shared pieces: settings, database, scripts — created once, used by every call.

Everything expensive or global lives here so that a call costs nothing but its own state; the
text chat, the phone server and the tests all build one Runtime and open calls through it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from agent.hours import OpeningHours
from agent.reservations import ReservationDesk
from agent.settings import Settings
from dialog.engine import DialogEngine
from dialog.loader import builtin_scripts, load_script
from dialog.script import Script
from store.db import make_engine, session_scope, upgrade
from store.people import previous_answers


@dataclass
class Runtime:
    settings: Settings
    db: Engine
    hours: OpeningHours
    scripts: dict[str, Script] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: Settings, *, migrate: bool = True) -> Runtime:
        """Open (and migrate) the database and load every built-in script, failing fast."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = make_engine(settings.resolved_database_url)
        if migrate:
            upgrade(db)
        hours = OpeningHours.parse(settings.opening_hours)
        scripts = {name: load_script(name) for name in builtin_scripts()}
        return cls(settings=settings, db=db, hours=hours, scripts=scripts)

    def script(self, name: str) -> Script:
        try:
            return self.scripts[name]
        except KeyError:
            known = ", ".join(sorted(self.scripts))
            raise ValueError(f"unknown script {name!r}; known: {known}") from None

    def now(self, timezone: str | None = None) -> dt.datetime:
        return dt.datetime.now(ZoneInfo(timezone or self.settings.timezone))

    def desk(self, *, call_id: int | None, now: dt.datetime | None = None) -> ReservationDesk:
        s = self.settings
        return ReservationDesk(
            self.db,
            hours=self.hours,
            timezone=s.timezone,
            capacity=s.capacity,
            booking_minutes=s.booking_minutes,
            slot_minutes=s.slot_minutes,
            max_party_size=s.max_party_size,
            call_id=call_id,
            now=now,
        )

    def engine(self, script: str, *, call_id: int | None, now: dt.datetime | None) -> DialogEngine:
        return DialogEngine(self.script(script), self.desk(call_id=call_id, now=now))

    def context(
        self,
        *,
        caller_number: str,
        person_name: str = "",
        person_id: int | None = None,
        call_id: int | None = None,
        now: dt.datetime,
    ) -> dict[str, Any]:
        """What a script may refer to: the business, the person, and what they said last time."""
        s = self.settings
        memory: dict[str, Any] = {}
        if person_id is not None:
            with session_scope(self.db) as session:
                earlier = previous_answers(session, person_id, before_call_id=call_id)
            memory = {k: {"value": a.value, "when": a.at.isoformat()} for k, a in earlier.items()}
        return {
            "business_name": s.business_name,
            "organisation_name": s.organisation_name,
            "address": s.address,
            "parking": s.parking,
            "hours_text": self.hours.spoken(),
            "max_party_size": s.max_party_size,
            "caller_number": caller_number,
            "person_name": person_name,
            "memory": memory,
            "now": now.isoformat(),
        }
