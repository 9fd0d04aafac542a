"""Media Streams messages and the µ-law codec."""

from __future__ import annotations

import base64
import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.media import (
    ClearMessage,
    ConnectedMessage,
    DtmfMessage,
    MarkMessage,
    MediaMessage,
    OutboundMarkMessage,
    OutboundMediaMessage,
    ProtocolError,
    StartMessage,
    StopMessage,
    StreamResampler,
    clear_message,
    mark_message,
    media_message,
    mulaw_to_pcm16,
    parse_message,
    parse_outbound_message,
    pcm16_to_mulaw,
    resample,
)

SID = "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"

# Twilio's documented examples (Media Streams "WebSocket Messages" reference).
CONNECTED = '{"event": "connected", "protocol": "Call", "version": "1.0.0"}'
START = """{
  "event": "start",
  "sequenceNumber": "1",
  "start": {
    "accountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "callSid": "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "tracks": [ "inbound" ],
    "mediaFormat": { "encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1 },
    "customParameters": { "FirstName": "Jane", "LastName": "Doe", "RemoteParty": "Bob" }
  },
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
}"""
# The documented payload, split only to fit the line length.
DOC_PAYLOAD = (
    "no+JhoaJjpzSHxAKBgYJDhtEopGKh4aIjZm7JhILBwYIDBc6r5WLh4aHjJa2LRYMBwYHCxIpwJmNiIaH"
    "io+bTBsOCAYGCQ4ZVaWSi4eGiI2YtSkUCwcGCAwXM7OWjIeGh4uUrjAXDQgGBwoRJsmcjoiGh4qOnl4f"
    "DwkGBgkNGEmpk4uHhoiMmLEsFQsHBgcLFi64mI2IhoeLk6s2GQ4IBgcKECLTnY+JhoeJjp1sIg=="
)
MEDIA = """{
  "event": "media",
  "sequenceNumber": "3",
  "media": {
    "track": "outbound",
    "chunk": "1",
    "timestamp": "5",
    "payload": "PAYLOAD"
  },
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
}""".replace("PAYLOAD", DOC_PAYLOAD)
DTMF = """{
  "event": "dtmf",
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
  "sequenceNumber": "5",
  "dtmf": { "track": "inbound_track", "digit": "1" }
}"""
MARK = """{
  "event": "mark",
  "sequenceNumber": "4",
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
  "mark": { "name": "my label" }
}"""
STOP = """{
  "event": "stop",
  "sequenceNumber": "5",
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
  "stop": {
    "accountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "callSid": "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
  }
}"""


def test_documented_messages_parse() -> None:
    connected = parse_message(CONNECTED)
    assert isinstance(connected, ConnectedMessage)
    assert (connected.protocol, connected.version) == ("Call", "1.0.0")

    start = parse_message(START)
    assert isinstance(start, StartMessage)
    assert start.stream_sid == SID
    assert start.call_sid == "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
    assert start.account_sid == "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
    assert start.tracks == ("inbound",)
    assert start.custom_parameters == {"FirstName": "Jane", "LastName": "Doe", "RemoteParty": "Bob"}
    assert start.media_format.sample_rate == 8000
    assert start.media_format.encoding == "audio/x-mulaw"
    assert start.sequence_number == 1

    media = parse_message(MEDIA)
    assert isinstance(media, MediaMessage)
    assert (media.track, media.chunk, media.timestamp, media.sequence_number) == (
        "outbound",
        1,
        5,
        3,
    )
    assert media.audio == base64.b64decode(json.loads(MEDIA)["media"]["payload"])

    dtmf = parse_message(DTMF)
    assert isinstance(dtmf, DtmfMessage) and dtmf.digit == "1"

    mark = parse_message(MARK)
    assert isinstance(mark, MarkMessage) and mark.name == "my label"

    stop = parse_message(STOP)
    assert isinstance(stop, StopMessage)
    assert stop.call_sid == "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"


