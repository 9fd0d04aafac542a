"""Conversational reflexes on a live call: barge-in, keypad input, silence, a dropped line.

Every test drives the real server (real VAD, Whisper and Piper) with the simulated phone and
checks what the database holds afterwards; none asserts timings.
"""

from __future__ import annotations

import asyncio

from conftest import ServeFactory
from e2e_kit import Live, converse


async def _until(predicate: object, timeout: float = 20.0) -> None:
    assert callable(predicate)
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


def _agent_replied(live: Live, call_sid: str) -> bool:
    speakers = [t.speaker for t in live.turns(call_sid)]
    return "caller" in speakers and speakers[-1] == "agent"


async def test_barge_in_clears_the_agent_and_answers_the_caller(live: Live) -> None:
    speech = await asyncio.to_thread(live.caller.speech, "I'd like to book a table please.")
    phone = live.phone()
    async with phone:
        await phone.dial()
        await _until(lambda: phone.counts["media"] > 0)  # the greeting has started
        await asyncio.sleep(1.5)  # ... and is playing: talk over it
        await phone.say(speech, wait=True)
        # The greeting was cut, so the agent is quiet already: wait for its answer to be written.
        await _until(lambda: _agent_replied(live, phone.call_sid))
        await phone.wait_for_agent_silence(timeout=20)
        await phone.hang_up()

    assert phone.counts["clear"] > 0, "the agent kept talking over the caller"
    call = await live.wait_finalised(phone.call_sid)
    turns = live.turns(phone.call_sid)
    caller = [t for t in turns if t.speaker == "caller"]
    assert len(caller) == 1 and "table" in caller[0].text.lower()
    reply = [t for t in turns if t.speaker == "agent" and t.seq > caller[0].seq]
    assert reply and "how many" in reply[0].text.lower()
    assert call.outcome == "abandoned"  # the caller hung up mid-booking


async def test_keypad_books_and_zero_asks_for_a_person(live: Live) -> None:
    phone = live.phone()
    async with phone:
        await phone.dial()
        await converse(phone, ["#1", "#4", "#0"])
        await phone.wait_ended(timeout=30)

    call = await live.wait_finalised(phone.call_sid)
    assert call.outcome == "transferred"
    turns = live.turns(phone.call_sid)
    keys = [(t.kind, t.text) for t in turns if t.speaker == "caller"]
    assert keys == [("dtmf", "1"), ("dtmf", "4"), ("dtmf", "0")]
    agent = [t.text.lower() for t in turns if t.speaker == "agent"]
    assert "how many" in agent[1]
    assert "what day" in agent[2]
    assert "member of our team" in agent[3]


async def test_silence_reprompts_then_ends_politely(serve_app: ServeFactory) -> None:
    with serve_app(silence_timeout_secs=1.5) as live:
        phone = live.phone()
        async with phone:
            await phone.dial()
            await phone.wait_ended(timeout=60)
        assert phone.ended_by == "server"
        call = await live.wait_finalised(phone.call_sid)
        turns = live.turns(phone.call_sid)

    assert call.outcome == "no_input"
    assert call.status == "completed"
    silences = [t for t in turns if t.speaker == "caller"]
    assert [t.kind for t in silences] == ["no_input"] * 3
    agent = [t.text.lower() for t in turns if t.speaker == "agent"]
    assert any("still there" in text for text in agent)
    assert "goodbye" in agent[-1]
    # The goodbye was played to the end: its final mark came back before the line closed.
    assert "anbu-final" in phone.marks_echoed


async def test_dropped_line_keeps_what_was_heard(live: Live) -> None:
    speech = await asyncio.to_thread(
        live.caller.speech, "I'd like to book a table for two people please."
    )
    phone = live.phone()
    async with phone:
        await phone.dial()
        await converse(phone, [speech])
        await _until(lambda: len([t for t in live.turns(phone.call_sid)]) >= 3)
        await phone.drop()  # no `stop`, no close handshake: the socket just dies

    call = await live.wait_finalised(phone.call_sid)
    assert call.status == "completed"
    assert call.outcome == "abandoned"
    assert call.ended_at is not None
    heard = [t for t in live.turns(phone.call_sid) if t.speaker == "caller"]
    assert len(heard) == 1
    assert "table" in heard[0].text.lower()
    assert heard[0].started_at is not None and heard[0].ended_at is not None
    # The server is fine afterwards.
    assert not live.hooks.active
