"""Campaign operations shared by the CLI and the JSON API: create, import, start, pause, status.

Both front ends call these with an engine; each is one transaction, so a refused import or an
invalid schedule leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from campaigns.csv_import import ImportReport, import_people, parse_people
from campaigns.schedule import Schedule
from store import campaigns as campaign_store
from store.db import session_scope
from store.models import Campaign


@dataclass
class CampaignSpec:
    name: str
    script: str = "wellness_checkin"
    days: str = "mon,thu"
    window: str = "10:00-12:00"
    start_date: str | None = None
    end_date: str | None = None
    retry_outcomes: str = "no-answer,busy,failed"
    retry_delay_minutes: int = 30
    max_attempts_per_window: int = 3
    calls_per_second: float = 1.0
    max_concurrent: int = 5
    unreachable_after: int = 3

    def fields(self) -> dict[str, Any]:
        schedule = Schedule.parse(self.days, self.window, self.start_date, self.end_date)
        return {
            "days": self.days.lower().replace(" ", ""),
            "window_start": schedule.start.strftime("%H:%M"),
            "window_end": schedule.end.strftime("%H:%M"),
            "start_date": self.start_date,
            "end_date": self.end_date,
            "retry_outcomes": self.retry_outcomes,
            "retry_delay_minutes": self.retry_delay_minutes,
            "max_attempts_per_window": self.max_attempts_per_window,
            "calls_per_second": self.calls_per_second,
            "max_concurrent": self.max_concurrent,
            "unreachable_after": self.unreachable_after,
        }


def create(
    db: Engine,
    spec: CampaignSpec,
    people_csv: str | None = None,
    *,
    region: str = "US",
    skip_bad_rows: bool = False,
) -> tuple[int, ImportReport | None]:
    """A draft campaign, with its people if a CSV is given (all or nothing)."""
    with session_scope(db) as s:
        campaign = campaign_store.create_campaign(
            s, name=spec.name, script=spec.script, **spec.fields()
        )
        assert campaign.id is not None
        report = None
        if people_csv is not None:
            parsed = parse_people(people_csv, region=region)
            report = import_people(s, campaign.id, parsed, skip_bad_rows=skip_bad_rows)
        return campaign.id, report


def add_people(
    db: Engine, campaign_id: int, people_csv: str, *, region: str, skip_bad_rows: bool
) -> ImportReport:
    with session_scope(db) as s:
        parsed = parse_people(people_csv, region=region)
        return import_people(s, campaign_id, parsed, skip_bad_rows=skip_bad_rows)


def set_state(db: Engine, campaign_id: int, state: str) -> dict[str, Any]:
    with session_scope(db) as s:
        campaign_store.set_state(s, campaign_id, state)
    return status(db, campaign_id)


def status(db: Engine, campaign_id: int) -> dict[str, Any]:
    """The campaign's settings, state, people count and attempts by outcome."""
    with session_scope(db) as s:
        campaign = campaign_store.get_campaign(s, campaign_id)
        people = campaign_store.members(s, campaign_id)
        return {
            **campaign_json(campaign),
            "people": len(people),
            "unreachable_streaks": sum(1 for m, _ in people if m.consecutive_unreached),
            "attempts": campaign_store.outcome_counts(s, campaign_id),
        }


def campaign_json(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "script": c.script,
        "state": c.state,
        "days": c.days,
        "window": f"{c.window_start}-{c.window_end}",
        "start_date": c.start_date,
        "end_date": c.end_date,
        "retry_outcomes": c.retry_outcomes,
        "retry_delay_minutes": c.retry_delay_minutes,
        "max_attempts_per_window": c.max_attempts_per_window,
        "calls_per_second": c.calls_per_second,
        "max_concurrent": c.max_concurrent,
        "unreachable_after": c.unreachable_after,
    }
