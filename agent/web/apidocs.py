"""The API's documentation: the OpenAPI schema and a page rendered from it, both behind login.

FastAPI's own ``/docs`` loads Swagger UI from a CDN and runs inline scripts, which the
project's no-CDN rule and the Content-Security-Policy both forbid, so the app turns it off and
this page lists the same operations server-side.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from agent.auth import Operator, PageUser
from agent.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/api/openapi.json")
def openapi_schema(request: Request, user: Operator) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request, user: PageUser) -> HTMLResponse:
    schema: dict[str, Any] = request.app.openapi()
    operations = []
    for path, methods in sorted(schema.get("paths", {}).items()):
        for method, op in methods.items():
            params = [
                (p.get("name", ""), p.get("in", ""), p.get("required", False))
                for p in op.get("parameters", [])
            ]
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": params,
                    "body": "requestBody" in op,
                }
            )
    return render(request, "apidocs.html", user, operations=operations)
