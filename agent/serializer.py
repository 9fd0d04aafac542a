"""Pipecat's Twilio serializer, hardened and taught about ``mark``.

Pipecat's serializer drops Twilio's ``mark`` echoes, which are the only way to know the caller
has actually *heard* the last sentence (we hang up after that, not before), and a malformed
message can raise out of it. Here every inbound message is parsed defensively: bad JSON, bad
base64 or unknown events are counted and dropped, never allowed to end the call.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pipecat.frames.frames import Frame, InputTransportMessageFrame
from pipecat.serializers.twilio import TwilioFrameSerializer

log = logging.getLogger(__name__)


def mark_message(stream_sid: str, name: str) -> dict[str, Any]:
    return {"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}


class AnbuTwilioSerializer(TwilioFrameSerializer):
    """Twilio Media Streams serializer that surfaces marks and survives junk."""

    def __init__(self, stream_sid: str, call_sid: str) -> None:
        # Anbu hangs up itself, after the last mark; pipecat's hang-up would cut the goodbye.
        super().__init__(
            stream_sid,
            call_sid=call_sid,
            params=TwilioFrameSerializer.InputParams(auto_hang_up=False),
        )
        self.bad_messages = 0

    async def deserialize(self, data: str | bytes) -> Frame | None:
        try:
            message = json.loads(data)
        except (ValueError, TypeError):
            self.bad_messages += 1
            return None
        if not isinstance(message, dict):
            self.bad_messages += 1
            return None
        event = message.get("event")
        if event == "mark":
            mark = message.get("mark")
            name = mark.get("name") if isinstance(mark, dict) else None
            if isinstance(name, str):
                return InputTransportMessageFrame(message={"event": "mark", "name": name})
            self.bad_messages += 1
            return None
        if event == "stop":
            return InputTransportMessageFrame(message={"event": "stop"})
        if event not in ("media", "dtmf"):
            return None
        try:
            return await super().deserialize(data)
        except Exception:  # malformed payloads (bad base64, wrong types) must not end the call
            self.bad_messages += 1
            if self.bad_messages in (1, 100):
                log.warning(
                    "dropping malformed media stream messages (%d so far)", self.bad_messages
                )
            return None
