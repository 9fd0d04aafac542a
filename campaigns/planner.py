"""Planning: turn running campaigns into due call attempts, and expire what missed its window.

Runs on every tick in every process; it is idempotent because an attempt is unique per (campaign,
person, window, attempt number), so planning the same window twice inserts nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Engine

from campaigns import settle
from campaigns.schedule import Schedule
from store import attempts as attempt_store
from store import campaigns as campaign_store
from store.db import session_scope
from store.models import Campaign

log = logging.getLogger(__name__)


def schedule_of(c: Campaign) -> Schedule:
    return Schedule.parse(c.days, f"{c.window_start}-{c.window_end}", c.start_date, c.end_date)


def plan(db: Engine, now: dt.datetime) -> int:
    """Create the first attempt of every open window of every running campaign; returns count.

    People without consent, on the do-not-call list or opted out are never planned.
    """
    created = 0
    with session_scope(db) as s:
        running = [c.id for c in campaign_store.list_campaigns(s, "running") if c.id is not None]
    for campaign_id in running:
        with session_scope(db) as s:
            campaign = campaign_store.get_campaign(s, campaign_id)
            schedule = schedule_of(campaign)
            if schedule.is_over(now):
                continue
            for _member, person in campaign_store.members(s, campaign_id):
                if not person.consent or person.phone is None or person.id is None:
                    continue
                window = schedule.window_at(now, person.timezone)
                if window is None or campaign_store.is_blocked(s, person.phone):
                    continue
                new_id = attempt_store.plan_attempt(
                    s,
                    campaign_id=campaign_id,
                    person_id=person.id,
                    script=campaign.script,
                    to_number=person.phone,
                    window_start=window.start,
                    window_end=window.end,
                    due_at=window.start,
                )
                created += new_id is not None
    return created


def expire(db: Engine, now: dt.datetime) -> int:
    """Settle pending attempts whose window closed before they were placed as ``expired``."""
    with session_scope(db) as s:
        ids = attempt_store.pending_past_window(s, now)
    count = 0
    for attempt_id in ids:
        with session_scope(db) as s:
            attempt = attempt_store.lock_attempt(s, attempt_id)
            if attempt.status != "pending":
                continue  # claimed meanwhile by another process
            settle.finish(s, attempt_id, "expired", now=now)
            count += 1
    return count


def finish_campaigns(db: Engine, now: dt.datetime) -> list[int]:
    """Running campaigns past their last day with nothing left to place become ``finished``."""
    done: list[int] = []
    with session_scope(db) as s:
        for campaign in campaign_store.list_campaigns(s, "running"):
            assert campaign.id is not None
            if not schedule_of(campaign).is_over(now):
                continue
            counts = campaign_store.outcome_counts(s, campaign.id)
            if counts.get("pending", 0) or counts.get("in_flight", 0):
                continue
            campaign_store.set_state(s, campaign.id, "finished")
            done.append(campaign.id)
    return done
