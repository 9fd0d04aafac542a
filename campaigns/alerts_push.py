"""Urgent alerts pushed to the care team's webhook, signed, retried with backoff, durably.

Every urgent alert gets one ``webhook_delivery`` row (unique per alert, so two processes queue
it once). A delivery is due at ``next_try_at``; a failure moves that on exponentially up to
``max_tries``. The receiver checks ``X-Anbu-Signature: sha256=<hex HMAC-SHA256(secret,
"<timestamp>.<body>")>`` and rejects stale ``X-Anbu-Timestamp`` values, which stops forgery and
replay. The body carries the alert's reason (the receiver is the care team) but never a phone
number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from store.db import session_scope
from store.models import Alert, WebhookDelivery, metadata

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Anbu-Signature"
TIMESTAMP_HEADER = "X-Anbu-Timestamp"
#: Alerts older than this when first seen (e.g. enabling the webhook on an old database) are
#: not pushed: the care team has them in the operator pages already.
LOOKBACK = dt.timedelta(hours=24)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (and what the tests use)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass
class AlertPusher:
    db: Engine
    url: str
    secret: str
    now: Callable[[], dt.datetime]
    post: Callable[[str, bytes, dict[str, str]], int] | None = None
    base_delay_s: float = 5.0
    max_delay_s: float = 600.0
    max_tries: int = 10

    def queue_new(self) -> int:
        """Queue every recent urgent alert that has no delivery yet; returns how many."""
        now = self.now()
        queued = 0
        with session_scope(self.db) as s:
            query = (
                select(Alert.id)
                .outerjoin(WebhookDelivery, col(WebhookDelivery.alert_id) == col(Alert.id))
                .where(
                    Alert.severity == "urgent",
                    col(WebhookDelivery.id).is_(None),
                    col(Alert.created_at) >= now - LOOKBACK,
                )
            )
            ids = [i for i in s.exec(query) if i is not None]
            table = metadata.tables["webhook_delivery"]
            pg = s.get_bind().dialect.name == "postgresql"
            insert: Any = postgresql.insert if pg else sqlite.insert
            for alert_id in ids:
                statement = (
                    insert(table)
                    .values(
                        alert_id=alert_id,
                        status="pending",
                        tries=0,
                        next_try_at=now,
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["alert_id"])
                    .returning(table.c.id)
                )
                queued += s.execute(statement).first() is not None
        return queued

    def deliver_due(self) -> int:
        """Try every due delivery once; returns how many were delivered."""
        now = self.now()
        with session_scope(self.db) as s:
            query = select(WebhookDelivery.id).where(
                WebhookDelivery.status == "pending", col(WebhookDelivery.next_try_at) <= now
            )
            ids = [i for i in s.exec(query) if i is not None]
        return sum(self._deliver(i) for i in ids)

    def run_once(self) -> int:
        self.queue_new()
        return self.deliver_due()

    def _deliver(self, delivery_id: int) -> bool:
        with session_scope(self.db) as s:
            delivery = s.get(WebhookDelivery, delivery_id, with_for_update=_pg(s))
            if delivery is None or delivery.status != "pending":
                return False
            if delivery.next_try_at > self.now():
                return False
            alert = s.get(Alert, delivery.alert_id)
            assert alert is not None
            body = json.dumps(_payload(alert), separators=(",", ":")).encode()
            # Claim the try before sending: a crash then at worst delays, never floods.
            delivery.tries += 1
            delivery.next_try_at = self.now() + self._backoff(delivery.tries)
            s.add(delivery)
        timestamp = str(int(self.now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.secret, timestamp, body),
        }
        error: str | None = None
        try:
            status = (self.post or _http_post)(self.url, body, headers)
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        with session_scope(self.db) as s:
            delivery = s.get(WebhookDelivery, delivery_id)
            assert delivery is not None
            if error is None:
                delivery.status, delivery.delivered_at = "delivered", self.now()
            else:
                delivery.last_error = error
                if delivery.tries >= self.max_tries:
                    delivery.status = "failed"
                log.warning("alert webhook try %d failed: %s", delivery.tries, error)
            s.add(delivery)
        return error is None

    def _backoff(self, tries: int) -> dt.timedelta:
        return dt.timedelta(seconds=min(self.base_delay_s * 2 ** (tries - 1), self.max_delay_s))


def _pg(s: Any) -> bool:
    return bool(s.get_bind().dialect.name == "postgresql")


def _payload(alert: Alert) -> dict[str, Any]:
    return {
        "alert_id": alert.id,
        "severity": alert.severity,
        "reason": alert.reason,
        "detail": alert.detail,
        "person_id": alert.person_id,
        "call_id": alert.call_id,
        "created_at": alert.created_at.isoformat(),
    }


def _http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    return httpx.post(url, content=body, headers=headers, timeout=10).status_code
