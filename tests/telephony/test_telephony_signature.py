"""Signature computation and the FastAPI guard: only Twilio-signed requests reach the hooks."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from telephony_testkit import TOKEN, RecordingHooks, make_app
from twilio.request_validator import RequestValidator

from telephony.signature import (
    SIGNATURE_HEADER,
    compute_signature,
    is_valid,
    public_url_for,
    sign_request,
    websocket_url_for,
)

# The worked example from Twilio's security documentation.
DOC_TOKEN = "12345"
DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOC_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
DOC_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="

CALL = {
    "AccountSid": "AC" + "0" * 32,
    "CallSid": "CA" + "1" * 32,
    "CallStatus": "ringing",
    "Direction": "inbound",
    "From": "+15550100001",
    "To": "+15550100000",
}


def test_matches_twilios_documented_example() -> None:
    assert compute_signature(DOC_TOKEN, DOC_URL, DOC_PARAMS) == DOC_SIGNATURE
    assert is_valid(DOC_TOKEN, DOC_URL, DOC_PARAMS, DOC_SIGNATURE)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/twilio/voice",
        "https://example.com:8443/twilio/voice?x=1&y=%20",
        "http://127.0.0.1:8000/twilio/status",
    ],
)
@pytest.mark.parametrize(
    "params",
    [{}, CALL, {"B": "2", "A": "1", "Body": "héllo & <you>", "Empty": ""}],
)
def test_agrees_with_twilio_request_validator(url: str, params: dict[str, str]) -> None:
    reference = RequestValidator(TOKEN)
    ours = compute_signature(TOKEN, url, params)
    assert ours == reference.compute_signature(url, params)
    assert reference.validate(url, params, ours)
    assert is_valid(TOKEN, url, params, ours)


def test_repeated_parameter_names_are_sorted_by_value() -> None:
    pairs = [("To", "b"), ("To", "a"), ("From", "x")]
    expected = compute_signature(TOKEN, "https://e.com/", {})  # different payload
    assert compute_signature(TOKEN, "https://e.com/", pairs) != expected
    assert compute_signature(TOKEN, "https://e.com/", pairs) == compute_signature(
        TOKEN, "https://e.com/", [("From", "x"), ("To", "a"), ("To", "b")]
    )


def test_explicit_default_port_variants_are_accepted() -> None:
    signed_with_port = compute_signature(TOKEN, "https://example.com:443/twilio/voice", CALL)
    assert is_valid(TOKEN, "https://example.com/twilio/voice", CALL, signed_with_port)
    signed_without = compute_signature(TOKEN, "https://example.com/twilio/voice", CALL)
    assert is_valid(TOKEN, "https://example.com:443/twilio/voice", CALL, signed_without)


@pytest.mark.parametrize(
    ("token", "url", "params", "signature"),
    [
        ("wrong-token", "https://e.com/twilio/voice", CALL, None),
        (TOKEN, "https://evil.com/twilio/voice", CALL, None),
        (TOKEN, "https://e.com/twilio/voice", {**CALL, "From": "+15550199999"}, None),
        (TOKEN, "https://e.com/twilio/voice", {**CALL, "Extra": "1"}, None),
        (TOKEN, "https://e.com/twilio/voice", CALL, ""),
        ("", "https://e.com/twilio/voice", CALL, None),
    ],
)
def test_rejects_forged_or_tampered(
    token: str, url: str, params: dict[str, str], signature: str | None
) -> None:
    genuine = compute_signature(TOKEN, "https://e.com/twilio/voice", CALL)
    assert not is_valid(token, url, params, genuine if signature is None else signature)


def test_json_body_sha256_form() -> None:
    body = '{"hello": "world"}'
    url = "https://e.com/hook?bodySHA256=" + hashlib.sha256(body.encode()).hexdigest()
    signature = RequestValidator(TOKEN).compute_signature(url, {})
    assert is_valid(TOKEN, url, None, signature, body=body)
    assert RequestValidator(TOKEN).validate(url, body, signature)
    assert not is_valid(TOKEN, url, None, signature, body=body + " ")
    assert not is_valid(TOKEN, "https://e.com/hook", None, signature, body=body)


def test_public_urls() -> None:
    assert public_url_for("https://anbu.example/", "/twilio/voice") == (
        "https://anbu.example/twilio/voice"
    )
    assert public_url_for("https://t.example/prefix", "twilio/voice", "a=1") == (
        "https://t.example/prefix/twilio/voice?a=1"
    )
    assert websocket_url_for("https://anbu.example", "/twilio/media") == (
        "wss://anbu.example/twilio/media"
    )
    assert websocket_url_for("http://127.0.0.1:8000", "/twilio/media") == (
        "ws://127.0.0.1:8000/twilio/media"
    )


# --------------------------------------------------------------------------- the guard

PUBLIC = "https://anbu.example"


async def _post(
    hooks: RecordingHooks, path: str, data: dict[str, str], headers: dict[str, str]
) -> httpx.Response:
    app = make_app(hooks, public_base=PUBLIC)
    transport = httpx.ASGITransport(app=app)
    # The app sees http://internal:8000; the signature covers the public URL.
    async with httpx.AsyncClient(transport=transport, base_url="http://internal:8000") as client:
        return await client.post(path, data=data, headers=headers)


async def test_signed_voice_webhook_is_accepted() -> None:
    hooks = RecordingHooks()
    headers = sign_request(TOKEN, f"{PUBLIC}/twilio/voice", CALL)
    response = await _post(hooks, "/twilio/voice", CALL, headers)
    assert response.status_code == 200
    assert len(hooks.incoming) == 1
    assert hooks.incoming[0][0] == CALL


@pytest.mark.parametrize(
    ("case", "headers", "data"),
    [
        ("missing header", {}, CALL),
        ("forged", {SIGNATURE_HEADER: "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}, CALL),
        (
            "tampered param",
            sign_request(TOKEN, f"{PUBLIC}/twilio/voice", CALL),
            {**CALL, "To": "+1"},
        ),
        ("added param", sign_request(TOKEN, f"{PUBLIC}/twilio/voice", CALL), {**CALL, "X": "1"}),
        ("wrong url", sign_request(TOKEN, "http://internal:8000/twilio/voice", CALL), CALL),
        ("wrong token", sign_request("not-the-token", f"{PUBLIC}/twilio/voice", CALL), CALL),
    ],
)
async def test_unsigned_voice_webhook_is_403_and_hooks_not_called(
    case: str, headers: dict[str, str], data: dict[str, str]
) -> None:
    hooks = RecordingHooks()
    response = await _post(hooks, "/twilio/voice", data, headers)
    assert response.status_code == 403, case
    assert hooks.incoming == []


async def test_status_callback_guarded() -> None:
    hooks = RecordingHooks()
    params = {**CALL, "CallStatus": "completed"}
    bad = await _post(hooks, "/twilio/status", params, {SIGNATURE_HEADER: "nope"})
    assert bad.status_code == 403
    assert hooks.statuses == []
    good = await _post(
        hooks, "/twilio/status", params, sign_request(TOKEN, f"{PUBLIC}/twilio/status", params)
    )
    assert good.status_code == 204
    assert hooks.statuses == [params]


async def test_query_string_is_part_of_the_signed_url() -> None:
    hooks = RecordingHooks()
    headers = sign_request(TOKEN, f"{PUBLIC}/twilio/voice?campaign=7", CALL)
    ok = await _post(hooks, "/twilio/voice?campaign=7", CALL, headers)
    assert ok.status_code == 200
    stripped = await _post(hooks, "/twilio/voice?campaign=8", CALL, headers)
    assert stripped.status_code == 403
