"""Two ``anbu serve`` worker processes on one PostgreSQL database, serving phone calls at once;
then one of them is sent SIGTERM in the middle of a call and drains.

The tests of this module share the cluster and run in file order: the last one stops worker
``a``. Every record the workers logged is scanned at the end for what must never be logged.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest
from cluster_kit import (
    AUTH_TOKEN,
    LINE_NUMBER,
    Worker,
    converse,
    free_port,
    metric_value,
    wait_for,
    worker_env,
)
from sqlalchemy import Engine
from sqlmodel import select

from agent.simcall import Caller
from asr.recognizer import shared_recognizer
from store import calls as call_store
from store import make_engine
from store.db import new_session
from store.models import Call, Reservation, Turn
from telephony.signature import sign_request
from tts.synthesizer import shared_synthesizer

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

CALLERS = {"a": "+15550142001", "b": "+15550142002", "drain": "+15550142003"}
BOOKINGS = {
    "a": [
        "I'd like to book a table for four tomorrow at seven thirty.",
        "It's John Smith.",
        "Yes please.",
        "No thanks.",
    ],
    "b": [
        "Can I get a table for two tomorrow at eight?",
        "The name is Maria Garcia.",
        "Yes, that's right.",
        "No, that's everything.",
    ],
}
PARTY = {"a": 4, "b": 2}


class Cluster:
    def __init__(self, workers: dict[str, Worker], db: Engine, caller: Caller) -> None:
        self.workers, self.db, self.caller = workers, db, caller
        self.call_sids: dict[str, str] = {}
        self.said: list[str] = []  # every line a caller spoke, for the log scan

    def speech(self, lines: list[str]) -> list[bytes]:
        self.said += lines
        return [self.caller.speech(line) for line in lines]

    def call(self, call_sid: str) -> Call | None:
        with new_session(self.db) as s:
            return call_store.get_call(s, call_sid)

    def turns(self, call_sid: str) -> list[Turn]:
        with new_session(self.db) as s:
            call = call_store.get_call(s, call_sid)
            return [] if call is None or call.id is None else call_store.list_turns(s, call.id)

    def reservations(self) -> list[Reservation]:
        with new_session(self.db) as s:
            return list(s.exec(select(Reservation)))

    async def finalised(self, call_sid: str, timeout: float = 30) -> Call:
        await wait_for(
            lambda: (c := self.call(call_sid)) is not None and c.ended_at is not None,
            timeout=timeout,
            what=f"call {call_sid} to be closed",
        )
        found = self.call(call_sid)
        assert found is not None
        return found


@pytest.fixture(scope="module")
def cluster(pg_server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:  # type: ignore[no-untyped-def]
    """Workers ``a`` and ``b`` on a fresh database. ``a`` redirects calls to ``b`` while it
    drains, as a worker redirects to the cluster's public URL."""
    db_url = pg_server.create_database()
    root = tmp_path_factory.mktemp("cluster")
    ports = {"a": free_port(), "b": free_port()}
    extra = {"a": {"ANBU_DRAIN_REDIRECT_URL": f"http://127.0.0.1:{ports['b']}/twilio/voice"}}
    workers = {
        name: Worker(
            name=name,
            port=port,
            data_dir=root / name,
            log_path=root / f"{name}.log",
            env=worker_env(root / name, port, db_url, **extra.get(name, {})),
        )
        for name, port in ports.items()
    }
    db = make_engine(db_url)
    try:
        # One after the other: two first starts at once still race on creating the first admin
        # user (agent.auth.bootstrap_first_admin). Concurrent migrations are covered by
        # test_upgrade_concurrently.
        for worker in workers.values():
            worker.start()
            worker.wait_ready()
        caller = Caller(shared_synthesizer(), shared_recognizer())
        yield Cluster(workers, db, caller)
    finally:
        for worker in workers.values():
            worker.stop()
        db.dispose()
        pg_server.drop_database(db_url)


async def _book(cluster: Cluster, name: str) -> str:
    worker = cluster.workers[name]
    speech = await asyncio.to_thread(cluster.speech, BOOKINGS[name])
    phone = worker.phone(CALLERS[name])
    async with phone:
        await phone.dial()
        await converse(phone, speech)
        await phone.wait_ended(timeout=60)
    assert phone.ended_by == "server", f"{name}: the agent did not hang up after its goodbye"
    cluster.call_sids[name] = phone.call_sid
    return phone.call_sid


async def test_two_workers_serve_calls_at_once_on_one_database(cluster: Cluster) -> None:
    sids = dict(
        zip("ab", await asyncio.gather(_book(cluster, "a"), _book(cluster, "b")), strict=True)
    )

    bookings = {r.call_id: r for r in cluster.reservations()}
    said = {n: [(t.speaker, t.text) for t in cluster.turns(sid)] for n, sid in sids.items()}
    assert len(bookings) == 2, said
    for name, sid in sids.items():
        call = await cluster.finalised(sid)
        assert (call.status, call.outcome, call.direction) == ("completed", "completed", "inbound")
        turns = cluster.turns(sid)
        assert [t.speaker for t in turns if t.speaker == "caller"] == ["caller"] * 4
        assert turns[0].speaker == "agent" and turns[-1].speaker == "agent"
        assert [t.seq for t in turns] == sorted(t.seq for t in turns)
        booking = bookings[call.id]
        assert booking.party_size == PARTY[name] and booking.status == "booked"

    # Each worker counted the call it served, and only that one.
    for worker in cluster.workers.values():
        exposition = worker.metrics()
        labels = {"direction": "inbound", "outcome": "completed"}
        assert metric_value(exposition, "anbu_calls_total", labels) == 1
        assert metric_value(exposition, "anbu_response_latency_seconds_count") >= 4
        assert metric_value(exposition, "anbu_active_calls") == 0
        assert metric_value(exposition, "anbu_accepting_calls") == 1


