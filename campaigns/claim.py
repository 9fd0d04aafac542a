"""Claiming due attempts: atomically, paced, and within the concurrency cap.

One transaction per campaign: take the campaign's claim lock (a row lock on PostgreSQL; the
database write lock on SQLite), count the calls in flight, select due attempts ``FOR UPDATE SKIP
LOCKED`` and mark them ``claimed`` by this process, each with the instant it may be dialled. The
commit makes the claim durable before any number is dialled, so a second process never sees them
as due and a crash leaves a visible trace for reconciliation.

Pacing is a durable token bucket: ``campaign.next_dial_at`` is the earliest start of the next
call; each claim takes the slot and moves it on by ``1 / calls_per_second``. At most one second's
worth of calls is claimed ahead, so after a pause the campaign does not burst.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine

from campaigns import settle
from campaigns.outcomes import BLOCKED
from store import attempts as attempt_store
from store import campaigns as campaign_store
from store.db import session_scope

ONE_OFF_LIMIT = 10  # one-off calls (POST /api/calls) in flight at once


@dataclass(frozen=True, slots=True)
class Claimed:
    attempt_id: int
    dial_at: dt.datetime


def claim_campaign(db: Engine, campaign_id: int, *, now: dt.datetime, owner: str) -> list[Claimed]:
    """Claim what campaign ``campaign_id`` may dial now; commits before returning."""
    claimed: list[Claimed] = []
    with session_scope(db) as s:
        attempt_store.lock_claims(s, f"campaign-claims:{campaign_id}")
        campaign = campaign_store.get_campaign(s, campaign_id)
        if campaign.state != "running":
            return []
        room = campaign.max_concurrent - attempt_store.in_flight(s, campaign_id)
        step = dt.timedelta(seconds=1 / campaign.calls_per_second)
        floor = now - dt.timedelta(seconds=1) + step  # at most one second's worth at once
        slot = max(campaign.next_dial_at, floor) if campaign.next_dial_at else floor
        budget = 0
        probe = slot
        while probe <= now:
            budget += 1
            probe += step
        due = attempt_store.due_for_update(
            s, now=now, campaign_id=campaign_id, limit=min(room, budget)
        )
        for attempt in due:
            assert attempt.id is not None
            if campaign_store.is_blocked(s, attempt.to_number):
                # Opted out or put on the do-not-call list after it was planned: never dialled,
                # and recorded as blocked (not as reaching the person: see outcomes.BLOCKED).
                settle.finish(s, attempt.id, BLOCKED, now=now)
                continue
            attempt_store.set_status(
                s, attempt, "claimed", claimed_by=owner, claimed_at=now, dial_at=slot
            )
            claimed.append(Claimed(attempt.id, slot))
            slot += step
        if claimed:
            campaign.next_dial_at = slot
            s.add(campaign)
    return claimed


def claim_one_off(db: Engine, *, now: dt.datetime, owner: str) -> list[Claimed]:
    """Claim due one-off calls (no campaign): no pacing beyond a small in-flight cap."""
    claimed: list[Claimed] = []
    with session_scope(db) as s:
        attempt_store.lock_claims(s, "one-off-claims")
        room = ONE_OFF_LIMIT - attempt_store.in_flight(s, None)
        for attempt in attempt_store.due_for_update(s, now=now, campaign_id=None, limit=room):
            assert attempt.id is not None
            if campaign_store.is_blocked(s, attempt.to_number):
                settle.finish(s, attempt.id, BLOCKED, now=now)
                continue
            attempt_store.set_status(
                s, attempt, "claimed", claimed_by=owner, claimed_at=now, dial_at=now
            )
            claimed.append(Claimed(attempt.id, now))
    return claimed