def test_bytes_input_parses_too() -> None:
    assert isinstance(parse_message(MEDIA.encode()), MediaMessage)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "bad_json"),
        ("not json", "bad_json"),
        ("[1, 2]", "not_an_object"),
        ("null", "not_an_object"),
        ('{"streamSid": "MZ"}', "missing_event"),
        ('{"event": 7}', "missing_event"),
        ('{"event": "bogus"}', "unknown_event"),
        ('{"event": "clear", "streamSid": "MZ"}', "unknown_event"),  # outbound-only
        ('{"event": "media", "streamSid": "MZ"}', "missing_payload"),
        ('{"event": "media", "streamSid": "MZ", "media": "x"}', "missing_payload"),
        ('{"event": "media", "streamSid": "MZ", "media": {"payload": "@@@"}}', "invalid_fields"),
        ('{"event": "media", "streamSid": "MZ", "media": {"payload": 12}}', "invalid_fields"),
        ('{"event": "media", "media": {"payload": ""}}', "invalid_fields"),
        (
            '{"event": "media", "streamSid": "MZ", "media": {"payload": "", "chunk": "x"}}',
            "invalid_fields",
        ),
        ('{"event": "start", "streamSid": "MZ", "start": {}}', "invalid_fields"),
        (
            '{"event": "start", "streamSid": "MZ", "start": {"callSid": "CA", "tracks": 5}}',
            "invalid_fields",
        ),
        ('{"event": "dtmf", "streamSid": "MZ", "dtmf": {"digit": "x"}}', "invalid_fields"),
        ('{"event": "mark", "streamSid": "MZ", "mark": {}}', "invalid_fields"),
        (b"\xff\xfe\x00binary", "not_utf8"),
        ("[" * 100_000 + "]" * 100_000, "bad_json"),
        ('{"event": "media", "x": "' + "a" * 2_000_000 + '"}', "too_large"),
    ],
)
def test_malformed_messages_become_errors(raw: str | bytes, reason: str) -> None:
    result = parse_message(raw)
    assert isinstance(result, ProtocolError)
    assert result.reason == reason


def test_errors_do_not_echo_content() -> None:
    secret = "my card number is 4111"
    result = parse_message(json.dumps({"event": "mark", "streamSid": "MZ", "mark": {"x": secret}}))
    assert isinstance(result, ProtocolError)
    assert secret not in repr(result)


@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_parse_never_raises_on_arbitrary_input(raw: str | bytes) -> None:
    parse_message(raw)
    parse_outbound_message(raw)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@given(
    st.sampled_from(["connected", "start", "media", "dtmf", "mark", "stop", "clear", "x"]),
    st.dictionaries(
        st.sampled_from(["streamSid", "start", "media", "dtmf", "mark", "stop", "sequenceNumber"]),
        json_values,
    ),
)
def test_parse_never_raises_on_wrong_shapes(event: str, fields: dict[str, object]) -> None:
    raw = json.dumps({"event": event, **fields})
    result = parse_message(raw)
    assert result is not None
    parse_outbound_message(raw)


def test_unknown_fields_are_ignored() -> None:
    data = json.loads(MARK)
    data["futureField"] = {"a": 1}
    data["mark"]["alsoNew"] = True
    assert isinstance(parse_message(json.dumps(data)), MarkMessage)


def test_outbound_builders_round_trip() -> None:
    audio = bytes(range(256)) * 2
    media = parse_outbound_message(media_message(SID, audio))
    assert isinstance(media, OutboundMediaMessage)
    assert media.audio == audio and media.stream_sid == SID

    mark = parse_outbound_message(mark_message(SID, "utterance-3 <&>"))
    assert isinstance(mark, OutboundMarkMessage) and mark.name == "utterance-3 <&>"

    clear = parse_outbound_message(clear_message(SID))
    assert isinstance(clear, ClearMessage) and clear.stream_sid == SID

    assert json.loads(clear_message(SID)) == {"event": "clear", "streamSid": SID}
    assert json.loads(mark_message(SID, "m")) == {
        "event": "mark",
        "streamSid": SID,
        "mark": {"name": "m"},
    }


# --------------------------------------------------------------------------- codec


