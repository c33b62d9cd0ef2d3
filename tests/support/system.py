"""A running Awardpath (real processes, real HTTP) and a client that speaks its API: all in
one process, or every service's API and worker as separate processes over Kafka."""

import os
import signal
import socket
import subprocess
import sys
import time
from functools import cached_property
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


SERVICES = ("submission", "assessment", "award")


class _System:
    """What every way of running Awardpath shares: free ports, env, tokens, clients, logs."""

    def __init__(self, database_url: str, log_path: Path, extra_env: dict[str, str] | None = None) -> None:
        self.ports = {name: free_port() for name in SERVICES}
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.jwt_secret = os.urandom(16).hex()
        self.log_path = log_path
        self.env = {
            **os.environ,
            "AWARDPATH_DATABASE_URL": database_url,
            "AWARDPATH_JWT_SECRET": self.jwt_secret,
            # Loopback URLs and the development master key: allowed in development only.
            "AWARDPATH_DEVELOPMENT": "true",
            "AWARDPATH_RELAY_POLL_INTERVAL_SECONDS": "0.2",
            # Evidence files in a directory of the run's own, shared by every process.
            "AWARDPATH_STORAGE_PATH": str(log_path.parent / "evidence-files"),
            # Parts as small as S3 takes: a few MiB make an upload of several parts.
            "AWARDPATH_UPLOAD_PART_BYTES": str(5 * 1024 * 1024),
            "AWARDPATH_MIN_FEEDBACK_CHARS": "10",
            "AWARDPATH_AWARD_PUBLIC_URL": self.urls["award"],
            # Webhook receivers in tests listen on loopback over http, and retries are quick. The
            # address guard stays on: only the networks tests use are allowed by name, loopback
            # for the receivers and TEST-NET-3 (never routed) for endpoints only registered.
            "AWARDPATH_AWARD_WEBHOOK_ALLOW_HTTP": "true",
            "AWARDPATH_AWARD_WEBHOOK_ALLOWED_TARGETS": "127.0.0.1/32,203.0.113.0/24",
            "AWARDPATH_AWARD_WEBHOOK_POLL_INTERVAL_SECONDS": "0.1",
            "AWARDPATH_AWARD_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
            "AWARDPATH_AWARD_WEBHOOK_RETRY_MAX_DELAY_SECONDS": "1",
            "AWARDPATH_AWARD_WEBHOOK_TIMEOUT_SECONDS": "5",
            **{f"AWARDPATH_{name.upper()}_PORT": str(port) for name, port in self.ports.items()},
            **(extra_env or {}),
        }
        self._log = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _spawn(self, *args: str) -> subprocess.Popen:
        if self._log is None:
            self._log = self.log_path.open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", "awardpath", *args], env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def _wait_ready(self, processes: list[subprocess.Popen], services=SERVICES, urls: list[str] | None = None) -> None:
        """Until the `services`' APIs (or the processes at `urls`) answer ready."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in processes):
                raise RuntimeError(f"awardpath exited early:\n{self.log_text()}")
            if all(self._ready(url) for url in (urls or [self.urls[name] for name in services])):
                return
            time.sleep(0.2)
        raise TimeoutError(f"awardpath did not become ready:\n{self.log_text()}")

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    @classmethod
    def _stop(cls, process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
        if process.poll() is None:
            process.send_signal(sig)
            cls._await_exit(process)

    @staticmethod
    def _await_exit(process: subprocess.Popen) -> None:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

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
            base_url=self.urls[service],
            timeout=10,
            headers={"Authorization": f"Bearer {self.token(role, subject)}"},
        )


class RunningSystem(_System):
    """`awardpath serve all` in a child process on free loopback ports (in-process transport)."""

    def start(self) -> None:
        self.env["AWARDPATH_WORKER_ALL_PORT"] = str(self.worker_port)
        self.process = self._spawn("serve", "all")
        self._wait_ready([self.process])
        self._wait_ready([self.process], urls=[self.worker_url])

    @cached_property
    def worker_port(self) -> int:
        return free_port()

    @property
    def worker_url(self) -> str:
        """Where its worker process (`worker all`) answers its health and metrics."""
        return f"http://127.0.0.1:{self.worker_port}"

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self._stop(self.process, sig)
        self._close_log()

    def pids(self) -> list[int]:
        return [self.process.pid]


class ProcessSystem(_System):
    """The services as separate OS processes over Kafka: `awardpath serve SERVICE` and
    `awardpath worker SERVICE` per service (more worker replicas on request), migrated
    first by `awardpath migrate all` as a deployment's migration job does."""

    def __init__(
        self,
        database_url: str,
        log_dir: Path,
        kafka_env: dict[str, str],
        worker_replicas: dict[str, int] | None = None,
    ) -> None:
        super().__init__(database_url, log_dir / "awardpath.log", {"AWARDPATH_TRANSPORT": "kafka", **kafka_env})
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}
        self.worker_replicas = worker_replicas or {}
        # Each worker's health and metrics endpoints, kept across its restarts.
        self.worker_ports: dict[str, int] = {}

    def pids(self) -> list[int]:
        return [process.pid for process in self.processes.values()]

    def start(self, worker_replicas: dict[str, int] | None = None) -> None:
        subprocess.run(
            [sys.executable, "-m", "awardpath", "migrate", "all"], env=self.env, check=True, capture_output=True
        )
        # Every process starts at once: their imports and consumer-group joins overlap.
        for name in SERVICES:
            self.start_process(f"{name}-api", wait=False)
            for replica in range(1, (worker_replicas or self.worker_replicas).get(name, 1) + 1):
                self.start_process(f"{name}-worker-{replica}")
        self._wait_ready(list(self.processes.values()))
        # Workers too: ready once their consumer groups run and their databases answer.
        self._wait_ready(list(self.processes.values()), urls=[self.worker_url(key) for key in self.worker_ports])

    def start_process(self, key: str, *, wait: bool = True) -> None:
        """`<service>-api` or `<service>-worker-<n>`; each also logs to `<key>.log`. An API is
        waited for until it answers ready, unless `wait` is false."""
        service, role = key.split("-")[:2]
        command = "serve" if role == "api" else "worker"
        env = self.env
        if role == "worker":
            port = self.worker_ports.setdefault(key, free_port())
            env = {**env, f"AWARDPATH_{service.upper()}_WORKER_PORT": str(port)}
        log = (self.log_dir / f"{key}.log").open("ab")
        self.processes[key] = subprocess.Popen(
            [sys.executable, "-m", "awardpath", command, service, "--no-migrate"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        if role == "api" and wait:
            self._wait_ready([self.processes[key]], services=[service])

    def worker_url(self, key: str) -> str:
        """Where the worker `key` (`<service>-worker-<n>`) answers its health and metrics."""
        return f"http://127.0.0.1:{self.worker_ports[key]}"

    def process_log(self, key: str) -> str:
        return (self.log_dir / f"{key}.log").read_text(errors="replace")

    def log_text(self) -> str:
        return "".join(path.read_text(errors="replace") for path in sorted(self.log_dir.glob("*.log")))

    def kill(self, key: str, sig: int = signal.SIGKILL) -> None:
        self._stop(self.processes[key], sig)

    def restart(self, key: str, sig: int = signal.SIGKILL) -> None:
        self.kill(key, sig)
        self.start_process(key)

    def stop(self) -> None:
        # All told at once, then waited for: their graceful shutdowns overlap.
        running = [process for process in self.processes.values() if process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            self._await_exit(process)
        self._close_log()


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem response with `status` and return its body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status and body["type"].startswith("https://") and body["title"]
    return body
