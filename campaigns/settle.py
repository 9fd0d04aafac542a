"""Settling an attempt: its final outcome, the retry it earns, and the person's unreached streak.

Every report that ends an attempt (status callback, end of dialog, expiry, reconciliation) comes
through :func:`finish`, under the attempt's lock, and only the first one moves it to ``done``;
later ones may only sharpen the outcome. So the retry is planned and the streak counted exactly
once however many reports arrive and in whatever order.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlmodel import Session

from campaigns.outcomes import BLOCKED, REACHED, RetryPolicy, better
from store import alerts
from store import attempts as attempt_store
from store import campaigns as campaign_store
from store.models import CallAttempt

log = logging.getLogger(__name__)
UNREACHABLE_REASON = "unreachable"


def record(s: Session, attempt_id: int, outcome: str, *, answered_by: str | None = None) -> None:
    """Note what is known so far (e.g. a machine answered) without ending the attempt."""
    attempt = attempt_store.lock_attempt(s, attempt_id)
    attempt.outcome = better(attempt.outcome, outcome)
    if answered_by is not None:
        attempt.answered_by = answered_by
    attempt_store.set_status(s, attempt, attempt.status)


def finish(
    s: Session, attempt_id: int, outcome: str, *, now: dt.datetime, error: str | None = None
) -> CallAttempt:
    """End an attempt with ``outcome`` (or the more specific one already recorded).

    Returns the attempt; a second call changes at most the outcome.
    """
    attempt = attempt_store.lock_attempt(s, attempt_id)
    final = better(attempt.outcome, outcome) or outcome
    if attempt.status == "done":
        if final != attempt.outcome:
            attempt_store.set_status(s, attempt, "done", outcome=final)
        return attempt
    attempt_store.set_status(
        s, attempt, "done", outcome=final, finished_at=now, error=error or attempt.error
    )
    log.info("attempt %s settled: %s", attempt.id, final)
    if attempt.campaign_id is not None:
        _after(s, attempt, final, now)
    return attempt


def _after(s: Session, attempt: CallAttempt, outcome: str, now: dt.datetime) -> None:
    assert attempt.campaign_id is not None and attempt.person_id is not None
    if outcome == BLOCKED:
        return  # never dialled: no retry, and the streak neither grows nor resets
    campaign = campaign_store.get_campaign(s, attempt.campaign_id)
    policy = RetryPolicy.parse(
        campaign.retry_outcomes, campaign.retry_delay_minutes, campaign.max_attempts_per_window
    )
    if outcome != "expired" and policy.should_retry(outcome, attempt.attempt_no):
        attempt_store.plan_attempt(
            s,
            campaign_id=attempt.campaign_id,
            person_id=attempt.person_id,
            script=attempt.script,
            to_number=attempt.to_number,
            window_start=attempt.window_start,
            window_end=attempt.window_end,
            due_at=now + dt.timedelta(minutes=policy.delay_minutes),
            attempt_no=attempt.attempt_no + 1,
        )
        return
    # The window is settled for this person: count it towards (or break) their streak.
    member = campaign_store.get_member(s, attempt.campaign_id, attempt.person_id)
    if member is None:
        return
    if outcome in REACHED:
        member.consecutive_unreached = 0
    else:
        member.consecutive_unreached += 1
        if (
            campaign.unreachable_after
            and member.consecutive_unreached == campaign.unreachable_after
        ):
            alerts.raise_alert(
                s,
                severity="urgent",
                reason=UNREACHABLE_REASON,
                detail=f"{member.consecutive_unreached} check-ins in a row without reaching them",
                person_id=attempt.person_id,
            )
            log.info("unreachable alert raised for campaign %s", campaign.id)
    s.add(member)
    s.flush()
