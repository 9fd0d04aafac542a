"""One log format for the whole process: Anbu's stdlib logging, uvicorn's, and pipecat's loguru.

In production (``ANBU_LOG_FORMAT=json``) every record is one JSON object per line on stderr, with
the call it belongs to (``call_sid``, ``call_id``) taken from context variables that
:func:`bind_call` sets when a media stream starts. asyncio tasks and ``asyncio.to_thread`` copy
the context, so records from the pipeline's tasks and worker threads carry the call too.

What never reaches a log: what callers said, their health answers, phone numbers. Anbu's own
code does not log them; pipecat logs spoken text only at DEBUG, so loguru is held at INFO or
above; and as a last guard every rendered record has anything shaped like a phone number
(E.164, or 10+ digits with separators) replaced by ``[redacted]``. ``tests/infra`` runs calls
and scans every record emitted.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = ["bind_call", "configure_logging", "current_call", "redact", "set_call_id"]

_call_sid: contextvars.ContextVar[str | None] = contextvars.ContextVar("call_sid", default=None)
_call_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("call_id", default=None)

# "+15550100777", "555-010-0777", "(555) 010 0777", "0044 20 7946 0958": 10 or more digits with
# the usual separators, or any "+" followed by 7 or more. Call SIDs (CA + 32 hex) are not
# matched: the digits run together with letters (no word boundary inside them).
_PHONE = re.compile(r"(?<![\w+])(?:\+\d[\d\s().-]{6,}\d|\(?\d[\d\s().-]{8,}\d)(?![\w])")
REDACTED = "[redacted]"

_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(call)s: %(message)s"


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _replace(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(c.isdigit() for c in found)
    if _DATE.match(found) or digits < (8 if found.startswith("+") else 10):
        return found  # a date or a short number, not a phone number
    return REDACTED


def redact(text: str) -> str:
    """``text`` with anything shaped like a phone number replaced."""
    return _PHONE.sub(_replace, text)


def current_call() -> dict[str, Any]:
    """The call the running code works for, as log fields (empty outside a call)."""
    fields: dict[str, Any] = {}
    sid, call_id = _call_sid.get(), _call_id.get()
    if sid is not None:
        fields["call_sid"] = sid
    if call_id is not None:
        fields["call_id"] = call_id
    return fields


@contextmanager
def bind_call(call_sid: str, call_id: int | None = None) -> Iterator[None]:
    """Within the block (and tasks and threads started from it), records name this call."""
    sid_token = _call_sid.set(call_sid)
    id_token = _call_id.set(call_id)
    try:
        yield
    finally:
        _call_id.reset(id_token)
        _call_sid.reset(sid_token)


def set_call_id(call_id: int | None) -> None:
    """Add the database id to the call bound by the enclosing :func:`bind_call`."""
    _call_id.set(call_id)


def _json_line(
    *,
    when: dt.datetime,
    level: str,
    logger: str,
    message: str,
    exc_text: str | None,
    fields: dict[str, Any],
) -> str:
    record: dict[str, Any] = {
        "ts": when.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "logger": logger,
        "msg": redact(message),
        **fields,
    }
    if exc_text:
        record["exc"] = redact(exc_text)
    return json.dumps(record, ensure_ascii=False, default=str)


class JsonFormatter(logging.Formatter):
    """stdlib records as JSON lines (see the module docstring for the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        exc_text = self.formatException(record.exc_info) if record.exc_info else None
        return _json_line(
            when=dt.datetime.fromtimestamp(record.created, dt.UTC),
            level=record.levelname,
            logger=record.name,
            message=record.getMessage(),
            exc_text=exc_text,
            fields=current_call(),
        )


class TextFormatter(logging.Formatter):
    """The human format, with the call appended to the logger name and the same redaction."""

    def __init__(self) -> None:
        super().__init__(_TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        call = current_call()
        record.call = f" [{call['call_sid']}]" if "call_sid" in call else ""
        return redact(super().format(record))


class _LoguruSink:
    """Writes pipecat's loguru records in the same format as the stdlib ones."""

    def __init__(self, stream: TextIO, json_format: bool) -> None:
        self.stream, self.json_format = stream, json_format

    def __call__(self, message: Any) -> None:
        record = message.record
        exc_text = None
        if record["exception"] is not None:
            exc = record["exception"]
            exc_text = "".join(traceback.format_exception(exc.type, exc.value, exc.traceback))
        name = record["name"] or "loguru"
        if self.json_format:
            line = _json_line(
                when=record["time"],
                level=record["level"].name,
                logger=name,
                message=record["message"],
                exc_text=exc_text,
                fields=current_call(),
            )
        else:
            call = current_call()
            tag = f" [{call['call_sid']}]" if "call_sid" in call else ""
            stamp = record["time"].strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
            line = redact(f"{stamp} {record['level'].name} {name}{tag}: {record['message']}")
            if exc_text:
                line += "\n" + redact(exc_text)
        self.stream.write(line + "\n")
        self.stream.flush()


def configure_logging(
    level: str = "info", *, json_format: bool = False, stream: TextIO | None = None
) -> None:
    """Route stdlib logging (Anbu, uvicorn) and loguru (pipecat) to one handler on ``stream``.

    loguru stays at INFO or above whatever ``level`` says: pipecat logs spoken text at DEBUG.
    """
    from loguru import logger

    out = stream or sys.stderr
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter() if json_format else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's loggers carry their own handlers when it configures logging; it is started with
    # log_config=None, and these make sure its records reach the root handler either way.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    logger.remove()
    floor = max(logger.level(level.upper()).no, logger.level("INFO").no)
    logger.add(_LoguruSink(out, json_format), level=floor, format="{message}")
