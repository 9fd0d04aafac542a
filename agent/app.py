"""The web application: Twilio webhooks and media streams, the JSON API, the health check.

Everything heavy (database, scripts, speech models, phrase cache) is created once in the
lifespan, before the server reports healthy; requests and calls only borrow it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from agent import api, campaigns_api, web
from agent.auth import bootstrap_first_admin
from agent.drain import Drain
from agent.metrics import CONTENT_TYPE, Metrics
from agent.outbound import Outbound
from agent.phone import PhoneHooks
from agent.runtime import Runtime
from agent.settings import Settings, get_settings
from agent.voice import Voice
from telephony.lines import LineDirectory
from telephony.rest import TwilioCalls
from telephony.webhooks import twilio_router

log = logging.getLogger(__name__)

#: Routes that answer without an operator login, and why. Everything else needs one.
#: ``/twilio/*`` is signed by Twilio instead; the probes are for the orchestrator; ``/metrics``
#: holds only counts and latencies (nothing personal) and wants ``Authorization: Bearer
#: ANBU_METRICS_TOKEN`` when that setting is set (infra/README.md).
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
PUBLIC_PREFIXES = ("/twilio/",)


def create_app(settings: Settings | None = None, *, voice: Voice | None = None) -> FastAPI:
    """Build the app. ``voice`` may be passed in so tests share one set of loaded models."""
    settings = settings or get_settings()
    state: dict[str, Any] = {"ready": False}
    runtime = Runtime.create(settings)
    lines = LineDirectory.from_text(settings.lines)
    rest = (
        TwilioCalls(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            settings.twilio_api_base,
        )
        if settings.twilio_configured
        else None
    )
    bootstrap_first_admin(runtime.db, settings)
    hooks_box: list[PhoneHooks] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loaded: Voice = (
            voice if voice is not None else await asyncio.to_thread(Voice.load, settings)
        )
        if settings.warm_phrase_cache:
            warmed = await asyncio.to_thread(loaded.warm, runtime)
            log.info("phrase cache warmed with %d sentences", warmed)
        outbound = Outbound.create(runtime, loaded, asyncio.get_running_loop())
        app.state.outbound = outbound
        hooks_box.append(PhoneHooks(runtime, loaded, lines, rest, outbound=outbound))
        hooks_box[0].listeners.append(_count_call)
        app.state.hooks = hooks_box[0]
        state["ready"] = True
        if settings.campaigns_enabled:
            outbound.start()
            # SIGTERM: stop claiming attempts first, then let the calls finish (agent.drain);
            # simulated calls this process placed are waited for too (Outbound.drain).
            app.state.drain.on_drain(outbound.drain)
        try:
            yield
        finally:
            state["ready"] = False
            await asyncio.to_thread(outbound.stop)
            if rest is not None:
                await rest.aclose()

    metrics = Metrics(hooks=lambda: hooks_box[0] if hooks_box else None, db=runtime.db)

    def _count_call(direction: str, outcome: str | None, result: Any) -> None:
        metrics.call_finished(direction=direction, outcome=outcome, result=result)

    # No public /docs, /redoc or /openapi.json: Swagger UI loads from a CDN, and the schema is
    # served behind login at /api/openapi.json (agent.web.apidocs).
    app = FastAPI(
        title="Anbu",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.runtime = runtime
    app.state.metrics = metrics
    # SIGTERM (anbu serve) runs this; the campaign scheduler registers with drain.on_drain.
    app.state.drain = Drain(timeout_s=settings.drain_timeout_secs)

    class _LazyHooks:
        """The router is built before the models load; calls arrive only after."""

        def __getattr__(self, name: str) -> Any:
            if not hooks_box:
                raise RuntimeError("not ready")
            return getattr(hooks_box[0], name)

    app.include_router(
        twilio_router(
            hooks=_LazyHooks(),
            lines=lines,
            auth_token=settings.webhook_token,
            public_base=lambda: settings.public_url,
        )
    )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        ready = state["ready"]
        return JSONResponse({"ready": ready}, status_code=200 if ready else 503)

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        """Readiness: models loaded and taking calls (503 while draining; /healthz stays 200)."""
        ready = state["ready"] and not app.state.drain.draining
        return JSONResponse({"ready": ready}, status_code=200 if ready else 503)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics(request: Request) -> Response:
        token = settings.metrics_token.get_secret_value()
        if token and not secrets.compare_digest(
            request.headers.get("authorization", ""), f"Bearer {token}"
        ):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        body = await asyncio.to_thread(metrics.render)  # the campaign counts query the DB
        return Response(body, media_type=CONTENT_TYPE)

    app.include_router(api.router)
    app.include_router(campaigns_api.router)
    app.include_router(
        campaigns_api.amd_router(settings.webhook_token, lambda: settings.public_url)
    )
    web.install(app, settings)
    return app
