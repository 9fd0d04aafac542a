"""Twilio request signatures: computing, checking, and guarding FastAPI endpoints with them.

Every webhook and media-stream handshake Anbu accepts is signed by Twilio with the account's auth
token (``X-Twilio-Signature``). Checking it is what stops anyone on the internet from placing fake
calls into the agent, so the checks here fail closed: a missing token, missing header or any
mismatch is a rejection.

Anbu usually runs behind a proxy or tunnel, so the URL Twilio signed is not the URL the process
sees; it is the configured public base (``ANBU_PUBLIC_URL``) plus the request's path and query.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import NoReturn
from urllib.parse import parse_qs, urlsplit, urlunsplit

from fastapi import HTTPException, Request, WebSocket

__all__ = [
    "SIGNATURE_HEADER",
    "Params",
    "compute_signature",
    "is_valid",
    "public_url_for",
    "sign_request",
    "twilio_form_guard",
    "verify_websocket",
    "websocket_url_for",
]

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"

#: POST parameters as a mapping, or as (name, value) pairs when a name repeats.
Params = Mapping[str, str] | Iterable[tuple[str, str]]

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _pairs(params: Params | None) -> list[tuple[str, str]]:
    if params is None:
        return []
    if isinstance(params, Mapping):
        return [(str(k), str(v)) for k, v in params.items()]
    return [(str(k), str(v)) for k, v in params]


def compute_signature(auth_token: str, url: str, params: Params | None = None) -> str:
    """Return Twilio's signature for ``url`` and POST ``params``.

    The signed string is the full URL followed by every parameter's name and value, sorted by name
    (then value, for repeated names, de-duplicated as Twilio's own library does); the signature is
    the base64 HMAC-SHA1 of it keyed with the auth token.
    """
    payload = url + "".join(name + value for name, value in sorted(set(_pairs(params))))
    mac = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def _port_variants(url: str) -> list[str]:
    """The URL as given, without an explicit port and with the scheme's default port.

    Twilio's signing is inconsistent about default ports, so its own validator accepts both forms.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    try:
        port = parts.port
    except ValueError:
        return [url]
    default = _DEFAULT_PORTS.get(parts.scheme.lower())
    variants = [url]
    without = urlunsplit(parts._replace(netloc=prefix + host))
    variants.append(without)
    if port is None and default is not None:
        variants.append(urlunsplit(parts._replace(netloc=f"{prefix}{host}:{default}")))
    return list(dict.fromkeys(variants))


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def is_valid(
    auth_token: str,
    url: str,
    params: Params | None,
    signature: str | None,
    *,
    body: str | bytes | None = None,
) -> bool:
    """Check ``signature`` against the request Twilio made to ``url``.

    Accepts the URL with and without an explicit default port. For JSON-bodied webhooks Twilio
    signs the URL only and adds a ``bodySHA256`` query parameter; pass the raw ``body`` and no
    params for those. Comparisons are constant-time. An empty token or signature never validates.
    """
    if not auth_token or not signature:
        return False
    pairs = _pairs(params)
    body_ok = True
    if body is not None:
        expected = parse_qs(urlsplit(url).query).get("bodySHA256")
        if not expected:
            return False
        raw = body.encode("utf-8") if isinstance(body, str) else body
        body_ok = _same(hashlib.sha256(raw).hexdigest(), expected[0])
        pairs = []
    matched = False
    for candidate in _port_variants(url):
        # No short-circuit: every variant is checked, so timing does not reveal which one matched.
        matched |= _same(compute_signature(auth_token, candidate, pairs), signature)
    return body_ok and matched


def sign_request(auth_token: str, url: str, params: Params | None = None) -> dict[str, str]:
    """Headers that make a request to ``url`` with ``params`` look signed by Twilio.

    Used by the simulated phone and tests; Anbu itself never needs to sign anything.
    """
    return {SIGNATURE_HEADER: compute_signature(auth_token, url, params)}


def public_url_for(public_base: str, path: str, query: str = "") -> str:
    """The URL Twilio called: the public base (which may carry a path prefix) + path (+ query)."""
    url = public_base.rstrip("/") + "/" + path.lstrip("/")
    return f"{url}?{query}" if query else url


def websocket_url_for(public_base: str, path: str, query: str = "") -> str:
    """The ``ws(s)://`` form of :func:`public_url_for`, as used in ``<Stream url>``."""
    url = public_url_for(public_base, path, query)
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme.lower(), parts.scheme)
    return urlunsplit(parts._replace(scheme=scheme))


def twilio_form_guard(
    get_token: Callable[[], str], get_public_base: Callable[[], str]
) -> Callable[[Request], Awaitable[dict[str, str]]]:
    """Build a FastAPI dependency that admits only Twilio-signed form posts.

    The dependency returns the form fields as a plain dict; anything unsigned, forged or altered
    is answered with 403 before any handler code runs. Token and public base are read per request
    so settings changes and tests need no re-wiring.
    """

    async def guard(request: Request) -> dict[str, str]:
        form = await request.form()
        pairs: list[tuple[str, str]] = []
        for name, value in form.multi_items():
            if not isinstance(value, str):  # Twilio never uploads files
                _reject(request.url.path, "file upload")
            pairs.append((name, value))
        url = public_url_for(get_public_base(), request.url.path, request.url.query)
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            _reject(request.url.path, "missing signature")
        if not is_valid(get_token(), url, pairs, signature):
            _reject(request.url.path, "bad signature")
        return dict(pairs)

    return guard


def _reject(path: str, why: str) -> NoReturn:
    log.warning("rejected unsigned Twilio request to %s: %s", path, why)
    raise HTTPException(status_code=403, detail="invalid Twilio signature")


def verify_websocket(websocket: WebSocket, token: str, public_base: str) -> bool:
    """Check the signature on a media-stream upgrade request.

    Twilio signs the ``<Stream url>`` exactly (``wss://…``, with its query string, no params).
    The ``https://`` spelling of the same URL is accepted too: it proves the same secret.
    """
    signature = websocket.headers.get(SIGNATURE_HEADER)
    path, query = websocket.url.path, websocket.url.query
    candidates = {
        websocket_url_for(public_base, path, query),
        public_url_for(public_base, path, query),
    }
    ok = False
    for url in sorted(candidates):
        ok |= is_valid(token, url, None, signature)
    if not ok:
        log.warning("rejected unsigned Twilio media stream to %s", path)
    return ok