async def test_metrics_need_the_bearer_token(cluster: Cluster) -> None:
    async with httpx.AsyncClient(base_url=cluster.workers["b"].url) as http:
        anonymous = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert anonymous.status_code == 401 and wrong.status_code == 401


async def test_sigterm_mid_call_finishes_the_call_then_exits_0(cluster: Cluster) -> None:
    a, b = cluster.workers["a"], cluster.workers["b"]
    lines = [
        "A table for three tomorrow at six please.",
        "It's under Lee.",
        "Yes please.",
        "No thank you.",
    ]
    speech = await asyncio.to_thread(cluster.speech, lines)
    phone = a.phone(CALLERS["drain"])
    async with phone, httpx.AsyncClient() as http:
        await phone.dial()
        await converse(phone, speech[:1])
        await phone.wait_for_agent_silence(quiet_s=0.8, timeout=40)
        a.terminate()  # mid-call: the caller has not given a name yet

        async def readyz() -> int:
            return (await http.get(a.url + "/readyz")).status_code

        # Out of rotation, still alive.
        for _ in range(100):
            if await readyz() == 503:
                break
            await asyncio.sleep(0.1)
        assert await readyz() == 503
        assert (await http.get(a.url + "/healthz")).status_code == 200

        # A new call reaching the draining worker is redirected to the rest of the cluster…
        params = {"CallSid": "CA" + "d" * 32, "From": "+15550142004", "To": LINE_NUMBER}
        params |= {"AccountSid": "AC" + "0" * 32, "CallStatus": "ringing", "Direction": "inbound"}
        voice = await http.post(
            a.url + "/twilio/voice",
            data=params,
            headers=sign_request(AUTH_TOKEN, a.url + "/twilio/voice", params),
        )
        assert voice.status_code == 200
        redirect = re.search(r"<Redirect[^>]*>([^<]+)</Redirect>", voice.text)
        assert redirect is not None, voice.text
        assert redirect.group(1) == b.url + "/twilio/voice"
        assert "<Connect" not in voice.text
        # …where it is answered (Twilio signs the redirected request for the new URL).
        followed = await http.post(
            redirect.group(1),
            data=params,
            headers=sign_request(AUTH_TOKEN, redirect.group(1), params),
        )
        assert "<Connect><Stream" in followed.text.replace("\n", "")

        # The call in progress goes on to its goodbye on the draining worker.
        await converse(phone, speech[1:])
        await phone.wait_ended(timeout=60)
    assert phone.ended_by == "server"

    assert a.proc is not None
    assert await asyncio.to_thread(a.proc.wait, 60) == 0
    call = await cluster.finalised(phone.call_sid)
    assert (call.status, call.outcome) == ("completed", "completed")
    # Four lines said (the checks above took long enough for a silence re-prompt: an empty turn).
    assert len([t for t in cluster.turns(phone.call_sid) if t.speaker == "caller" and t.text]) == 4
    assert any(r.call_id == call.id and r.party_size == 3 for r in cluster.reservations())
    assert "draining" in a.output() and "drained: no calls in progress" in a.output()
    cluster.call_sids["drain"] = phone.call_sid


def test_logs_are_json_with_call_ids_and_nothing_personal(cluster: Cluster) -> None:
    """Scan every record both workers wrote: JSON, tagged with the call, and free of what the
    callers said, what the agent said back, and phone numbers."""
    assert set(cluster.call_sids) == {"a", "b", "drain"}, "run the whole module"
    spoken: list[str] = list(cluster.said)
    for sid in cluster.call_sids.values():
        spoken += [t.text for t in cluster.turns(sid) if t.text]
    names = [r.name for r in cluster.reservations()]
    numbers = [*CALLERS.values(), "+15550142004", LINE_NUMBER]
    numbers += [n.removeprefix("+") for n in numbers]

    records = [r for w in cluster.workers.values() for r in w.records()]
    assert records
    assert {"ts", "level", "logger", "msg"} <= set().union(*(r.keys() for r in records))
    tagged = {r.get("call_sid") for r in records} - {None}
    assert set(cluster.call_sids.values()) <= tagged, "records of each call carry its call_sid"

    everything = "\n".join(str(r) for r in records).lower()
    # Lines of a few characters ("Yes.") could match innocent words; every call has long ones.
    for text in (t for t in spoken if len(t) >= 12):
        assert text.lower() not in everything, f"logged what was said: {text!r}"
    for name in names:
        assert not re.search(rf"\b{re.escape(name.lower())}\b", everything), "logged a name"
    for number in numbers:
        assert number not in everything, "logged a phone number"
