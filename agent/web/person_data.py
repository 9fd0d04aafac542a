"""A person's check-in history: answers per call over the weeks, and the charts of them.

Categorical answers become numbers only for drawing (low=1 … good=3); the table beside each
chart shows the words the person actually said.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, col, select

from agent.web.charts import LineChart, line_chart
from agent.web.queries import CallFilter, CallSummary, list_calls
from store import optouts
from store.models import Alert, Answer, Call, Person

# question -> (chart title, {answer value: level}, y-axis levels)
CHARTS: dict[str, tuple[str, dict[Any, float], list[tuple[float, str]]]] = {
    "mood": (
        "Mood",
        {"low": 1, "okay": 2, "good": 3},
        [(1, "low"), (2, "okay"), (3, "good")],
    ),
    "sleep": (
        "Sleep",
        {"slept_poorly": 1, "slept_well": 2},
        [(1, "poorly"), (2, "well")],
    ),
    "pain": (
        "Pain (0 none, 1–5 severity)",
        {"none": 0},
        [(0, "none"), (1, "1"), (3, "3"), (5, "5")],
    ),
}
COLUMNS = ["meals", "sleep", "pain", "pain_where", "pain_severity", "mood", "medication", "needs"]


@dataclass
class CheckIn:
    call_sid: str
    at: dt.datetime
    outcome: str | None
    answers: dict[str, Answer]


@dataclass
class PersonHistory:
    person: Person
    opted_out: bool
    checkins: list[CheckIn]
    charts: list[LineChart]
    alerts: list[Alert]
    calls: list[CallSummary]
    columns: list[str]


def person_history(
    s: Session, person_id: int, tz: ZoneInfo, now: dt.datetime, *, weeks: int = 12
) -> PersonHistory | None:
    person = s.get(Person, person_id)
    if person is None:
        return None
    since = now - dt.timedelta(weeks=weeks)
    rows = s.exec(
        select(Answer, Call)
        .join(Call, col(Answer.call_id) == col(Call.id))
        .where(or_(col(Answer.person_id) == person_id, col(Call.person_id) == person_id))
        .where(col(Call.started_at) >= since)
        .order_by(col(Call.started_at), col(Answer.id))
    ).all()
    by_call: dict[str, CheckIn] = {}
    for answer, call in rows:
        checkin = by_call.setdefault(
            call.call_sid, CheckIn(call.call_sid, call.started_at, call.outcome, {})
        )
        checkin.answers[answer.key] = answer  # the last answer to a question in a call wins
    checkins = sorted(by_call.values(), key=lambda c: c.at)
    alerts = s.exec(
        select(Alert).where(Alert.person_id == person_id).order_by(col(Alert.created_at).desc())
    ).all()
    calls = list_calls(s, CallFilter(person_id=person_id), tz, limit=50)
    keys = {k for c in checkins for k in c.answers}
    return PersonHistory(
        person=person,
        opted_out=bool(person.phone) and optouts.is_opted_out(s, person.phone or ""),
        checkins=checkins,
        charts=_charts(checkins, since, now),
        alerts=list(alerts),
        calls=calls,
        columns=[c for c in COLUMNS if c in keys] + sorted(keys - set(COLUMNS)),
    )


def _level(key: str, checkin: CheckIn) -> tuple[float, str] | None:
    answer = checkin.answers.get(key)
    if answer is None:
        return None
    if key == "pain":
        severity = checkin.answers.get("pain_severity")
        if answer.value == "some" and severity is not None and isinstance(severity.value, int):
            return float(severity.value), f"pain {severity.value}/5"
    level = CHARTS[key][1].get(answer.value)
    return (level, str(answer.value)) if level is not None else None


def _charts(checkins: list[CheckIn], since: dt.datetime, now: dt.datetime) -> list[LineChart]:
    charts = []
    for key, (title, _, levels) in CHARTS.items():
        values = []
        for checkin in checkins:
            found = _level(key, checkin)
            if found is not None:
                values.append((checkin.at, found[0], found[1]))
        charts.append(line_chart(title, values, levels, since, now))
    return charts


def list_people(s: Session, q: str = "") -> list[Person]:
    query = select(Person).order_by(col(Person.name))
    if q.strip():
        query = query.where(col(Person.name).icontains(q.strip(), autoescape=True))
    return list(s.exec(query.limit(500)))
