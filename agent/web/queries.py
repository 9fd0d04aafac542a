"""Read-side queries shared by the pages and the JSON API: one implementation, same data.

Blocking (SQLAlchemy sessions); routes call them from worker threads. Days are the business's
local days (``settings.timezone``), turned into UTC ranges before they reach the database.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from store import calls as call_store
from store.models import Alert, Answer, Call, CallAttempt, Campaign, Person, Turn

REACHED_OUTCOMES = frozenset({"completed", "opted_out"})
"""Attempt outcomes that mean the person was reached (used for the reach rate)."""


@dataclass(frozen=True)
class CallFilter:
    """The calls list's filters; empty values mean "any"."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None  # inclusive
    line: str = ""
    campaign_id: int | None = None
    outcome: str = ""
    q: str = ""  # a name or part of a phone number
    person_id: int | None = None


@dataclass(frozen=True)
class CallSummary:
    id: int
    call_sid: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    direction: str
    line: str
    script: str
    person_id: int | None
    person_name: str
    number: str  # the other party: caller ID inbound, the number dialled outbound
    status: str
    outcome: str | None
    has_recording: bool

    @property
    def duration_s(self) -> int | None:
        if self.ended_at is None:
            return None
        return max(0, int((self.ended_at - self.started_at).total_seconds()))

    def to_json(self) -> dict[str, Any]:
        return {
            "call_sid": self.call_sid,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "duration_s": self.duration_s,
            "direction": self.direction,
            "line": self.line,
            "script": self.script,
            "person_id": self.person_id,
            "person_name": self.person_name,
            "number": self.number,
            "status": self.status,
            "outcome": self.outcome,
            "recording": self.has_recording,
        }


def day_range(day: dt.date, tz: ZoneInfo, days: int = 1) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants bounding ``days`` local days from ``day`` (DST-safe)."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=days), dt.time(), tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _summary(call: Call, person_name: str | None) -> CallSummary:
    assert call.id is not None
    return CallSummary(
        id=call.id,
        call_sid=call.call_sid,
        started_at=call.started_at,
        ended_at=call.ended_at,
        direction=call.direction,
        line=call.line,
        script=call.script,
        person_id=call.person_id,
        person_name=person_name or "",
        number=call.from_number if call.direction == "inbound" else call.to_number,
        status=call.status,
        outcome=call.outcome,
        has_recording=bool(call.recording_path),
    )


def _filtered(f: CallFilter, tz: ZoneInfo) -> Any:
    query = select(Call, Person.name).outerjoin(Person, col(Call.person_id) == col(Person.id))
    if f.date_from is not None:
        query = query.where(col(Call.started_at) >= day_range(f.date_from, tz)[0])
    if f.date_to is not None:
        query = query.where(col(Call.started_at) < day_range(f.date_to, tz)[1])
    if f.line:
        query = query.where(Call.line == f.line)
    if f.outcome:
        query = query.where(Call.outcome == f.outcome)
    if f.person_id is not None:
        query = query.where(Call.person_id == f.person_id)
    if f.campaign_id is not None:
        sids = select(CallAttempt.call_sid).where(CallAttempt.campaign_id == f.campaign_id)
        query = query.where(col(Call.call_sid).in_(sids))
    q = f.q.strip()
    if q:
        terms = [col(Person.name).icontains(q, autoescape=True)]
        digits = "".join(ch for ch in q if ch.isdigit())
        if digits:
            terms += [
                col(Call.from_number).contains(digits, autoescape=True),
                col(Call.to_number).contains(digits, autoescape=True),
            ]
        query = query.where(or_(*terms))
    return query


def list_calls(
    s: Session, f: CallFilter, tz: ZoneInfo, *, limit: int = 100, offset: int = 0
) -> list[CallSummary]:
    """Calls matching ``f``, newest first."""
    query = _filtered(f, tz).order_by(col(Call.started_at).desc(), col(Call.id).desc())
    return [_summary(c, name) for c, name in s.exec(query.limit(limit).offset(offset))]


def count_calls(s: Session, f: CallFilter, tz: ZoneInfo) -> int:
    subquery = _filtered(f, tz).subquery()
    return int(s.exec(select(func.count()).select_from(subquery)).one())


@dataclass
class FilterOptions:
    lines: list[str]
    outcomes: list[str]
    campaigns: list[tuple[int, str]]


def filter_options(s: Session) -> FilterOptions:
    lines = s.exec(select(Call.line).distinct().order_by(col(Call.line))).all()
    outcomes = s.exec(select(Call.outcome).where(col(Call.outcome).is_not(None)).distinct()).all()
    campaigns = s.exec(select(Campaign.id, Campaign.name).order_by(col(Campaign.name))).all()
    return FilterOptions(
        lines=[x for x in lines if x],
        outcomes=sorted(x for x in outcomes if x),
        campaigns=[(cid, name) for cid, name in campaigns if cid is not None],
    )


