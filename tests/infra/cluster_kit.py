"""A small Anbu cluster on this machine: ``anbu serve`` worker processes on one PostgreSQL
database, as Kubernetes would run them (no container engine needed).

Each worker is a real process started with the console script, configured only through the
environment (the way the manifests configure it), logging JSON to a file that the tests scan.
A plain module rather than ``conftest`` so that test files import its helpers explicitly.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from telephony.simulator import SimulatedPhone

AUTH_TOKEN = "cluster-test-twilio-token"  # plays Twilio's auth token: every worker shares it
METRICS_TOKEN = "cluster-test-metrics-token"
ADMIN_PASSWORD = "cluster-test-admin"
LINE_NUMBER = "+15550100000"
ANBU = str(Path(sys.executable).parent / "anbu")


def free_port() -> int:
    """A port nothing listens on right now (the worker binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Worker:
    """One ``anbu serve`` process."""

    name: str
    port: int
    data_dir: Path
    log_path: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [ANBU, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            cwd=self.data_dir,  # no stray .env file is read
            stdout=log,
            stderr=log,
        )
        log.close()

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise TimeoutError(f"{self.name} not ready in {timeout:.0f} s:\n{self.output()}")

    def terminate(self) -> None:
        """SIGTERM: what Kubernetes sends a pod it is replacing."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        """Teardown: SIGKILL whatever is still running (tests stop workers on purpose)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def records(self) -> list[dict[str, Any]]:
        """Every line the process wrote; all of them must be JSON log records."""
        lines = [line for line in self.output().splitlines() if line.strip()]
        return [json.loads(line) for line in lines]

    def metrics(self) -> str:
        response = httpx.get(
            self.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=5
        )
        response.raise_for_status()
        return response.text

    def phone(self, from_number: str) -> SimulatedPhone:
        return SimulatedPhone(
            self.url,
            AUTH_TOKEN,
            public_url=self.url,
            from_number=from_number,
            to_number=LINE_NUMBER,
        )


def worker_env(data_dir: Path, port: int, db_url: str, **extra: str) -> dict[str, str]:
    """The environment a worker pod gets: everything through ``ANBU_*`` variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANBU_", "TWILIO_"))}
    env.update(
        {
            "HF_HUB_OFFLINE": "1",
            "ORT_DISABLE_TELEMETRY": "1",
            "ANBU_DATA_DIR": str(data_dir),
            "ANBU_DATABASE_URL": db_url,
            "ANBU_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "ANBU_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "ANBU_METRICS_TOKEN": METRICS_TOKEN,
            "ANBU_LOG_FORMAT": "json",
            "ANBU_WARM_PHRASE_CACHE": "false",  # ~20 s less per process; prompts made on demand
            "ANBU_RECORD_CALLS": "false",
            "ANBU_ASR_WORKERS": "1",
        }
    )
    env.update(extra)
    return env


async def converse(phone: SimulatedPhone, speech: Sequence[bytes], *, timeout: float = 40) -> None:
    """After each agent turn, say the next line; as the e2e tests do, with a slower machine's
    timeout (several processes share two cores here)."""
    for item in speech:
        await phone.wait_for_agent_silence(quiet_s=0.8, timeout=timeout)
        if phone.ended.is_set():
            raise AssertionError("the call ended before the caller had said everything")
        await phone.say(item, wait=True)


async def wait_for(predicate: Any, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def metric_value(exposition: str, name: str, labels: dict[str, str] | None = None) -> float:
    """One sample's value from the text exposition format (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted((labels or {}).items()))
    for line in exposition.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        series, _, value = line.rpartition(" ")
        metric, _, rest = series.partition("{")
        got = ",".join(sorted(rest.rstrip("}").split(","))) if rest else ""
        if metric == name and got == want:
            return float(value)
    return 0.0
