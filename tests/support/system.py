"""A running Awardpath (real processes, real HTTP) and a client that speaks its API."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from awardpath_shared.auth import mint_token
from awardpath_shared.settings import ServiceSettings

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningSystem:
    """`awardpath serve all` in a child process on free loopback ports."""

    def __init__(self, database_url: str, log_path: Path) -> None:
        self.ports = {name: free_port() for name in ("submission", "assessment", "award")}
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.jwt_secret = os.urandom(16).hex()
        self.log_path = log_path
        self.env = {
            **os.environ,
            "AWARDPATH_DATABASE_URL": database_url,
            "AWARDPATH_JWT_SECRET": self.jwt_secret,
            "AWARDPATH_RELAY_POLL_INTERVAL_SECONDS": "0.2",
            "AWARDPATH_MIN_FEEDBACK_CHARS": "10",
            "AWARDPATH_AWARD_PUBLIC_URL": self.urls["award"],
            # Webhook receivers in tests listen on loopback over http, and retries are quick.
            "AWARDPATH_AWARD_WEBHOOK_ALLOW_HTTP": "true",
            "AWARDPATH_AWARD_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
            "AWARDPATH_AWARD_WEBHOOK_POLL_INTERVAL_SECONDS": "0.1",
            "AWARDPATH_AWARD_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
            "AWARDPATH_AWARD_WEBHOOK_RETRY_MAX_DELAY_SECONDS": "1",
            "AWARDPATH_AWARD_WEBHOOK_TIMEOUT_SECONDS": "5",
            **{f"AWARDPATH_{name.upper()}_PORT": str(port) for name, port in self.ports.items()},
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "awardpath", "serve", "all"],
            env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"awardpath exited early:\n{self.log_path.read_text()}")
            if all(self._ready(url) for url in self.urls.values()):
                return
            time.sleep(0.2)
        raise TimeoutError(f"awardpath did not become ready:\n{self.log_path.read_text()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    @staticmethod
    def _ready(url: str) -> bool:
        try:
            return httpx.get(f"{url}/health/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def token(self, role: str, subject: str) -> str:
        return mint_token(ServiceSettings(jwt_secret=self.jwt_secret), role, subject)

    def client(self, service: str, role: str, subject: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.urls[service], timeout=10,
            headers={"Authorization": f"Bearer {self.token(role, subject)}"},
        )


async def eventually(
    probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], timeout: float = 20.0
) -> T:
    """Poll `probe` until `accept` holds: the path is asynchronous (outbox, relay, consumers)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if accept(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not reached within {timeout}s; last value: {value!r}")
        await asyncio.sleep(0.1)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem response with `status` and return its body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status and body["type"].startswith("https://") and body["title"]
    return body
