"""A fake Twilio REST API on loopback: records call updates, answers as told.

Only ``POST /2010-04-01/Accounts/{account}/Calls/{sid}.json`` (what ``telephony.rest`` uses).
Each request is recorded with its arrival time, so a test can show the hang-up came after the
phone echoed the last sentence's mark (``TimedPhone.echo_started``).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from e2e_kit import ThreadedServer, loopback_socket
from fastapi import FastAPI, Request, Response

ACCOUNT_SID = "AC" + "e2e" * 10 + "00"
AUTH_TOKEN = "e2e-twilio-auth-token-0123456789"


@dataclass
class Update:
    call_sid: str
    form: dict[str, str]
    at: float  # monotonic clock, when the request arrived
    status: int  # what the fake answered


@dataclass
class FakeTwilio:
    url: str = ""
    updates: list[Update] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # status codes to give first, then 200


def _app(fake: FakeTwilio) -> FastAPI:
    app = FastAPI()

    @app.post("/2010-04-01/Accounts/{account}/Calls/{call_sid}.json")
    async def update(account: str, call_sid: str, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        status = fake.answers.pop(0) if fake.answers else 200
        fake.updates.append(Update(call_sid, form, time.monotonic(), status))
        if account != ACCOUNT_SID:
            return Response('{"code": 20003}', status_code=401, media_type="application/json")
        if status == 404:
            body = '{"code": 20404, "message": "The requested resource was not found"}'
            return Response(body, status_code=404, media_type="application/json")
        body = json.dumps({"sid": call_sid})
        return Response(body, status_code=status, media_type="application/json")

    return app


@contextlib.contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    server = ThreadedServer(_app(fake), loopback_socket(), ws="websockets-sansio")
    fake.url = server.url
    server.start_plain()
    try:
        yield fake
    finally:
        server.stop()
