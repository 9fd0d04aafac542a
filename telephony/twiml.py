"""TwiML documents Anbu answers Twilio with.

Built with Twilio's own ``VoiceResponse`` so that element names, attributes and XML escaping are
right by construction. Text that reaches TwiML can come from callers' data or scripts, so
characters XML 1.0 cannot carry at all (most control characters) are dropped rather than
producing a document Twilio would refuse mid-call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from twilio.twiml.voice_response import Connect, VoiceResponse

__all__ = ["connect_stream", "dial", "hangup", "redirect", "reject", "say_and_hangup"]

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _XML_INVALID.sub("", text)


def connect_stream(ws_url: str, parameters: Mapping[str, str] | None = None) -> str:
    """``<Connect><Stream url=…>`` with ``<Parameter>``s: hand the call's audio to a websocket.

    The parameters come back verbatim in the stream's ``start`` message (``customParameters``),
    which is how the media handler learns which line and script the call is for.
    """
    response = VoiceResponse()
    connect = Connect()
    stream = connect.stream(url=_clean(ws_url))
    for name, value in (parameters or {}).items():
        stream.parameter(name=_clean(str(name)), value=_clean(str(value)))
    response.append(connect)
    return str(response)


def say_and_hangup(text: str, *, voice: str | None = None, language: str | None = None) -> str:
    """Speak ``text`` with Twilio's TTS, then end the call (refusals, apologies)."""
    response = VoiceResponse()
    kwargs = {k: v for k, v in (("voice", voice), ("language", language)) if v}
    response.say(_clean(text), **kwargs)
    response.hangup()
    return str(response)


def dial(number: str, caller_id: str | None = None, *, say_first: str | None = None) -> str:
    """Transfer the call to ``number`` (hand-over to a person), optionally announcing it first."""
    response = VoiceResponse()
    if say_first:
        response.say(_clean(say_first))
    kwargs = {"caller_id": _clean(caller_id)} if caller_id else {}
    response.dial(_clean(number), **kwargs)
    return str(response)


def hangup() -> str:
    """End the call without saying anything."""
    response = VoiceResponse()
    response.hangup()
    return str(response)


def reject(reason: str = "busy") -> str:
    """Refuse an inbound call before answering it (the caller hears busy or a rejection tone)."""
    response = VoiceResponse()
    response.reject(reason=reason)
    return str(response)


def redirect(url: str) -> str:
    """Send the call's next webhook to ``url`` (a draining worker hands a caller to the cluster).

    Twilio posts the call's parameters there, signed for that URL, as if the call had just
    arrived.
    """
    response = VoiceResponse()
    response.redirect(_clean(url), method="POST")
    return str(response)
