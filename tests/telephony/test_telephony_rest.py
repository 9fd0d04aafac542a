"""The REST client against a local fake of Twilio's Calls resource."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import httpx
import pytest

from telephony.rest import TwilioCalls, TwilioRestError

SID = "AC" + "a" * 32
TOKEN = "secret"
CALL = "CA" + "b" * 32


class FakeTwilio:
    """Answers ``/Calls/{sid}.json`` from a script of responses, recording every request."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.script = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.script.pop(0) if self.script else httpx.Response(200, json={"sid": CALL})
        if isinstance(item, Exception):
            raise item
        return item

    def form(self, index: int) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.requests[index].content.decode()).items()}


def client(fake: FakeTwilio, base: str = "http://fake-twilio") -> TwilioCalls:
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    return TwilioCalls(SID, TOKEN, base, http, retry_delays=(0, 0, 0))


async def test_hang_up_posts_completed_with_basic_auth() -> None:
    fake = FakeTwilio(httpx.Response(200, json={"sid": CALL, "status": "completed"}))
    assert await client(fake).hang_up(CALL) is True
    request = fake.requests[0]
    assert request.method == "POST"
    assert str(request.url) == f"http://fake-twilio/2010-04-01/Accounts/{SID}/Calls/{CALL}.json"
    expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request.headers["authorization"] == expected
    assert fake.form(0) == {"Status": "completed"}


async def test_hang_up_of_a_call_that_is_gone_returns_false() -> None:
    gone = httpx.Response(404, json={"code": 20404, "message": "not found", "status": 404})
    fake = FakeTwilio(gone)
    assert await client(fake).hang_up(CALL) is False
    assert len(fake.requests) == 1


async def test_hang_up_not_in_progress_returns_false() -> None:
    fake = FakeTwilio(httpx.Response(400, json={"code": 21220, "message": "not in-progress"}))
    assert await client(fake).hang_up(CALL) is False


async def test_hang_up_is_idempotent() -> None:
    fake = FakeTwilio(httpx.Response(200, json={}), httpx.Response(404, json={"code": 20404}))
    calls = client(fake)
    assert await calls.hang_up(CALL) is True
    assert await calls.hang_up(CALL) is False


async def test_retries_transient_errors() -> None:
    fake = FakeTwilio(
        httpx.Response(500),
        httpx.ConnectError("boom"),
        httpx.Response(503),
        httpx.Response(200, json={}),
    )
    assert await client(fake).hang_up(CALL) is True
    assert len(fake.requests) == 4


async def test_gives_up_after_retries() -> None:
    fake = FakeTwilio(*[httpx.Response(502) for _ in range(4)])
    with pytest.raises(TwilioRestError) as error:
        await client(fake).hang_up(CALL)
    assert error.value.status == 502
    assert len(fake.requests) == 4


async def test_network_errors_surface_after_retries() -> None:
    fake = FakeTwilio(*[httpx.ReadTimeout("slow") for _ in range(4)])
    with pytest.raises(httpx.ReadTimeout):
        await client(fake).hang_up(CALL)


async def test_client_errors_are_not_retried() -> None:
    fake = FakeTwilio(httpx.Response(401, json={"code": 20003, "message": "Authenticate"}))
    with pytest.raises(TwilioRestError) as error:
        await client(fake).hang_up(CALL)
    assert (error.value.status, error.value.code) == (401, 20003)
    assert len(fake.requests) == 1


async def test_update_twiml() -> None:
    fake = FakeTwilio()
    document = (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Dial>+15550109999</Dial></Response>'
    )
    assert await client(fake, "http://fake-twilio/").update_twiml(CALL, document) is True
    assert fake.form(0) == {"Twiml": document}
    assert fake.requests[0].url.path == f"/2010-04-01/Accounts/{SID}/Calls/{CALL}.json"


async def test_call_sid_is_escaped_into_the_path() -> None:
    fake = FakeTwilio()
    await client(fake).hang_up("../../Messages")
    assert fake.requests[0].url.raw_path.endswith(b"/Calls/..%2F..%2FMessages.json")


async def test_owns_and_closes_its_http_client() -> None:
    async with TwilioCalls(SID, TOKEN) as calls:
        assert calls.call_url(CALL).startswith("https://api.twilio.com/2010-04-01/")
