"""The processes `awardpath` runs: HTTP API servers and workers, each wired through the
services' `build_runtime` (the one wiring every process and the tests share).

- `serve all`: the three APIs in one process. On the in-process transport it starts
  `worker all` beside it, a process of its own that runs the relays, the in-process
  deliveries (direct calls) and the background workers, so the path behind the intake uses
  the second core instead of competing with the APIs for one event loop; each commit that
  staged events wakes that process's relay over a socket pair (`wakeups`). On Kafka the
  `serve all` process also runs the three consumer groups.
- `worker all` (in-process transport): the relays, deliveries and background workers of the
  three services.
- `serve SERVICE` (Kafka only): one service's API. It publishes (its relay sends what its
  requests committed, at once) and consumes nothing.
- `worker SERVICE` (Kafka only): one service's consumer group member and an outbox relay
  for the events its handlers stage.

Every process of a service runs a relay over the same outbox table; claims are safe across
replicas (see `relay.py`), and a relay picks up what a crashed process left once the claim
lease runs out. Scale APIs on request load and workers on consumer lag, independently.
"""

import asyncio
import contextlib
import copy
import ctypes
import logging
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from functools import partial
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.config import LOGGING_CONFIG

from awardpath.services import SERVICES, AnySettings, build_runtimes, create_apps
from awardpath_shared.logs import formatter_config
from awardpath_shared.messaging.kafka import KafkaTransport
from awardpath_shared.messaging.transport import Transport
from awardpath_shared.messaging.wakeups import WakeSender, listen_for_wake_ups
from awardpath_shared.observability import access_log_filter, create_worker_app
from awardpath_shared.runtime import ServiceRuntime, create_transport

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# The worker's relays finish what they publish, then it exits; after this it is killed.
WORKER_STOP_SECONDS = 30
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def server_config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    """How every API is served: uvicorn's own logging at info, in the process's log format
    (`logs`), its access log lines without query strings (they carry earner ids)."""
    return uvicorn.Config(app, host=host, port=port, log_level="info", log_config=_log_config())


def _log_config() -> dict[str, Any]:
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"] = {"default": formatter_config(), "access": formatter_config()}
    config["filters"] = {"path_only": {"()": access_log_filter}}
    # On the logger, not a handler: every handler an operator adds gets the path only too.
    config["loggers"]["uvicorn.access"]["filters"] = ["path_only"]
    return config


class _Server(uvicorn.Server):
    # Several servers share one loop; the process handles signals for all of them.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_apps(
    apps: dict[str, FastAPI],
    ports: dict[str, int],
    host: str,
    transport: Transport,
    on_started: Callable[[], Awaitable[None]] | None = None,
    companion: "asyncio.Task[Any] | None" = None,
) -> None:
    """Serve `apps` until SIGINT/SIGTERM (or until `companion`, a process they need, ended);
    the transport runs around them (started first, stopped last, after the apps' relays)."""
    servers = [_Server(server_config(apps[name], host, ports[name])) for name in apps]
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, partial(_exit_all, servers))
    if companion is not None:
        companion.add_done_callback(lambda _: _exit_all(servers))
    await transport.start()
    try:
        serving = [asyncio.create_task(server.serve()) for server in servers]
        if on_started is not None:
            while not all(server.started for server in servers):
                if any(server.should_exit for server in servers):
                    break
                await asyncio.sleep(0.05)
            else:
                await on_started()
        await asyncio.gather(*serving)
    finally:
        await transport.stop()