@dataclass
class CallDetail:
    call: Call
    person: Person | None
    turns: list[Turn]
    answers: list[Answer]
    alerts: list[Alert]
    campaign: Campaign | None

    def offset(self, at: dt.datetime) -> str:
        """``m:ss`` since the call started: the transcript's timestamps."""
        seconds = max(0, int((at - self.call.started_at).total_seconds()))
        return f"{seconds // 60}:{seconds % 60:02d}"


def call_detail(s: Session, call_sid: str) -> CallDetail | None:
    call = call_store.get_call(s, call_sid)
    if call is None or call.id is None:
        return None
    person = s.get(Person, call.person_id) if call.person_id is not None else None
    alerts = s.exec(select(Alert).where(Alert.call_id == call.id).order_by(col(Alert.id))).all()
    campaign = s.exec(
        select(Campaign)
        .join(CallAttempt, col(CallAttempt.campaign_id) == col(Campaign.id))
        .where(CallAttempt.call_sid == call_sid)
    ).first()
    return CallDetail(
        call=call,
        person=person,
        turns=call_store.list_turns(s, call.id),
        answers=call_store.list_answers(s, call.id),
        alerts=list(alerts),
        campaign=campaign,
    )


# ---- the dashboard ---------------------------------------------------------------------------


@dataclass
class DayBar:
    day: dt.date
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class CampaignReach:
    campaign_id: int
    name: str
    state: str
    finished: int
    reached: int
    week_finished: int
    week_reached: int

    @staticmethod
    def rate(reached: int, finished: int) -> float | None:
        return reached / finished if finished else None


@dataclass
class Dashboard:
    today: Counter[str]
    week: Counter[str]
    per_day: list[DayBar]
    alerts_by_severity: dict[str, int]
    urgent_open: list[Alert]
    campaigns: list[CampaignReach]
    outcomes: list[str] = field(default_factory=list)


def _outcome(call_outcome: str | None, status: str) -> str:
    return call_outcome or ("in progress" if status == "in-progress" else status)


def dashboard(s: Session, tz: ZoneInfo, today: dt.date, *, days: int = 14) -> Dashboard:
    first_day = today - dt.timedelta(days=days - 1)
    week_start = today - dt.timedelta(days=today.weekday())
    since = day_range(min(first_day, week_start), tz)[0]
    rows = s.exec(
        select(Call.started_at, Call.outcome, Call.status).where(col(Call.started_at) >= since)
    ).all()
    per_day: dict[dt.date, Counter[str]] = defaultdict(Counter)
    today_counts: Counter[str] = Counter()
    week_counts: Counter[str] = Counter()
    for started, outcome, status in rows:
        local_day = started.astimezone(tz).date()
        label = _outcome(outcome, status)
        per_day[local_day][label] += 1
        if local_day == today:
            today_counts[label] += 1
        if week_start <= local_day <= today:
            week_counts[label] += 1
    bars = [
        DayBar(first_day + dt.timedelta(days=i), dict(per_day[first_day + dt.timedelta(days=i)]))
        for i in range(days)
    ]
    severity_rows = s.exec(
        select(Alert.severity, func.count())
        .where(col(Alert.status) != "resolved")
        .group_by(col(Alert.severity))
    ).all()
    urgent = s.exec(
        select(Alert)
        .where(Alert.status == "open", Alert.severity == "urgent")
        .order_by(col(Alert.created_at).desc())
        .limit(5)
    ).all()
    outcomes = sorted({label for bar in bars for label in bar.counts})
    return Dashboard(
        today=today_counts,
        week=week_counts,
        per_day=bars,
        alerts_by_severity={sev: int(n) for sev, n in severity_rows},
        urgent_open=list(urgent),
        campaigns=campaign_reach(s, day_range(week_start, tz)[0]),
        outcomes=outcomes,
    )


def campaign_reach(s: Session, week_start: dt.datetime) -> list[CampaignReach]:
    """Per campaign: finished attempts and how many reached the person, overall and this week."""
    found: dict[int, CampaignReach] = {}
    for campaign in s.exec(select(Campaign).order_by(col(Campaign.name))):
        assert campaign.id is not None
        found[campaign.id] = CampaignReach(campaign.id, campaign.name, campaign.state, 0, 0, 0, 0)
    rows = s.exec(
        select(CallAttempt.campaign_id, CallAttempt.outcome, CallAttempt.finished_at).where(
            CallAttempt.status == "done", col(CallAttempt.campaign_id).is_not(None)
        )
    ).all()
    for campaign_id, outcome, finished_at in rows:
        reach = found.get(campaign_id) if campaign_id is not None else None
        if reach is None:
            continue
        reached = outcome in REACHED_OUTCOMES
        reach.finished += 1
        reach.reached += reached
        if finished_at is not None and finished_at >= week_start:
            reach.week_finished += 1
            reach.week_reached += reached
    return list(found.values())
