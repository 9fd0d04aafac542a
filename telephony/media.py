"""Twilio Media Streams: the websocket messages, and the audio codec they carry.

A media stream is untrusted network input arriving fifty times a second, so :func:`parse_message`
never raises: anything malformed becomes a :class:`ProtocolError` value that the caller can log
and count while the call carries on. Messages are flattened into small frozen models (Twilio
nests each payload under a key named after the event); audio payloads arrive decoded.

Audio on the wire is 8 kHz mono G.711 µ-law. The codec here is a vectorised table lookup that
reproduces the classic CCITT reference (and so Python's old ``audioop``) bit for bit.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import soxr
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "FRAME_BYTES",
    "MAX_MESSAGE_CHARS",
    "SAMPLE_RATE",
    "ClearMessage",
    "ConnectedMessage",
    "DtmfMessage",
    "InboundMessage",
    "MarkMessage",
    "MediaFormat",
    "MediaMessage",
    "OutboundMarkMessage",
    "OutboundMediaMessage",
    "OutboundMessage",
    "ProtocolError",
    "StartMessage",
    "StopMessage",
    "StreamResampler",
    "clear_message",
    "mark_message",
    "media_message",
    "mulaw_to_pcm16",
    "parse_message",
    "parse_outbound_message",
    "pcm16_to_mulaw",
    "resample",
]

SAMPLE_RATE = 8000
#: One 20 ms frame of µ-law, the size Twilio sends.
FRAME_BYTES = 160
#: Twilio's frames are ~250 characters; anything far larger is refused unparsed.
MAX_MESSAGE_CHARS = 1_000_000

_DTMF_DIGITS = frozenset("0123456789*#ABCDabcd")


# --------------------------------------------------------------------------- messages


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    sequence_number: int | None = Field(default=None, alias="sequenceNumber")


class _StreamMessage(_Message):
    stream_sid: str = Field(alias="streamSid", min_length=1)


class ConnectedMessage(_Message):
    """First message on a stream: Twilio says which protocol it speaks."""

    event: Literal["connected"] = "connected"
    protocol: str = ""
    version: str = ""


class MediaFormat(BaseModel):
    """Encoding of the stream's audio; Twilio only ever sends 8 kHz mono µ-law."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    encoding: str = "audio/x-mulaw"
    sample_rate: int = Field(default=SAMPLE_RATE, alias="sampleRate")
    channels: int = 1


