"""What Anbu does with a phone call: the telephony hooks, composed from the other parts.

``telephony`` knows Twilio's protocol and nothing about dialogs or databases; this module is
where a webhook becomes a call record, a media stream becomes a pipeline, and the end of a
conversation becomes a REST hang-up or a hand-over.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from fastapi import WebSocket

from agent.controller import CallEnd, ControllerConfig
from agent.drain import draining_refusal
from agent.logs import bind_call, set_call_id
from agent.pipeline import PipelineOptions, run_call
from agent.runtime import Runtime
from agent.session import CallSession
from agent.voice import Voice
from store import calls as call_store
from store.db import session_scope
from telephony import twiml
from telephony.lines import Line, LineDirectory
from telephony.media import StartMessage
from telephony.rest import TwilioCalls

log = logging.getLogger(__name__)

#: Told about every finished call: (direction, the dialog's outcome, the CallResult or None).
CallListener = Callable[[str, str | None, Any], None]


class OutboundCalls(Protocol):
    """What the campaign side adds to calls Anbu places (implemented in ``campaigns``' glue)."""

    async def stream_parameters(self, params: dict[str, str]) -> dict[str, str]:
        """Stream parameters (script, person_id, person_name, attempt …) for an answered call."""
        ...

    async def on_status(self, params: dict[str, str]) -> None:
        """A status callback for any call (after it was applied to the call record)."""
        ...

    async def on_call_finished(self, call_sid: str, outcome: str | None) -> None:
        """The conversation of a call Anbu placed is over, with the dialog's outcome."""
        ...


class PhoneHooks:
    """Implements :class:`telephony.webhooks.CallHooks`."""

    def __init__(
        self,
        runtime: Runtime,
        voice: Voice,
        lines: LineDirectory,
        rest: TwilioCalls | None,
        outbound: OutboundCalls | None = None,
    ) -> None:
        self.runtime, self.voice, self.lines, self.rest = runtime, voice, lines, rest
        self.outbound = outbound
        self.active: dict[str, CallSession] = {}
        self.results: dict[str, Any] = {}  # last CallResult per call, for benchmarks and tests
        self.accepting = True  # False while draining (agent.drain)
        self.answered: dict[str, float] = {}  # call_sid → when its TwiML went out (drain waits)
        self.listeners: list[CallListener] = []  # metrics

    async def on_incoming(self, params: dict[str, str], line: Line) -> dict[str, str]:
        if not self.accepting:
            raise draining_refusal(self.runtime.settings.drain_redirect_url)
        extra = {"from": params.get("From", ""), "to": params.get("To", "")}
        if params.get("Direction", "").startswith("outbound") and self.outbound is not None:
            extra.update(await self.outbound.stream_parameters(params))
        self.runtime.script(extra.get("script", line.script))  # unknown script: apologise
        if call_sid := params.get("CallSid", ""):
            self.answered[call_sid] = time.monotonic()
        return extra

    async def on_status(self, params: dict[str, str]) -> None:
        call_sid, status = params.get("CallSid", ""), params.get("CallStatus", "")
        if not call_sid or not status:
            return
        try:
            seq = int(params.get("SequenceNumber", "0") or 0)
        except ValueError:
            seq = 0

        def apply() -> None:
            with session_scope(self.runtime.db) as s:
                call_store.apply_status_callback(s, call_sid, status, seq)

        await asyncio.to_thread(apply)
        if self.outbound is not None:
            await self.outbound.on_status(params)

    async def on_media_stream(self, websocket: WebSocket, start: StartMessage) -> None:
        with bind_call(start.call_sid):  # every log record of this call names it
            await self._media_stream(websocket, start)

    async def _media_stream(self, websocket: WebSocket, start: StartMessage) -> None:
        self.answered.pop(start.call_sid, None)
        params = start.custom_parameters
        settings = self.runtime.settings
        script = params.get("script", "reservation")
        direction = "outbound" if params.get("direction", "").startswith("outbound") else "inbound"
        line = self.lines.resolve(params.get("line_number", ""))
        session = await asyncio.to_thread(
            CallSession,
            self.runtime,
            script=script,
            call_sid=start.call_sid,
            direction=direction,
            line=params.get("line", script),
            from_number=params.get("from", ""),
            to_number=params.get("to", ""),
            person_id=int(params["person_id"]) if params.get("person_id", "").isdigit() else None,
            person_name=params.get("person_name", ""),
        )
        self.active[start.call_sid] = session
        set_call_id(session.call_id)
        log.info("call started: %s %s, %d active", direction, script, len(self.active))
        recordings = settings.resolved_recordings_dir if settings.record_calls else None
        options = PipelineOptions(
            vad_stop_secs=settings.vad_stop_secs,
            controller=ControllerConfig(silence_timeout_s=settings.silence_timeout_secs),
            recordings_dir=recordings,
        )

        async def on_end(end: CallEnd) -> None:
            await self._end_call(
                start.call_sid, end, line.handover_number or settings.handover_number
            )

        result = None
        try:
            result = await run_call(
                websocket,
                stream_sid=start.stream_sid,
                session=session,
                voice=self.voice,
                options=options,
                on_end=on_end,
            )
            self.results[start.call_sid] = result
            if result.recording is not None:
                await asyncio.to_thread(self._set_recording, session.call_id, str(result.recording))
        finally:
            # Whatever happened (goodbye, hang-up, dropped socket), close the record with
            # everything heard so far; idempotent with the status callback. The call stays in
            # ``active`` until then: the status callback may already have closed the row with
            # Twilio's generic "completed", and the dialog's outcome is only written here.
            try:
                await asyncio.to_thread(session.finish, status="completed")
            finally:
                self.active.pop(start.call_sid, None)
            log.info("call ended: outcome %s", session.outcome)
            for listener in self.listeners:
                try:
                    listener(direction, session.outcome, result)
                except Exception:
                    log.exception("call listener failed")
            if direction == "outbound" and self.outbound is not None:
                await self.outbound.on_call_finished(start.call_sid, session.outcome)

    async def _end_call(self, call_sid: str, end: CallEnd, handover_number: str) -> None:
        if self.rest is None:
            return  # the local simulated phone: closing the stream ends the call
        try:
            if end.transfer and handover_number:
                await self.rest.update_twiml(call_sid, twiml.dial(handover_number))
            else:
                await self.rest.hang_up(call_sid)
        except Exception:
            log.exception("could not end call %s through the REST API", call_sid)

    def _set_recording(self, call_id: int, path: str) -> None:
        from store.models import Call

        with session_scope(self.runtime.db) as s:
            call = s.get(Call, call_id)
            if call is not None:
                call.recording_path = path
                s.add(call)
