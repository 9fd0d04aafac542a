"""The few Twilio REST calls a live call needs: ending it, and redirecting it to new TwiML.

Deliberately not the full Twilio SDK: that client is synchronous, and a blocking HTTP request
inside the media loop would stall everyone's audio. The base URL is configurable
(``ANBU_TWILIO_API_BASE``) so that tests and local development can point it at a fake.

Both operations are idempotent from the caller's point of view: a call that has already ended is
reported as ``False`` rather than an error, because the caller hanging up first is normal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from types import TracebackType
from urllib.parse import quote

import httpx

__all__ = ["DEFAULT_API_BASE", "TwilioCalls", "TwilioRestError"]

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.twilio.com"

#: Twilio error codes meaning "that call is not live any more".
_CALL_GONE_CODES = frozenset({20404, 21220})
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class TwilioRestError(RuntimeError):
    """Twilio refused a request for a reason retrying will not fix (bad credentials, bad TwiML)."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"Twilio API error {status} (code {code}): {message}")
        self.status = status
        self.code = code


class TwilioCalls:
    """Async client for updating live calls (``/Calls/{CallSid}.json``)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base: str = DEFAULT_API_BASE,
        http: httpx.AsyncClient | None = None,
        *,
        retry_delays: Sequence[float] = (0.25, 0.5, 1.0),
        timeout: float = 10.0,
    ) -> None:
        self._account_sid = account_sid
        self._auth = httpx.BasicAuth(account_sid, auth_token)
        self._api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._retry_delays = tuple(retry_delays)

    async def __aenter__(self) -> TwilioCalls:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http:
            await self._http.aclose()

    def call_url(self, call_sid: str) -> str:
        account = quote(self._account_sid, safe="")
        call = quote(call_sid, safe="")
        return f"{self._api_base}/2010-04-01/Accounts/{account}/Calls/{call}.json"

    async def hang_up(self, call_sid: str) -> bool:
        """End the call. True if Twilio ended it now, False if it had already gone."""
        return await self._update(call_sid, {"Status": "completed"}, "hang up")

    async def update_twiml(self, call_sid: str, twiml: str) -> bool:
        """Replace what the call is doing with ``twiml`` (e.g. ``<Dial>`` for a hand-over).

        True if Twilio accepted it, False if the call had already ended.
        """
        return await self._update(call_sid, {"Twiml": twiml}, "update")

    async def _update(self, call_sid: str, data: dict[str, str], what: str) -> bool:
        url = self.call_url(call_sid)
        attempts = len(self._retry_delays) + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self._http.post(url, data=data, auth=self._auth)
            except httpx.TransportError as exc:
                if last:
                    raise
                log.warning("Twilio %s %s: %s; retrying", what, call_sid, type(exc).__name__)
            else:
                if response.is_success:
                    return True
                code = _error_code(response)
                if response.status_code == 404 or code in _CALL_GONE_CODES:
                    log.info("Twilio %s %s: call already ended", what, call_sid)
                    return False
                if response.status_code not in _RETRY_STATUS or last:
                    raise TwilioRestError(response.status_code, code, _error_message(response))
                log.warning("Twilio %s %s: HTTP %s; retrying", what, call_sid, response.status_code)
            await asyncio.sleep(self._retry_delays[attempt])
        raise AssertionError("unreachable")  # pragma: no cover


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_code(response: httpx.Response) -> int | None:
    code = _json(response).get("code")
    return code if isinstance(code, int) else None


def _error_message(response: httpx.Response) -> str:
    message = _json(response).get("message")
    return message if isinstance(message, str) else response.reason_phrase
