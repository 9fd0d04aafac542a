"""TwiML builders produce well-formed XML with the expected verbs and escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from telephony import twiml


def parse(document: str) -> ET.Element:
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(document)
    assert root.tag == "Response"
    return root


def test_connect_stream_with_parameters() -> None:
    doc = twiml.connect_stream(
        "wss://anbu.example/twilio/media?x=1&y=2",
        {"line": "reservation", "note": 'a "quoted" <tag> & more', "empty": ""},
    )
    root = parse(doc)
    assert [child.tag for child in root] == ["Connect"]
    stream = root.find("./Connect/Stream")
    assert stream is not None
    assert stream.get("url") == "wss://anbu.example/twilio/media?x=1&y=2"
    params = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    assert params == {"line": "reservation", "note": 'a "quoted" <tag> & more', "empty": ""}
    assert "&amp;" in doc and "<tag>" not in doc


def test_connect_stream_without_parameters() -> None:
    stream = parse(twiml.connect_stream("wss://a/b")).find("./Connect/Stream")
    assert stream is not None and stream.findall("Parameter") == []


def test_say_and_hangup_escapes_and_drops_control_characters() -> None:
    root = parse(twiml.say_and_hangup("Tom & Jerry's <b>diner</b>\x00\x07 closed"))
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert root[0].text == "Tom & Jerry's <b>diner</b> closed"


def test_say_voice_and_language() -> None:
    root = parse(twiml.say_and_hangup("Hola", voice="alice", language="es-ES"))
    assert root[0].get("voice") == "alice" and root[0].get("language") == "es-ES"


def test_dial() -> None:
    root = parse(twiml.dial("+15550109999"))
    assert [child.tag for child in root] == ["Dial"]
    assert root[0].text == "+15550109999" and root[0].get("callerId") is None

    root = parse(twiml.dial("+15550109999", caller_id="+15550100000", say_first="One moment."))
    assert [child.tag for child in root] == ["Say", "Dial"]
    assert root[0].text == "One moment."
    assert root[1].get("callerId") == "+15550100000"


def test_hangup_and_reject() -> None:
    assert [c.tag for c in parse(twiml.hangup())] == ["Hangup"]
    reject = parse(twiml.reject())
    assert [c.tag for c in reject] == ["Reject"] and reject[0].get("reason") == "busy"
