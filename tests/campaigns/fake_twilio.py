"""A fake Twilio REST API (Calls.json create, list, fetch, update) on a real local port.

Run in a thread of the test process (``FakeTwilio().start()``); the code under test reaches it
through ``ANBU_TWILIO_API_BASE`` exactly as it would reach Twilio, with the ``twilio`` library.
It records every create so tests can count dials per number, can hold a create's reply (to
kill a process while the request is in flight, or to post a status callback before the reply
arrives, then :meth:`FakeTwilio.release` it), and lets tests set a call's status. It counts
fetches per call, so tests see which calls were checked.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import email.utils
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-twilio-token-0123456789"

_CALLS = re.compile(r"^/2010-04-01/Accounts/(?P<ac>[^/]+)/Calls\.json$")
_CALL = re.compile(r"^/2010-04-01/Accounts/(?P<ac>[^/]+)/Calls/(?P<sid>[^/]+)\.json$")


@dataclass
class FakeCall:
    sid: str
    to: str
    from_: str
    params: dict[str, list[str]]
    status: str = "queued"
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    updates: list[dict[str, str]] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "account_sid": ACCOUNT_SID,
            "to": self.to,
            "from": self.from_,
            "status": self.status,
            "direction": "outbound-api",
            "start_time": email.utils.format_datetime(self.created),
            "date_created": email.utils.format_datetime(self.created),
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{self.sid}.json",
        }

    def param(self, name: str) -> str:
        return self.params.get(name, [""])[0]


class FakeTwilio:
    def __init__(self) -> None:
        self.calls: dict[str, FakeCall] = {}
        self.creates: list[FakeCall] = []
        self.lock = threading.Lock()
        self.fail_next_create: int | None = None  # an HTTP status for the next create
        self.hold_from: int | None = None  # creates numbered >= this never get a reply
        self.holding = threading.Event()  # set once a create is being held
        self.fetches: dict[str, int] = {}  # GET Calls/{sid} per sid
        self._release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeTwilio:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def release(self) -> None:
        """Let held creates reply (a slow network, rather than a dead caller)."""
        self.hold_from = None
        self._release.set()

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def dials_to(self, number: str) -> int:
        with self.lock:
            return sum(1 for c in self.creates if c.to == number)

    def set_status(self, sid: str, status: str) -> None:
        with self.lock:
            self.calls[sid].status = status

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
                    return False
                return True

            def _form(self) -> dict[str, list[str]]:
                length = int(self.headers.get("Content-Length") or 0)
                return parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)

            def do_POST(self) -> None:
                if not self._authorised():
                    return
                path = urlsplit(self.path).path
                form = self._form()
                if _CALLS.match(path):
                    self._create(form)
                elif m := _CALL.match(path):
                    with fake.lock:
                        call = fake.calls.get(m["sid"])
                        if call is not None:
                            call.updates.append({k: v[0] for k, v in form.items()})
                            if form.get("Status", [""])[0] == "completed":
                                call.status = "completed"
                    if call is None:
                        self._reply(404, {"code": 20404, "message": "not found", "status": 404})
                    else:
                        self._reply(200, call.json())
                else:
                    self._reply(404, {"code": 20404, "message": "no route", "status": 404})

            def _create(self, form: dict[str, list[str]]) -> None:
                with fake.lock:
                    if fake.fail_next_create is not None:
                        status, fake.fail_next_create = fake.fail_next_create, None
                        self._reply(status, {"code": 21211, "message": "invalid", "status": status})
                        return
                    call = FakeCall(
                        sid="CA" + uuid.uuid4().hex,
                        to=form.get("To", [""])[0],
                        from_=form.get("From", [""])[0],
                        params=form,
                    )
                    fake.calls[call.sid] = call
                    fake.creates.append(call)
                    number = len(fake.creates)
                if fake.hold_from is not None and number >= fake.hold_from:
                    fake.holding.set()
                    fake._release.wait()  # the caller is killed meanwhile, or it is released
                    with contextlib.suppress(OSError):  # a killed caller reads no reply
                        self._reply(201, call.json())
                    return
                self._reply(201, call.json())

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                if _CALLS.match(parts.path):
                    to = query.get("To", [None])[0]
                    with fake.lock:
                        found = [c.json() for c in fake.creates if to is None or c.to == to]
                    self._reply(200, {"calls": found, "next_page_uri": None, "page": 0})
                elif m := _CALL.match(parts.path):
                    with fake.lock:
                        call = fake.calls.get(m["sid"])
                        fake.fetches[m["sid"]] = fake.fetches.get(m["sid"], 0) + 1
                    if call is None:
                        self._reply(404, {"code": 20404, "message": "not found", "status": 404})
                    else:
                        self._reply(200, call.json())
                else:
                    self._reply(404, {"code": 20404, "message": "no route", "status": 404})

        return Handler
