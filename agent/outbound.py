"""Calls Anbu places: the campaign engine composed with the phone.

:class:`Outbound` implements :class:`agent.phone.OutboundCalls`: an answered outbound call gets
its script, person and attempt as stream parameters; status callbacks, machine detection and the
end of the conversation settle the call attempt. It also owns the dialer (Twilio, or the local
simulated phone without Twilio credentials), the runner, the alert pusher and the scheduler, so
``agent.app`` only builds one object and starts and stops it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from agent.runtime import Runtime
from agent.simcall import Caller
from agent.simdial import SimulatedDialer, dial_targets, persona_from_settings
from agent.voice import Voice
from campaigns.alerts_push import AlertPusher
from campaigns.clock import Clock, SystemClock
from campaigns.dialer import Dialer, TwilioDialer
from campaigns.runner import CampaignRunner, RunnerConfig
from campaigns.scheduler import CampaignScheduler
from dialog.templates import render
from store.db import session_scope
from store.models import Person
from telephony import twiml

log = logging.getLogger(__name__)

#: How long an answered call waits for the dialer to record its CallSid (the answer webhook can
#: beat the create reply by a moment with the simulated phone).
ANSWER_LOOKUP_S = 5.0
FALLBACK_VOICEMAIL = (
    "Hello, this is the automated care assistant from {organisation_name}, calling for your "
    "regular check-in. We will try again later. Goodbye."
)


class Outbound:
    def __init__(
        self,
        runtime: Runtime,
        dialer: Dialer,
        *,
        clock: Clock | None = None,
    ) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.dialer = dialer
        self.clock: Clock = clock or SystemClock()
        self.runner = CampaignRunner(
            runtime.db,
            dialer,
            RunnerConfig(
                public_url=settings.public_url,
                from_number=settings.twilio_phone_number or "+15550100000",
                check_after=dt.timedelta(seconds=settings.campaign_reconcile_after_secs),
            ),
            clock=self.clock,
            voicemail_twiml=self.voicemail_twiml,
        )
        secret = settings.alert_webhook_secret.get_secret_value()
        self.pusher = (
            AlertPusher(runtime.db, settings.alert_webhook_url, secret, now=self.clock.now)
            if settings.alert_webhook_url
            else None
        )
        self.scheduler: CampaignScheduler | None = None

    @classmethod
    def create(cls, runtime: Runtime, voice: Voice, loop: asyncio.AbstractEventLoop) -> Outbound:
        """Twilio when credentials are set, otherwise the local simulated person."""
        s = runtime.settings
        dialer: Dialer
        if s.twilio_configured:
            dialer = TwilioDialer(
                s.twilio_account_sid, s.twilio_auth_token.get_secret_value(), s.twilio_api_base
            )
        else:
            dialer = SimulatedDialer(
                targets=dial_targets(s.simulated_dial_url, s.public_url),
                token=s.webhook_token(),
                caller=Caller(voice.synthesizer, voice.recognizer),
                loop=loop,
                persona=persona_from_settings(s.simulated_answers),
            )
        return cls(runtime, dialer)

    # the scheduler ------------------------------------------------------------------------------

    def work(self) -> None:
        """One scheduler tick: campaigns first, then alert pushes."""
        self.runner.tick()
        if self.pusher is not None:
            self.pusher.run_once()

    def start(self) -> None:
        # Not ``sole``: a second scheduler may be running, so fresh claims are left alone; but
        # every call the provider has is checked, and one a crashed process placed is adopted.
        self.runner.reconcile(startup=True)
        self.scheduler = CampaignScheduler(
            self.runtime.db, self.work, self.runtime.settings.campaign_tick_secs
        )
        self.scheduler.start()

    def stop(self) -> None:
        self.runner.stop_claiming()  # a tick under way dials nothing more
        if self.scheduler is not None:
            self.scheduler.shutdown()
            self.scheduler = None

    async def drain(self) -> None:
        """SIGTERM (agent.drain): stop claiming, then let the calls this process placed end.

        With Twilio a placed call lives at Twilio and on the workers, so stopping is enough.
        The simulated person lives in this process: exiting would hang up on them, so wait for
        those calls (bounded by ``ANBU_DRAIN_TIMEOUT_SECS``).
        """
        await asyncio.to_thread(self.stop)
        if isinstance(self.dialer, SimulatedDialer):
            try:
                await self.dialer.wait_all(self.runtime.settings.drain_timeout_secs)
            except TimeoutError:
                log.warning("drain timeout with simulated calls still in progress")

    # agent.phone.OutboundCalls ------------------------------------------------------------------

    async def stream_parameters(self, params: dict[str, str]) -> dict[str, str]:
        call_sid = params.get("CallSid", "")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ANSWER_LOOKUP_S
        attempt = await asyncio.to_thread(self.runner.on_answered, call_sid)
        while attempt is None and loop.time() < deadline:
            await asyncio.sleep(0.05)
            attempt = await asyncio.to_thread(self.runner.on_answered, call_sid)
        if attempt is None:
            log.warning("outbound call %s matches no call attempt", call_sid)
            return {}
        extra = {"script": attempt.script, "attempt_id": str(attempt.id)}
        if attempt.person_id is not None:
            extra["person_id"] = str(attempt.person_id)
            extra["person_name"] = await asyncio.to_thread(self._person_name, attempt.person_id)
        return extra

    async def on_status(self, params: dict[str, str]) -> None:
        call_sid, status = params.get("CallSid", ""), params.get("CallStatus", "")
        if call_sid and status:
            await asyncio.to_thread(self.runner.on_status, call_sid, status)
        if self.pusher is not None:
            await asyncio.to_thread(self.pusher.run_once)

    async def on_call_finished(self, call_sid: str, outcome: str | None) -> None:
        await asyncio.to_thread(self.runner.on_dialog_finished, call_sid, outcome)
        if self.pusher is not None:  # an urgent alert from this call goes out now
            await asyncio.to_thread(self.pusher.run_once)

    async def on_machine(self, params: dict[str, str], attempt_id: int | None) -> bool:
        """Machine detection result (the campaigns router's AMD callback)."""
        return await asyncio.to_thread(
            self.runner.on_machine,
            params.get("CallSid", ""),
            params.get("AnsweredBy", "unknown"),
            attempt_id,
        )

    # helpers ------------------------------------------------------------------------------------

    def voicemail_twiml(self, script: str) -> str:
        template = self.runtime.script(script).voicemail or FALLBACK_VOICEMAIL
        text = render(template, {"organisation_name": self.runtime.settings.organisation_name})
        return twiml.say_and_hangup(text)

    def _person_name(self, person_id: int) -> str:
        with session_scope(self.runtime.db) as s:
            person = s.get(Person, person_id)
            return person.name if person is not None else ""
