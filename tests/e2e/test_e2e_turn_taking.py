"""Turn-taking on a live call: a pause mid-sentence, hints for the recogniser, no recording."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from e2e_kit import Live, converse, pause, trimmed

from agent.voice import Voice


async def test_a_pause_mid_answer_is_one_turn_and_hints_reach_the_recogniser(
    live: Live, voice: Voice, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, ...]] = []
    original = voice.recognizer.transcribe_async

    async def spy(audio: bytes, **kwargs: Any) -> Any:
        if kwargs.get("sample_rate") == 16000:  # the server's decodes, not the test's ears
            seen.append(tuple(kwargs.get("hints") or ()))
        return await original(audio, **kwargs)

    say = live.caller.speech
    book, first, rest = await asyncio.gather(
        asyncio.to_thread(say, "I'd like to book a table."),
        asyncio.to_thread(say, "I think we will be"),
        asyncio.to_thread(say, "four people."),
    )
    halting = trimmed(first) + pause(0.3) + trimmed(rest) + pause(0.3)
    monkeypatch.setattr(voice.recognizer, "transcribe_async", spy)
    phone = live.phone()
    async with phone:
        await phone.dial()
        await converse(phone, [book, halting])
        await phone.wait_for_agent_silence(timeout=20)
        await phone.hang_up()
    await live.wait_finalised(phone.call_sid)
    turns = live.turns(phone.call_sid)
    caller = [t.text.lower() for t in turns if t.speaker == "caller"]
    assert len(caller) == 2, caller  # the pause did not cut the answer in two
    assert "think" in caller[1] and ("four" in caller[1] or "4" in caller[1])
    assert "what day" in [t.text.lower() for t in turns if t.speaker == "agent"][-1]

    # Each decode was biased towards the answer the agent had just asked for.
    menu, *party = seen
    assert any("book" in h for h in menu), menu
    assert party and all(p and p != menu for p in party), party
