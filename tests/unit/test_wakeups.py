"""`serve all` wakes the relays of its worker process over a socket pair: each commit that
staged events names its service, and the worker wakes that service's relay."""

import asyncio
import socket

from awardpath_shared.messaging.wakeups import WakeSender, listen_for_wake_ups


async def test_a_wake_up_reaches_the_relay_of_the_service_it_names():
    waking, woken = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    named: list[str] = []
    arrived = asyncio.Event()

    def wake(service: str) -> None:
        named.append(service)
        arrived.set()

    stop = listen_for_wake_ups(woken, wake)
    try:
        WakeSender(waking).waker("assessment")()
        async with asyncio.timeout(5):
            await arrived.wait()
        assert named == ["assessment"]
    finally:
        stop()
        waking.close()
        woken.close()


async def test_many_wake_ups_at_once_wake_each_service_once():
    waking, woken = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    sender = WakeSender(waking)
    for _ in range(50):
        sender.waker("submission")()
    sender.waker("award")()
    named: list[str] = []
    arrived = asyncio.Event()

    def wake(service: str) -> None:
        named.append(service)
        arrived.set()

    stop = listen_for_wake_ups(woken, wake)
    try:
        async with asyncio.timeout(5):
            await arrived.wait()
        assert sorted(named) == ["award", "submission"]
    finally:
        stop()
        waking.close()
        woken.close()


def test_waking_when_nobody_listens_any_more_does_not_fail():
    waking, woken = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    woken.close()
    WakeSender(waking).waker("submission")()  # the relay's poll finds the rows instead
    waking.close()