def reference_ulaw_encode(sample: int) -> int:
    """G.711 µ-law, as in the CCITT/Sun reference g711.c that audioop uses."""
    seg_end = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]
    pcm = sample >> 2  # 16-bit to 14-bit
    if pcm < 0:
        pcm, mask = -pcm, 0x7F
    else:
        mask = 0xFF
    pcm = min(pcm, 8159) + 0x21
    seg = next((i for i, end in enumerate(seg_end) if pcm <= end), 8)
    if seg >= 8:
        return 0x7F ^ mask
    return ((seg << 4) | ((pcm >> (seg + 1)) & 0xF)) ^ mask


def reference_ulaw_decode(byte: int) -> int:
    u = ~byte & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return 0x84 - t if u & 0x80 else t - 0x84


ALL_SAMPLES = np.arange(-32768, 32768, dtype="<i2")


def test_encoder_matches_reference_for_every_sample() -> None:
    ours = np.frombuffer(pcm16_to_mulaw(ALL_SAMPLES.tobytes()), dtype=np.uint8)
    expected = np.array([reference_ulaw_encode(int(s)) for s in ALL_SAMPLES], dtype=np.uint8)
    assert np.array_equal(ours, expected)


def test_decoder_matches_reference_for_every_byte() -> None:
    ours = np.frombuffer(mulaw_to_pcm16(bytes(range(256))), dtype="<i2")
    assert ours.tolist() == [reference_ulaw_decode(b) for b in range(256)]


def test_matches_audioop_when_available() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")
    pcm = ALL_SAMPLES.tobytes()
    assert pcm16_to_mulaw(pcm) == audioop.lin2ulaw(pcm, 2)
    assert mulaw_to_pcm16(bytes(range(256))) == audioop.ulaw2lin(bytes(range(256)), 2)


def test_round_trip_error_bounds() -> None:
    decoded = np.frombuffer(mulaw_to_pcm16(pcm16_to_mulaw(ALL_SAMPLES.tobytes())), dtype="<i2")
    error = np.abs(decoded.astype(np.int32) - ALL_SAMPLES.astype(np.int32))
    # µ-law quantisation: step size grows with magnitude (max step 1024 in the top segment);
    # the reconstruction sits mid-step (plus the 2 bits the 14-bit reference drops), and
    # full-scale samples clip at 32124.
    magnitude = np.abs(ALL_SAMPLES.astype(np.int32))
    assert error[magnitude < 32124].max() <= 512 + 4
    relative = error[magnitude > 256] / magnitude[magnitude > 256]
    assert relative.max() < 0.07
    # Decoding then re-encoding is lossless: every code is its own fixed point.
    codes = bytes(range(256))
    assert pcm16_to_mulaw(mulaw_to_pcm16(codes)) == codes.replace(b"\x7f", b"\xff")


def test_silence_is_0xff() -> None:
    assert pcm16_to_mulaw(b"\x00\x00" * 160) == b"\xff" * 160
    assert mulaw_to_pcm16(b"\xff" * 4) == b"\x00\x00" * 4


def test_odd_length_pcm_is_refused() -> None:
    with pytest.raises(ValueError):
        pcm16_to_mulaw(b"\x00\x00\x00")


def _tone(hz: float, rate: int, seconds: float) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * math.pi * hz * t) * 8000).astype("<i2").tobytes()


def _dominant_hz(pcm: bytes, rate: int) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[spectrum.argmax()])


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (16000, 8000), (22050, 8000)])
def test_resample_keeps_length_and_pitch(src: int, dst: int) -> None:
    out = resample(_tone(440, src, 1.0), src, dst)
    assert len(out) // 2 == dst
    assert abs(_dominant_hz(out, dst) - 440) <= 2


def test_resample_identity_and_empty() -> None:
    pcm = _tone(300, 8000, 0.1)
    assert resample(pcm, 8000, 8000) == pcm
    assert resample(b"", 8000, 16000) == b""


def test_stream_resampler_matches_length_and_pitch() -> None:
    pcm = _tone(440, 16000, 1.0)
    resampler = StreamResampler(16000, 8000)
    chunks = [pcm[i : i + 640] for i in range(0, len(pcm), 640)]
    out = b"".join(resampler.process(c) for c in chunks) + resampler.process(b"", last=True)
    assert abs(len(out) // 2 - 8000) <= 2
    assert abs(_dominant_hz(out, 8000) - 440) <= 2