class StartMessage(_StreamMessage):
    """Stream metadata, including the ``<Parameter>``s given in the TwiML."""

    event: Literal["start"] = "start"
    account_sid: str = Field(default="", alias="accountSid")
    call_sid: str = Field(alias="callSid", min_length=1)
    tracks: tuple[str, ...] = ("inbound",)
    custom_parameters: dict[str, str] = Field(default_factory=dict, alias="customParameters")
    media_format: MediaFormat = Field(default_factory=MediaFormat, alias="mediaFormat")

    @field_validator("custom_parameters", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        # Twilio sends strings; tolerate scalar values rather than dropping the whole call.
        if isinstance(value, dict):
            return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
        return value


class MediaMessage(_StreamMessage):
    """One chunk of caller audio; ``audio`` is the decoded µ-law bytes."""

    event: Literal["media"] = "media"
    track: str = "inbound"
    chunk: int = 0
    timestamp: int = 0
    audio: bytes = Field(alias="payload")

    @field_validator("audio", mode="before")
    @classmethod
    def _decode(cls, value: Any) -> bytes:
        return _b64(value)


class DtmfMessage(_StreamMessage):
    """A key the caller pressed."""

    event: Literal["dtmf"] = "dtmf"
    track: str = "inbound_track"
    digit: str = Field(min_length=1, max_length=1)

    @field_validator("digit")
    @classmethod
    def _known_digit(cls, value: str) -> str:
        if value not in _DTMF_DIGITS:
            raise ValueError("not a DTMF digit")
        return value


class MarkMessage(_StreamMessage):
    """Twilio's echo of a mark we sent: the audio queued before it has finished playing."""

    event: Literal["mark"] = "mark"
    name: str


class StopMessage(_StreamMessage):
    """The stream ended (caller hung up, call was ended or redirected)."""

    event: Literal["stop"] = "stop"
    account_sid: str = Field(default="", alias="accountSid")
    call_sid: str = Field(default="", alias="callSid")


class OutboundMediaMessage(_StreamMessage):
    """Audio the application sends for Twilio to play (seen from the phone's side)."""

    event: Literal["media"] = "media"
    audio: bytes = Field(alias="payload")

    @field_validator("audio", mode="before")
    @classmethod
    def _decode(cls, value: Any) -> bytes:
        return _b64(value)


class OutboundMarkMessage(_StreamMessage):
    """A mark the application placed after its queued audio."""

    event: Literal["mark"] = "mark"
    name: str


class ClearMessage(_StreamMessage):
    """The application asks for all queued audio to be dropped (barge-in)."""

    event: Literal["clear"] = "clear"


InboundMessage = (
    ConnectedMessage | StartMessage | MediaMessage | DtmfMessage | MarkMessage | StopMessage
)
OutboundMessage = OutboundMediaMessage | OutboundMarkMessage | ClearMessage


@dataclass(frozen=True, slots=True)
class ProtocolError:
    """Why a websocket message could not be understood; never contains its audio or text."""

    reason: str
    event: str | None = None
    detail: str = ""


def _b64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError("payload must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError("payload is not valid base64") from exc


# Which nested object holds each event's fields, and the model that reads them.
_INBOUND: dict[str, tuple[str | None, type[_Message]]] = {
    "connected": (None, ConnectedMessage),
    "start": ("start", StartMessage),
    "media": ("media", MediaMessage),
    "dtmf": ("dtmf", DtmfMessage),
    "mark": ("mark", MarkMessage),
    "stop": ("stop", StopMessage),
}
_OUTBOUND: dict[str, tuple[str | None, type[_Message]]] = {
    "media": ("media", OutboundMediaMessage),
    "mark": ("mark", OutboundMarkMessage),
    "clear": (None, ClearMessage),
}


def _decode_json(raw: str | bytes) -> dict[str, Any] | ProtocolError:
    if isinstance(raw, bytes | bytearray | memoryview):
        if len(raw) > MAX_MESSAGE_CHARS:
            return ProtocolError("too_large", detail=f"{len(raw)} bytes")
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return ProtocolError("not_utf8")
    if not isinstance(raw, str):
        return ProtocolError("not_text", detail=type(raw).__name__)
    if len(raw) > MAX_MESSAGE_CHARS:
        return ProtocolError("too_large", detail=f"{len(raw)} chars")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return ProtocolError("bad_json")
    if not isinstance(data, dict):
        return ProtocolError("not_an_object", detail=type(data).__name__)
    return data


def _parse(
    raw: str | bytes, models: dict[str, tuple[str | None, type[_Message]]]
) -> _Message | ProtocolError:
    data = _decode_json(raw)
    if isinstance(data, ProtocolError):
        return data
    event = data.get("event")
    if not isinstance(event, str):
        return ProtocolError("missing_event")
    if event not in models:
        return ProtocolError("unknown_event", event=event[:40])
    key, model = models[event]
    fields = dict(data)
    if key is not None:
        nested = data.get(key)
        if not isinstance(nested, dict):
            return ProtocolError("missing_payload", event=event, detail=key)
        # The nested object's fields win, but the envelope's streamSid fills a gap.
        fields.update(nested)
        if "streamSid" in data:
            fields.setdefault("streamSid", data["streamSid"])
    fields["event"] = event
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        where = ",".join(".".join(str(p) for p in err["loc"]) for err in exc.errors()[:3])
        return ProtocolError("invalid_fields", event=event, detail=where)
    except (ValueError, TypeError, RecursionError):
        return ProtocolError("invalid_fields", event=event)


def parse_message(raw: str | bytes) -> InboundMessage | ProtocolError:
    """Parse a message Twilio sends to the application. Never raises."""
    try:
        result = _parse(raw, _INBOUND)
    except Exception as exc:  # last line of defence: the call must not die on a bad frame
        return ProtocolError("internal", detail=type(exc).__name__)
    return result  # type: ignore[return-value]


def parse_outbound_message(raw: str | bytes) -> OutboundMessage | ProtocolError:
    """Parse a message the application sends to Twilio (what the simulated phone receives)."""
    try:
        result = _parse(raw, _OUTBOUND)
    except Exception as exc:
        return ProtocolError("internal", detail=type(exc).__name__)
    return result  # type: ignore[return-value]


def media_message(stream_sid: str, mulaw: bytes) -> str:
    """Audio for Twilio to play to the caller (any length; Twilio queues it)."""
    payload = base64.b64encode(mulaw).decode("ascii")
    return json.dumps({"event": "media", "streamSid": stream_sid, "media": {"payload": payload}})


def mark_message(stream_sid: str, name: str) -> str:
    """A marker Twilio echoes back once everything queued before it has been played."""
    return json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear_message(stream_sid: str) -> str:
    """Drop all queued audio now; Twilio echoes the marks that were still pending."""
    return json.dumps({"event": "clear", "streamSid": stream_sid})


# --------------------------------------------------------------------------- codec

_BIAS = 0x84
_CLIP = 8159
_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF], dtype=np.int32)


