"""Placing calls: the :class:`Dialer` protocol and its Twilio REST implementation.

Twilio is reached through the official ``twilio`` library. Its ``Client`` always builds
``https://api.twilio.com/...`` URLs, so a small HTTP client rewrites that origin to
``ANBU_TWILIO_API_BASE``: production keeps the default, tests and local development point it at
a fake. Every call asks for status callbacks (initiated, ringing, answered, completed) and
asynchronous answering-machine detection; the callback URLs carry only the attempt id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

TWILIO_ORIGIN = "https://api.twilio.com"
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]


@dataclass(frozen=True, slots=True)
class DialRequest:
    attempt_id: int
    to: str
    from_: str
    voice_url: str  # TwiML webhook when answered
    status_url: str  # status callbacks
    amd_url: str  # asynchronous answering-machine detection result


class DialError(RuntimeError):
    """The provider refused the call outright (bad number, bad credentials): it never rang."""


@dataclass(frozen=True, slots=True)
class ProviderCall:
    sid: str
    status: str
    start_time: dt.datetime | None = None


class Dialer(Protocol):
    """What the runner needs from a phone provider."""

    def place(self, request: DialRequest) -> str:
        """Start the call; return its provider id (CallSid). DialError if refused."""
        ...

    def fetch(self, call_sid: str) -> ProviderCall | None:
        """The call's current status, or None if the provider does not know it."""
        ...

    def find(self, to: str, since: dt.datetime) -> list[ProviderCall]:
        """Calls to ``to`` started since ``since``: finds a call whose create reply was lost."""
        ...

    def update_twiml(self, call_sid: str, twiml: str) -> bool:
        """Replace what a live call is doing (voicemail message then hang-up)."""
        ...


class _RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """Sends the library's requests to another origin (a fake or a regional proxy)."""

    def __init__(self, api_base: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._base = urlsplit(api_base.rstrip("/"))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == TWILIO_ORIGIN:
            path = self._base.path + parts.path
            url = urlunsplit((self._base.scheme, self._base.netloc, path, parts.query, ""))
        return super().request(method, url, *args, **kwargs)


class TwilioDialer:
    """:class:`Dialer` over Twilio's REST API (blocking: run it in a worker thread)."""

    def __init__(
        self, account_sid: str, auth_token: str, api_base: str = TWILIO_ORIGIN, timeout: float = 15
    ) -> None:
        http = (
            _RebasedHttpClient(api_base, timeout) if api_base.rstrip("/") != TWILIO_ORIGIN else None
        )
        self.client = Client(account_sid, auth_token, http_client=http)

    def place(self, request: DialRequest) -> str:
        try:
            call = self.client.calls.create(
                to=request.to,
                from_=request.from_,
                url=request.voice_url,
                status_callback=request.status_url,
                status_callback_event=STATUS_EVENTS,
                machine_detection="Enable",
                async_amd="true",
                async_amd_status_callback=request.amd_url,
            )
        except TwilioRestException as exc:
            if exc.status in (400, 401, 403, 404):
                raise DialError(
                    f"Twilio refused the call (HTTP {exc.status}, code {exc.code})"
                ) from exc
            raise
        return str(call.sid)

    def fetch(self, call_sid: str) -> ProviderCall | None:
        try:
            call = self.client.calls(call_sid).fetch()
        except TwilioRestException as exc:
            if exc.status == 404:
                return None
            raise
        return ProviderCall(str(call.sid), str(call.status), call.start_time)

    def find(self, to: str, since: dt.datetime) -> list[ProviderCall]:
        calls = self.client.calls.list(to=to, start_time_after=since, limit=50)
        return [ProviderCall(str(c.sid), str(c.status), c.start_time) for c in calls]

    def update_twiml(self, call_sid: str, twiml: str) -> bool:
        try:
            self.client.calls(call_sid).update(twiml=twiml)
        except TwilioRestException as exc:
            if exc.status == 404 or exc.code in (20404, 21220):
                return False
            raise
        return True
