"""The campaign engine: one tick plans, expires, claims and dials; events settle attempts.

``tick`` is what the scheduler runs every second in every Anbu process. It holds no state that
matters between ticks: everything is in the call-attempts table, so ticks may overlap across
processes, be skipped, or run twice. Provider events (status callbacks, machine detection, the
end of a conversation) arrive through :meth:`on_status`, :meth:`on_machine` and
:meth:`on_dialog_finished`, which may run in any process.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlalchemy import Engine, update
from sqlmodel import col

from campaigns import claim, planner, settle
from campaigns.clock import Clock, SystemClock
from campaigns.dialer import Dialer, DialError, DialRequest
from campaigns.outcomes import from_dialog, from_twilio_status, is_machine
from store import attempts as attempt_store
from store import calls as call_store
from store import campaigns as campaign_store
from store.db import session_scope
from store.models import CallAttempt
from store.people import check_e164
from store.types import utcnow

log = logging.getLogger(__name__)

#: Where Twilio posts machine-detection results (the campaigns router serves it).
AMD_PATH = "/twilio/amd"
VOICE_PATH = "/twilio/voice"
STATUS_PATH = "/twilio/status"
ONE_OFF_WINDOW = dt.timedelta(minutes=30)


def process_owner() -> str:
    """A name for this process's claims: host, pid and a random part (pids get reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class RunnerConfig:
    public_url: str
    from_number: str
    #: A claim or dial older than this with no provider call is presumed abandoned by a dead
    #: process and reconciled; a live process dials within a second or two of claiming.
    stale_after: dt.timedelta = dt.timedelta(minutes=2)
    #: A call the provider has (ringing, in progress) that sent no status for this long is
    #: checked with the provider: its callbacks may have been lost (a worker down when Twilio
    #: posted, or a callback that beat the create reply and so named an unknown CallSid).
    #: Measured in store time (``updated_at``), like every status change the attempt records.
    check_after: dt.timedelta = dt.timedelta(minutes=2)
    owner: str = field(default_factory=process_owner)


@dataclass
class TickReport:
    planned: int = 0
    expired: int = 0
    dialled: list[int] = field(default_factory=list)
    reconciled: int = 0