@lru_cache(maxsize=1)
def _decode_table() -> np.ndarray:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + _BIAS) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, _BIAS - t, t - _BIAS).astype("<i2")


@lru_cache(maxsize=1)
def _encode_table() -> np.ndarray:
    """µ-law byte for every int16 value, indexed by the sample's unsigned bit pattern."""
    pcm = np.arange(65536, dtype=np.int32)
    pcm = np.where(pcm >= 32768, pcm - 65536, pcm) >> 2  # 14-bit, as the reference does
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(pcm), _CLIP) + (_BIAS >> 2)
    seg = np.searchsorted(_SEG_END, mag, side="left")
    uval = (np.minimum(seg, 7) << 4) | ((mag >> (np.minimum(seg, 7) + 1)) & 0x0F)
    out = np.where(seg >= 8, 0x7F ^ mask, uval ^ mask)
    return out.astype(np.uint8)


def mulaw_to_pcm16(mulaw: bytes) -> bytes:
    """Decode G.711 µ-law to little-endian signed 16-bit PCM (same rate, mono)."""
    pcm: bytes = _decode_table()[np.frombuffer(mulaw, dtype=np.uint8)].tobytes()
    return pcm


def pcm16_to_mulaw(pcm16: bytes) -> bytes:
    """Encode little-endian signed 16-bit PCM to G.711 µ-law; raises on an odd byte count."""
    if len(pcm16) % 2:
        raise ValueError("pcm16 audio must have an even number of bytes")
    encoded: bytes = _encode_table()[np.frombuffer(pcm16, dtype="<u2")].tobytes()
    return encoded


def _samples(pcm16: bytes) -> np.ndarray:
    if len(pcm16) % 2:
        raise ValueError("pcm16 audio must have an even number of bytes")
    return np.frombuffer(pcm16, dtype="<i2")


def resample(pcm16: bytes, from_hz: int, to_hz: int) -> bytes:
    """Resample a whole clip of mono int16 PCM (use :class:`StreamResampler` for streams)."""
    samples = _samples(pcm16)
    if from_hz == to_hz or samples.size == 0:
        return bytes(pcm16)
    out = soxr.resample(samples, from_hz, to_hz, quality="HQ")
    return np.asarray(out, dtype="<i2").tobytes()


class StreamResampler:
    """Resample audio that arrives in chunks without clicks at chunk boundaries.

    Resampling each 20 ms frame on its own restarts the filter every frame; this keeps its state.
    """

    def __init__(self, from_hz: int, to_hz: int) -> None:
        self.from_hz, self.to_hz = from_hz, to_hz
        self._stream = (
            None
            if from_hz == to_hz
            else soxr.ResampleStream(from_hz, to_hz, 1, dtype="int16", quality="HQ")
        )

    def process(self, pcm16: bytes, *, last: bool = False) -> bytes:
        """Feed a chunk; returns whatever output is ready (pass ``last=True`` to flush)."""
        samples = _samples(pcm16)
        if self._stream is None:
            return bytes(pcm16)
        out = self._stream.resample_chunk(samples, last=last)
        return np.asarray(out, dtype="<i2").tobytes()
