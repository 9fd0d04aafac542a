"""Every route needs a login except a short, justified list: walked from the route table.

A new route is covered automatically: it must answer 401 (API) or redirect to the login page
(pages) when called with no credentials, or be added to PUBLIC below with a reason.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route, WebSocketRoute

PUBLIC = {
    # Twilio webhooks and media streams: authenticated by Twilio's request signature instead.
    r"^/twilio/": "Twilio-signed",
    r"^/api/twilio/": "Twilio-signed (answering-machine detection callback)",
    # Probes for the orchestrator: they say only whether the process is up and ready.
    r"^/healthz$": "health check",
    r"^/readyz$": "readiness probe",
    # Counts and latencies only (no personal data); optionally token-protected (infra).
    r"^/metrics$": "Prometheus metrics",
    # The login form itself.
    r"^/login$": "login page",
}
STATIC = "/static"  # package CSS: no data, and the login page needs it before anyone logs in


def _is_public(path: str) -> bool:
    return any(re.search(pattern, path) for pattern in PUBLIC)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_requires_login(app: FastAPI, client: TestClient) -> None:
    checked = api_routes = 0
    # FastAPI includes routers lazily: iter_route_contexts flattens them with their prefixes.
    for ctx in iter_route_contexts(app.routes):
        route, path = ctx.original_route, ctx.path or ""
        if isinstance(route, Mount):
            assert path == STATIC, f"unexpected mount {path}"
            continue
        if isinstance(route, APIWebSocketRoute | WebSocketRoute):
            assert _is_public(path), f"websocket {path} outside the Twilio routes"
            continue
        assert isinstance(route, APIRoute | Route), route
        if _is_public(path):
            continue
        for method in sorted(ctx.methods or {"GET"}):
            if method == "HEAD":
                continue
            response = client.request(method, _concrete(path))
            # JSON routes answer 401; pages (``/api/docs`` included) send a browser to log in.
            if response.status_code == 401:
                assert response.headers["www-authenticate"] == "Basic"
                api_routes += 1
            else:
                assert response.status_code == 303, (method, path, response.status_code)
                assert response.headers["location"].startswith("/login")
                assert path == "/api/docs" or not path.startswith("/api/"), path
            checked += 1
    assert checked >= 25 and api_routes >= 10  # the table really was walked


def test_public_routes_are_only_the_listed_ones(app: FastAPI) -> None:
    paths = {ctx.path or "" for ctx in iter_route_contexts(app.routes)}
    public = {p for p in paths if _is_public(p)}
    assert {"/healthz", "/login"} <= public
    assert any(p.startswith("/twilio/") for p in public)


def test_default_docs_are_not_public(client: TestClient) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404
    assert client.get("/api/openapi.json").status_code == 401


def test_static_assets_hold_no_data(client: TestClient) -> None:
    css = client.get("/static/app.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
