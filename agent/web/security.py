"""Response headers every page and API answer carries, and the sliding session refresh.

A pure ASGI middleware (not ``BaseHTTPMiddleware``) so that streamed responses (recordings,
CSV) pass through untouched and websockets (media streams) are not involved at all.

The Content-Security-Policy allows only this origin's scripts and styles and no inline code:
transcripts are caller-controlled text, so even if escaping ever failed an injected script
would not run.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.auth import SESSION_COOKIE

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if scope["path"].startswith(("/api/", "/calls", "/people", "/alerts")):
                    headers.setdefault("cache-control", "no-store")  # health data: no caching
                state: dict[str, Any] = scope.get("state") or {}
                refreshed = state.get("refreshed_session")
                setting = [v for v in headers.getlist("set-cookie") if v.startswith(SESSION_COOKIE)]
                if refreshed and not setting:  # login/logout set their own cookie
                    flags = "; HttpOnly; SameSite=Strict; Path=/"
                    flags += "; Secure" if self.secure_cookies else ""
                    headers.append("set-cookie", f"{SESSION_COOKIE}={refreshed}{flags}")
            await send(message)

        await self.app(scope, receive, send_with_headers)