class CampaignRunner:
    def __init__(
        self,
        db: Engine,
        dialer: Dialer,
        config: RunnerConfig,
        *,
        clock: Clock | None = None,
        voicemail_twiml: Callable[[str], str] | None = None,
    ) -> None:
        self.db, self.dialer, self.config = db, dialer, config
        self.clock: Clock = clock or SystemClock()
        self.voicemail_twiml = voicemail_twiml
        #: Set by :meth:`stop_claiming` (a draining process): no more claims or dials.
        self.stopping = False

    def stop_claiming(self) -> None:
        """Stop taking attempts (SIGTERM): a tick under way dials nothing more, and what it had
        claimed but not yet dialled goes back to pending for the next scheduler."""
        self.stopping = True

    # ---- the periodic tick ------------------------------------------------------------------

    def tick(self) -> TickReport:
        now = self.clock.now()
        report = TickReport()
        if self.stopping:
            return report
        report.reconciled = self.reconcile()
        report.planned = planner.plan(self.db, now)
        report.expired = planner.expire(self.db, now)
        planner.finish_campaigns(self.db, now)
        with session_scope(self.db) as s:
            running = [c.id for c in campaign_store.list_campaigns(s, "running") if c.id]
        claims = claim.claim_one_off(self.db, now=now, owner=self.config.owner)
        for campaign_id in running:
            claims += claim.claim_campaign(self.db, campaign_id, now=now, owner=self.config.owner)
        for claimed in sorted(claims, key=lambda c: c.dial_at):
            wait = (claimed.dial_at - self.clock.now()).total_seconds()
            if wait > 0:
                self.clock.sleep(wait)  # pacing: the slot the claim was given
            if self.stopping:
                self._release(claimed.attempt_id)
                continue
            if self.dial(claimed.attempt_id):
                report.dialled.append(claimed.attempt_id)
        return report

    def _release(self, attempt_id: int) -> None:
        """Give back a claim this process will not dial (it is draining)."""
        with session_scope(self.db) as s:
            attempt = attempt_store.lock_attempt(s, attempt_id)
            if attempt.status == "claimed" and attempt.claimed_by == self.config.owner:
                attempt_store.set_status(
                    s, attempt, "pending", claimed_by=None, claimed_at=None, dial_at=None
                )

    def dial(self, attempt_id: int) -> bool:
        """Place a claimed attempt. Never dials an attempt this process did not claim."""
        with session_scope(self.db) as s:
            taken = s.execute(
                update(CallAttempt)
                .where(
                    col(CallAttempt.id) == attempt_id,
                    col(CallAttempt.status) == "claimed",
                    col(CallAttempt.claimed_by) == self.config.owner,
                )
                .values(status="dialing", updated_at=utcnow())
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return False
            attempt = attempt_store.get_attempt(s, attempt_id)
            assert attempt is not None
            request = self._request(attempt)
        # Committed as "dialing" before the request leaves: if we die now, reconciliation asks
        # the provider whether the call exists instead of dialling again.
        try:
            call_sid = self.dialer.place(request)
        except DialError as exc:
            with session_scope(self.db) as s:
                settle.finish(s, attempt_id, "failed", now=self.clock.now(), error=str(exc))
            return False
        except Exception as exc:
            # Unknown whether the provider placed it: leave it "dialing" for reconciliation.
            log.warning("dial of attempt %s failed: %s", attempt_id, type(exc).__name__)
            with session_scope(self.db) as s:
                attempt = attempt_store.lock_attempt(s, attempt_id)
                attempt_store.set_status(s, attempt, attempt.status, error=type(exc).__name__)
            return False
        self._adopt(attempt_id, call_sid)
        return True

    def _request(self, attempt: CallAttempt) -> DialRequest:
        base = self.config.public_url.rstrip("/")
        query = urlencode({"attempt": attempt.id})
        assert attempt.id is not None
        return DialRequest(
            attempt_id=attempt.id,
            to=attempt.to_number,
            from_=self.config.from_number,
            voice_url=f"{base}{VOICE_PATH}",
            status_url=f"{base}{STATUS_PATH}?{query}",
            amd_url=f"{base}{AMD_PATH}?{query}",
        )

    def _adopt(self, attempt_id: int, call_sid: str) -> None:
        """Record the provider's id for an attempt (a status callback may have done it first)."""
        with session_scope(self.db) as s:
            attempt = attempt_store.lock_attempt(s, attempt_id)
            if attempt.call_sid is None:
                attempt.call_sid = call_sid
            if attempt.status in ("claimed", "dialing"):
                attempt_store.set_status(s, attempt, "ringing")
            else:
                attempt_store.set_status(s, attempt, attempt.status)

    # ---- one-off calls ----------------------------------------------------------------------

    def place_now(self, to: str, script: str, person_id: int | None = None) -> int:
        """Queue a call to ``to`` now (operators, tests) and dial it at once; returns its id."""
        check_e164(to)
        now = self.clock.now()
        with session_scope(self.db) as s:
            if campaign_store.is_blocked(s, to):
                raise PermissionError("that number is on the do-not-call or opt-out list")
            attempt_id = attempt_store.plan_attempt(
                s,
                campaign_id=None,
                person_id=person_id,
                script=script,
                to_number=to,
                window_start=now,
                window_end=now + ONE_OFF_WINDOW,
                due_at=now,
            )
        assert attempt_id is not None
        for claimed in claim.claim_one_off(self.db, now=now, owner=self.config.owner):
            self.dial(claimed.attempt_id)
        return attempt_id

    # ---- provider and dialog events ---------------------------------------------------------

    def attempt_for(self, call_sid: str, attempt_id: int | None = None) -> CallAttempt | None:
        """The attempt a provider call belongs to; adopts the sid if the callback beat us."""
        with session_scope(self.db) as s:
            if attempt_id is not None:
                attempt = attempt_store.lock_attempt(s, attempt_id)
                if attempt.call_sid is None and call_sid:
                    attempt.call_sid = call_sid
                    attempt_store.set_status(s, attempt, attempt.status)
                return attempt if attempt.call_sid == call_sid else None
            return attempt_store.by_call_sid(s, call_sid)

    def on_answered(self, call_sid: str) -> CallAttempt | None:
        """The callee picked up (the voice webhook): mark the attempt in progress."""
        with session_scope(self.db) as s:
            attempt = attempt_store.by_call_sid(s, call_sid)
            if attempt is None or attempt.id is None:
                return None
            attempt = attempt_store.lock_attempt(s, attempt.id)
            if attempt.status in ("claimed", "dialing", "ringing"):
                attempt_store.set_status(s, attempt, "in_progress")
            return attempt

    def on_status(self, call_sid: str, status: str, attempt_id: int | None = None) -> None:
        attempt = self.attempt_for(call_sid, attempt_id)
        if attempt is None or attempt.id is None:
            return
        outcome = from_twilio_status(status)
        with session_scope(self.db) as s:
            if outcome is not None:
                settle.finish(s, attempt.id, outcome, now=self.clock.now())
            elif status == "in-progress":
                current = attempt_store.lock_attempt(s, attempt.id)
                if current.status in ("dialing", "ringing"):
                    attempt_store.set_status(s, current, "in_progress")

    def on_machine(self, call_sid: str, answered_by: str, attempt_id: int | None = None) -> bool:
        """Machine detection reported; for a machine, leave the message and hang up.

        Returns whether it was a machine.
        """
        attempt = self.attempt_for(call_sid, attempt_id)
        if attempt is None or attempt.id is None:
            return False
        machine = is_machine(answered_by)
        with session_scope(self.db) as s:
            settle.record(
                s, attempt.id, "voicemail" if machine else "completed", answered_by=answered_by
            )
        if machine and self.voicemail_twiml is not None:
            self.dialer.update_twiml(call_sid, self.voicemail_twiml(attempt.script))
        return machine

    def on_dialog_finished(self, call_sid: str, dialog_outcome: str | None) -> None:
        """The conversation is over: its outcome settles the attempt."""
        attempt = self.attempt_for(call_sid)
        if attempt is None or attempt.id is None:
            return
        with session_scope(self.db) as s:
            settle.finish(s, attempt.id, from_dialog(dialog_outcome), now=self.clock.now())

    # ---- start-up and periodic reconciliation ----------------------------------------------

    def reconcile(self, *, startup: bool = False, sole: bool = False) -> int:
        """Settle attempts whose provider events were lost, and free what a dead process left.

        Runs on every tick (periodic), once at start-up (``startup``), and, for a process that
        knows it is the only dialler, with ``sole``. Per in-flight attempt:

        * ``claimed``, never sent: back to pending once older than ``stale_after`` (``sole``: at
          once). A fresh claim may belong to a live process about to dial it.
        * ``dialing`` with no call id (a crash, or a create reply that never came): ask the
          provider for a call to that number since the claim and adopt it, so a call placed
          just before a crash is not placed again. None found: back to pending, but only once
          stale (``sole``: at once), because a live process may still be sending the request.
        * with a call id: ask the provider for its status; a finished call settles the attempt,
          a live one is left to its callbacks. Periodically only attempts silent for longer
          than ``check_after`` are asked (and then not again for as long), so live calls do not
          flood the provider. This also settles a status callback that was dropped because it
          named a CallSid the attempt had not learnt yet (it beat the create reply): Twilio
          still has the call's status when the attempt is checked.

        Start-up checks every attempt the provider has, fresh or not, with no requeueing of
        fresh ones: a crashed process's freshly dialled call is adopted, never dialled again.
        """
        startup = startup or sole
        now = self.clock.now()
        stale_before = now - self.config.stale_after
        silent_before = utcnow() - self.config.check_after
        count = 0
        with session_scope(self.db) as s:
            rows = attempt_store.with_status(s, ["claimed", "dialing", "ringing", "in_progress"])
        for attempt in rows:
            assert attempt.id is not None
            stale = sole or (attempt.claimed_at or attempt.updated_at) <= stale_before
            if attempt.status == "claimed":
                if stale:
                    count += self._requeue(attempt.id, "claimed")
                continue
            if attempt.call_sid is None:
                if attempt.status == "dialing" and (startup or stale):
                    count += self._find_or_requeue(attempt, now, requeue=stale)
                continue
            if startup or attempt.updated_at <= silent_before:
                count += self._check(attempt.id, attempt.call_sid, now)
        return count

    def _requeue(self, attempt_id: int, expected: str) -> int:
        with session_scope(self.db) as s:
            current = attempt_store.lock_attempt(s, attempt_id)
            if current.status == expected and current.call_sid is None:
                attempt_store.set_status(
                    s, current, "pending", claimed_by=None, claimed_at=None, dial_at=None
                )
                log.info("attempt %s returned to pending (was %s)", attempt_id, expected)
                return 1
        return 0

    def _find_or_requeue(self, attempt: CallAttempt, now: dt.datetime, *, requeue: bool) -> int:
        assert attempt.id is not None
        since = (attempt.claimed_at or attempt.created_at) - dt.timedelta(minutes=1)
        found = self.dialer.find(attempt.to_number, since)
        if not found:
            return self._requeue(attempt.id, "dialing") if requeue else 0
        call_sid = found[0].sid
        self._adopt(attempt.id, call_sid)
        log.info("attempt %s adopted the provider call it had placed", attempt.id)
        self._check(attempt.id, call_sid, now)
        return 1

    def _check(self, attempt_id: int, call_sid: str, now: dt.datetime) -> int:
        """Ask the provider about one call; settle the attempt if the call is over."""
        provider = self.dialer.fetch(call_sid)
        outcome = from_twilio_status(provider.status) if provider is not None else None
        with session_scope(self.db) as s:
            current = attempt_store.lock_attempt(s, attempt_id)
            if current.status == "done":
                return 0  # a callback settled it meanwhile
            if outcome is None:
                # Still ringing or talking (or unknown to the provider): its callbacks will
                # settle it; touching it spaces the next check by ``check_after``.
                attempt_store.set_status(s, current, current.status)
                return 0
            call = call_store.get_call(s, call_sid)
            if call is not None and call.outcome is not None and call.answered_at is not None:
                outcome = from_dialog(call.outcome)
            settle.finish(s, attempt_id, outcome, now=now)
            log.info("attempt %s settled by reconciliation", attempt_id)
        return 1