async def serve_all_beside_worker(
    settings: dict[str, AnySettings],
    host: str,
    on_started: Callable[[], Awaitable[None]] | None = None,
    *,
    development: bool = False,
    beside: dict[str, tuple[FastAPI, int]] | None = None,
) -> int:
    """`serve all` on the in-process transport: the APIs here (and the apps `beside` them, on
    their ports: the workspaces with `--demo`), `worker all` in a child process woken by this
    one's commits (in development too when this one is: `--demo`). Returns the exit code (1:
    the worker ended on its own)."""
    waking, woken = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "awardpath",
        "worker",
        "all",
        "--no-migrate",
        f"--wake-fd={woken.fileno()}",
        pass_fds=[woken.fileno()],
        env={**os.environ, "AWARDPATH_DEVELOPMENT": "true"} if development else None,
        preexec_fn=_die_with_parent,
        # Not in the terminal's process group: Ctrl+C reaches this process, which stops the
        # worker after the APIs (so the worker ending first means it failed).
        start_new_session=True,
    )
    woken.close()
    sender = WakeSender(waking)
    transport = create_transport(next(iter(settings.values())), client_id="awardpath-all-api")
    runtimes = build_runtimes(transport, settings)
    for name, runtime in runtimes.items():
        runtime.runs_background = False
        runtime.wake_relay = sender.waker(name)
    worker_ended = asyncio.create_task(worker.wait())
    try:
        apps = create_apps(runtimes)
        ports = {name: service_settings.port for name, service_settings in settings.items()}
        for name, (app, port) in (beside or {}).items():
            apps[name], ports[name] = app, port
        await serve_apps(apps, ports, host, transport, on_started, companion=worker_ended)
    finally:
        ended_on_its_own = worker_ended.done()
        if not ended_on_its_own:
            worker.terminate()
            try:
                async with asyncio.timeout(WORKER_STOP_SECONDS):
                    await worker_ended
            except TimeoutError:
                worker.kill()
                await worker_ended
        waking.close()
    if ended_on_its_own:
        logger.error("the worker process ended (exit code %s): stopping the APIs", worker.returncode)
        return 1
    return 0


def _die_with_parent() -> None:
    """In the child, before exec: the kernel kills it when its parent dies, however that dies
    (a SIGKILLed `serve all` must not leave its worker running)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


async def run_worker_all(settings: dict[str, AnySettings], wake_fd: int | None, host: str) -> int:
    """The relays, in-process deliveries and background workers of every service until
    SIGINT/SIGTERM; woken through `wake_fd` when `serve all` started it. Its health and
    metrics endpoints answer on `worker_all_port`."""
    first = next(iter(settings.values()))
    transport = create_transport(first, client_id="awardpath-all-worker")
    runtimes = build_runtimes(transport, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    stop_listening = None
    if wake_fd is not None:
        channel = socket.socket(fileno=wake_fd)
        stop_listening = listen_for_wake_ups(channel, partial(_wake_relay, runtimes))
    async with _operations_served(runtimes, host, first.worker_all_port):
        await transport.start()
        for runtime in runtimes.values():
            runtime.start_background()
        logger.info("worker running the relays and deliveries of %s", ", ".join(runtimes))
        await stop.wait()
        if stop_listening is not None:
            stop_listening()
        # Every relay and delivery stops before any database closes: a delivery in flight is
        # cancelled and its row stays unsent (the next start sends it again, the inbox drops it).
        for runtime in runtimes.values():
            await runtime.relay.stop()
    await transport.stop()
    for runtime in runtimes.values():
        await runtime.close()
    return 0


@contextlib.asynccontextmanager
async def _operations_served(
    runtimes: dict[str, ServiceRuntime[Any, Any]], host: str, port: int
) -> AsyncIterator[None]:
    """A worker's health and metrics endpoints, served while the block runs: up first, live at
    once, ready once the transport runs (joining the groups takes a while)."""
    server = _Server(server_config(create_worker_app(runtimes), host, port))
    serving = asyncio.create_task(server.serve())
    try:
        yield
    finally:
        server.should_exit = True
        await serving


def _wake_relay(runtimes: dict[str, ServiceRuntime[Any, Any]], service: str) -> None:
    runtime = runtimes.get(service)
    if runtime is not None:
        runtime.relay.wake()


def _exit_all(servers: list[_Server]) -> None:
    for server in servers:
        server.should_exit = True


async def run_worker(name: str, settings: AnySettings, host: str) -> int:
    """Consume and relay for one service until SIGINT/SIGTERM; returns the exit code.

    On a signal the in-flight message is finished (or, mid-backoff, left uncommitted for
    the next owner), its offset committed, and the process leaves its group."""
    transport = KafkaTransport(settings, client_id=f"awardpath-{name}-worker")
    runtime = SERVICES[name].build_runtime(settings, transport)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    async with _operations_served({name: runtime}, host, settings.worker_port):
        await transport.start()
        runtime.start_background()
        logger.info("%s worker running (group %s)", name, runtime.consumer.group)
        stopping = asyncio.create_task(stop.wait())
        failing = asyncio.create_task(transport.join())
        await asyncio.wait({stopping, failing}, return_when=asyncio.FIRST_COMPLETED)
        failed = failing.done()
        for task in (stopping, failing):
            task.cancel()
    await runtime.relay.stop()  # stop publishing before the producer goes away
    await transport.stop()
    await runtime.close()
    return 1 if failed else 0
