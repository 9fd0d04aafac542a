"""The three endpoints Twilio talks to, as a router the application mounts.

``POST /twilio/voice`` answers a call with TwiML that connects its audio to ``WS /twilio/media``;
``POST /twilio/status`` receives call progress. What a call *does* is not decided here: the
composition root implements :class:`CallHooks`. This module only guarantees that hooks see
nothing that Twilio did not sign, and that the media socket reaches them right after the
``start`` message, with nothing further read from it, so the hook (or a pipecat transport) owns
the rest of the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from fastapi import APIRouter, Depends, Request, Response, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from telephony import twiml
from telephony.lines import Line, LineDirectory
from telephony.media import ConnectedMessage, ProtocolError, StartMessage, parse_message
from telephony.signature import twilio_form_guard, verify_websocket, websocket_url_for

__all__ = ["CallHooks", "CallRefused", "stream_parameters", "twilio_router"]

log = logging.getLogger(__name__)

TWIML_MEDIA_TYPE = "application/xml"
#: Close code for a rejected or broken stream (RFC 6455 "policy violation").
POLICY_VIOLATION = 1008
#: Messages tolerated before ``start`` (``connected`` plus stray frames) before giving up.
MAX_MESSAGES_BEFORE_START = 50

_APOLOGY = "Sorry, we cannot take your call right now. Please try again later."


class CallRefused(Exception):
    """Raised by :meth:`CallHooks.on_incoming` to turn a call away.

    With ``say`` the caller hears it before the hang-up; without, an inbound call is rejected
    (busy) before it is answered. ``twiml``, when given, is answered as it is instead (a
    draining worker's ``<Redirect>`` to another one).
    """

    def __init__(self, say: str | None = None, *, twiml: str | None = None) -> None:
        super().__init__(say or "call refused")
        self.say = say
        self.twiml = twiml


class CallHooks(Protocol):
    """What the application does with calls; implemented by the composition root."""

    async def on_incoming(self, params: dict[str, str], line: Line) -> dict[str, str]:
        """A call arrived. Return extra stream parameters, or raise :class:`CallRefused`."""
        ...

    async def on_status(self, params: dict[str, str]) -> None:
        """Twilio reported call progress (``CallStatus``: ringing, completed, no-answer, ...)."""
        ...

    async def on_media_stream(self, websocket: WebSocket, start: StartMessage) -> None:
        """Run the call; return only when it is over.

        The socket is accepted and its ``start`` consumed, nothing after it; it is yours now (a
        pipecat transport can take it over). The router closes it, if still open, on return.
        """
        ...


def stream_parameters(params: dict[str, str], line: Line) -> dict[str, str]:
    """Parameters every stream carries, so the media handler needs no other lookup."""
    return {
        "line": line.label,
        "script": line.script,
        "direction": params.get("Direction", "inbound"),
        "line_number": line.number,
    }


def _line_for(params: dict[str, str], lines: LineDirectory) -> Line:
    # For calls Anbu placed (outbound-api), Anbu's own number is From; otherwise it is To.
    direction = params.get("Direction", "inbound")
    number = params.get("From", "") if direction.startswith("outbound") else params.get("To", "")
    return lines.resolve(number)


def twilio_router(
    *,
    hooks: CallHooks,
    lines: LineDirectory,
    auth_token: Callable[[], str],
    public_base: Callable[[], str],
    prefix: str = "/twilio",
    start_timeout: float = 5.0,
) -> APIRouter:
    """Router with ``POST {prefix}/voice``, ``POST {prefix}/status`` and ``WS {prefix}/media``.

    ``auth_token`` and ``public_base`` are read on every request. ``start_timeout`` bounds how
    long a media socket may take to deliver its ``start`` message.
    """
    router = APIRouter(prefix=prefix)
    # A default rather than Annotated: this module's postponed annotations are strings that
    # FastAPI could not resolve to a local alias.
    signed_form = Depends(twilio_form_guard(auth_token, public_base))

    @router.post("/voice")
    async def voice(request: Request, params: dict[str, str] = signed_form) -> Response:
        line = _line_for(params, lines)
        try:
            extra = await hooks.on_incoming(params, line)
        except CallRefused as refused:
            if refused.twiml:
                body = refused.twiml
            elif refused.say:
                body = twiml.say_and_hangup(refused.say)
            elif params.get("Direction", "inbound") == "inbound":
                body = twiml.reject()
            else:
                body = twiml.hangup()
            return Response(body, media_type=TWIML_MEDIA_TYPE)
        except Exception:
            # Twilio would otherwise play its own "application error" message.
            log.exception("incoming call hook failed; apologising to the caller")
            return Response(twiml.say_and_hangup(_APOLOGY), media_type=TWIML_MEDIA_TYPE)
        parameters = {**stream_parameters(params, line), **(extra or {})}
        # Sibling of this endpoint, so the URL stays right wherever the router is mounted.
        media_path = request.url.path.rsplit("/", 1)[0] + "/media"
        ws_url = websocket_url_for(public_base(), media_path)
        return Response(twiml.connect_stream(ws_url, parameters), media_type=TWIML_MEDIA_TYPE)

    @router.post("/status", status_code=204)
    async def status(params: dict[str, str] = signed_form) -> Response:
        await hooks.on_status(params)
        return Response(status_code=204)

    @router.websocket("/media")
    async def media(websocket: WebSocket) -> None:
        if not verify_websocket(websocket, auth_token(), public_base()):
            # Closing before accepting refuses the upgrade (HTTP 403); nothing is sent.
            await websocket.close(code=POLICY_VIOLATION)
            return
        await websocket.accept()
        start = await _read_until_start(websocket, start_timeout)
        if start is None:
            await _close(websocket, POLICY_VIOLATION)
            return
        try:
            await hooks.on_media_stream(websocket, start)
        except WebSocketDisconnect:
            log.info("media stream disconnected (call %s)", start.call_sid)
            return
        except Exception:
            log.exception("media stream hook failed (call %s)", start.call_sid)
            await _close(websocket, 1011)
            return
        await _close(websocket, 1000)

    return router


async def _read_until_start(websocket: WebSocket, timeout: float) -> StartMessage | None:
    """Read ``connected`` and then ``start``, skipping junk; None if it never comes."""
    errors = 0
    try:
        async with asyncio.timeout(timeout):
            for _ in range(MAX_MESSAGES_BEFORE_START):
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    log.info("media stream closed before start")
                    return None
                raw = message.get("text")
                if raw is None:
                    raw = message.get("bytes") or b""
                parsed = parse_message(raw)
                if isinstance(parsed, StartMessage):
                    if errors:
                        log.info("media stream: skipped %d bad messages before start", errors)
                    return parsed
                if isinstance(parsed, ProtocolError):
                    errors += 1
                elif not isinstance(parsed, ConnectedMessage):
                    errors += 1  # media/mark/stop before start: out of order, ignore
    except TimeoutError:
        log.warning("media stream sent no start within %.1fs", timeout)
        return None
    log.warning("media stream sent %d messages without a start", MAX_MESSAGES_BEFORE_START)
    return None


async def _close(websocket: WebSocket, code: int) -> None:
    """Close unless someone (the hook, the peer) already did."""
    if websocket.application_state == WebSocketState.DISCONNECTED:
        return
    if websocket.client_state == WebSocketState.DISCONNECTED:
        return
    with contextlib.suppress(RuntimeError, OSError):
        await websocket.close(code=code)
