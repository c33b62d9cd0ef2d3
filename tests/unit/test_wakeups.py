"""`serve all` wakes the relays of its worker process over a socket pair: each commit that
staged events names its service, and the worker wakes that service's relay."""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from awardpath_shared.messaging.wakeups import WakeSender, listen_for_wake_ups


@asynccontextmanager
async def listening(woken: socket.socket) -> AsyncIterator[tuple[list[str], asyncio.Event]]:
    """The services woken through `woken`, and an event set at the first wake-up."""
    named: list[str] = []
    arrived = asyncio.Event()

    def wake(service: str) -> None:
        named.append(service)
        arrived.set()

    stop = listen_for_wake_ups(woken, wake)
    try:
        yield named, arrived
    finally:
        stop()


async def test_a_wake_up_reaches_the_relay_of_the_service_it_names():
    waking, woken = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with waking, woken:
        async with listening(woken) as (named, arrived):
            WakeSender(waking).waker("assessment")()
            async with asyncio.timeout(5):
                await arrived.wait()
        assert named == ["assessment"]


async def test_many_wake_ups_at_once_wake_each_service_once():
    waking, woken = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with waking, woken:
        sender = WakeSender(waking)
        for _ in range(50):
            sender.waker("submission")()
        sender.waker("award")()
        async with listening(woken) as (named, arrived):
            async with asyncio.timeout(5):
                await arrived.wait()
        assert sorted(named) == ["award", "submission"]


def test_waking_when_nobody_listens_any_more_does_not_fail():
    waking, woken = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    woken.close()
    with waking:
        WakeSender(waking).waker("submission")()  # the relay's poll finds the rows instead
