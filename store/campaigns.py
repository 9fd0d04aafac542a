"""Campaigns, their people, and the do-not-call list.

Like every store module these functions flush and leave committing to the caller. Adding a
member or a do-not-call number twice is not an error (CSV files get re-imported), so both are
``INSERT ... ON CONFLICT DO NOTHING`` on either backend.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.models import (
    ATTEMPT_OUTCOMES,
    CAMPAIGN_STATES,
    CallAttempt,
    Campaign,
    CampaignMember,
    DoNotCall,
    OptOut,
    Person,
    metadata,
)
from store.people import check_e164
from store.types import utcnow

#: Which state may follow which: a finished campaign stays finished.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"running", "finished"}),
    "running": frozenset({"paused", "finished"}),
    "paused": frozenset({"running", "finished"}),
    "finished": frozenset(),
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _insert(s: Session) -> Any:
    return postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert


def create_campaign(s: Session, *, name: str, script: str, **fields: Any) -> Campaign:
    """A new campaign in ``draft``; unknown fields or invalid values raise ValueError."""
    unknown = set(fields) - set(Campaign.model_fields)
    if unknown:
        raise ValueError(f"unknown campaign field {sorted(unknown)[0]!r}")
    campaign = Campaign(name=name, script=script, **fields)
    validate_campaign(campaign)
    s.add(campaign)
    s.flush()
    return campaign


def validate_campaign(c: Campaign) -> None:
    """Refuse values the scheduler could not act on, before they are stored."""
    if c.state not in CAMPAIGN_STATES:
        raise ValueError(f"invalid campaign state {c.state!r}")
    days = [d.strip() for d in c.days.split(",") if d.strip()]
    if not days or any(d not in WEEKDAYS for d in days):
        raise ValueError("days must be a comma-separated list of mon,tue,wed,thu,fri,sat,sun")
    retry = {o.strip() for o in c.retry_outcomes.split(",") if o.strip()}
    if not retry <= ATTEMPT_OUTCOMES:
        raise ValueError(f"retry outcomes must be among {sorted(ATTEMPT_OUTCOMES)}")
    if c.max_attempts_per_window < 1 or c.max_concurrent < 1 or c.retry_delay_minutes < 0:
        raise ValueError("attempts per window and concurrent calls must be at least 1")
    if not c.calls_per_second > 0:
        raise ValueError("calls per second must be positive")
    if c.unreachable_after < 0:
        raise ValueError("unreachable_after must be 0 (never) or more")


def get_campaign(s: Session, campaign_id: int) -> Campaign:
    campaign = s.get(Campaign, campaign_id)
    if campaign is None:
        raise LookupError(f"no campaign with id {campaign_id}")
    return campaign


def list_campaigns(s: Session, state: str | None = None) -> list[Campaign]:
    query = select(Campaign).order_by(col(Campaign.id))
    if state is not None:
        query = query.where(Campaign.state == state)
    return list(s.exec(query))


def set_state(s: Session, campaign_id: int, state: str) -> Campaign:
    """Move a campaign to ``state``; staying put is fine, an impossible move is ValueError."""
    campaign = get_campaign(s, campaign_id)
    if state != campaign.state:
        if state not in TRANSITIONS.get(campaign.state, frozenset()):
            raise ValueError(f"a {campaign.state} campaign cannot become {state}")
        campaign.state = state
        campaign.updated_at = utcnow()
        s.add(campaign)
        s.flush()
    return campaign


def add_member(s: Session, campaign_id: int, person_id: int) -> bool:
    """Put a person on the list; ``False`` if they were already on it."""
    table = metadata.tables["campaign_member"]
    statement = (
        _insert(s)(table)
        .values(
            campaign_id=campaign_id,
            person_id=person_id,
            consecutive_unreached=0,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["campaign_id", "person_id"])
    )
    return s.execute(statement.returning(table.c.id)).first() is not None


def members(s: Session, campaign_id: int) -> list[tuple[CampaignMember, Person]]:
    """The campaign's people in the order they were added."""
    query = (
        select(CampaignMember, Person)
        .join(Person, col(Person.id) == col(CampaignMember.person_id))
        .where(CampaignMember.campaign_id == campaign_id)
        .order_by(col(CampaignMember.id))
    )
    return [(m, p) for m, p in s.exec(query)]


def get_member(s: Session, campaign_id: int, person_id: int) -> CampaignMember | None:
    query = select(CampaignMember).where(
        CampaignMember.campaign_id == campaign_id, CampaignMember.person_id == person_id
    )
    return s.exec(query).first()


def add_do_not_call(s: Session, phone: str, reason: str = "") -> bool:
    """Never dial this number; ``False`` if it was already on the list."""
    check_e164(phone)
    table = metadata.tables["do_not_call"]
    statement = (
        _insert(s)(table)
        .values(phone=phone, reason=reason, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["phone"])
    )
    return s.execute(statement.returning(table.c.id)).first() is not None


def is_blocked(s: Session, phone: str) -> bool:
    """Whether a number must not be dialled: on the do-not-call list or opted out on a call."""
    dnc = s.exec(select(DoNotCall.id).where(DoNotCall.phone == phone)).first()
    if dnc is not None:
        return True
    return s.exec(select(OptOut.id).where(OptOut.phone == phone)).first() is not None


def outcome_counts(s: Session, campaign_id: int) -> dict[str, int]:
    """How many attempts ended each way, plus ``pending`` and ``in_flight`` counts."""
    query = (
        select(CallAttempt.status, CallAttempt.outcome, func.count())
        .where(CallAttempt.campaign_id == campaign_id)
        .group_by(col(CallAttempt.status), col(CallAttempt.outcome))
    )
    counts: dict[str, int] = {}
    for status, outcome, n in s.exec(query):
        key = outcome if status == "done" and outcome else status
        if status not in ("pending", "done"):
            key = "in_flight"
        counts[key] = counts.get(key, 0) + int(n)
    return counts
