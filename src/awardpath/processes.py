"""The processes `awardpath` runs: HTTP API servers and workers, each wired through the
services' `build_runtime` (the one wiring every process and the tests share).

- `serve all`: the three APIs in one process; on the in-process transport events are
  delivered by direct calls, on Kafka this process also runs the three consumer groups.
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
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.config import LOGGING_CONFIG

from awardpath.services import SERVICES, AnySettings
from awardpath_shared.messaging.kafka import KafkaTransport
from awardpath_shared.messaging.transport import Transport
from awardpath_shared.observability import access_log_filter

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def server_config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    """How every API is served: uvicorn's own logging at info, its access log lines without
    query strings (they carry earner ids)."""
    return uvicorn.Config(app, host=host, port=port, log_level="info", log_config=_log_config())


def _log_config() -> dict[str, Any]:
    config = copy.deepcopy(LOGGING_CONFIG)
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
    settings: dict[str, AnySettings],
    host: str,
    transport: Transport,
    on_started: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Serve `apps` until SIGINT/SIGTERM; the transport runs around them (started first,
    stopped last, after the apps' relays)."""
    servers = [_Server(server_config(apps[name], host, settings[name].port)) for name in apps]
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, partial(_exit_all, servers))
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


def _exit_all(servers: list[_Server]) -> None:
    for server in servers:
        server.should_exit = True


async def run_worker(name: str, settings: AnySettings) -> int:
    """Consume and relay for one service until SIGINT/SIGTERM; returns the exit code.

    On a signal the in-flight message is finished (or, mid-backoff, left uncommitted for
    the next owner), its offset committed, and the process leaves its group."""
    transport = KafkaTransport(settings, client_id=f"awardpath-{name}-worker")
    runtime = SERVICES[name].build_runtime(settings, transport)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
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
