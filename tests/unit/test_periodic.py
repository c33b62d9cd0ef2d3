"""The background loop every service runs (relay, sweeper, webhook deliveries, key purge):
stop() stops it, whatever else lands at that moment."""

import asyncio

from awardpath_shared.periodic import PeriodicTask


async def test_a_stop_that_lands_with_a_wake_stops_the_loop():
    passes = 0

    async def work() -> None:
        nonlocal passes
        passes += 1

    for _ in range(20):  # the wake and the cancellation reach the waiting loop together
        loop = PeriodicTask("test-loop", work, interval_seconds=60)
        loop.start()
        await asyncio.sleep(0)  # the first pass ran; the loop waits for a wake
        loop.wake()
        stopping = asyncio.create_task(loop.stop())
        stopped, _ = await asyncio.wait({stopping}, timeout=5)
        assert stopping in stopped, "the loop ran on after stop()"
    assert passes >= 20


async def test_a_wake_cuts_the_wait_short():
    woken = asyncio.Event()

    async def work() -> None:
        woken.set()

    loop = PeriodicTask("test-loop", work, interval_seconds=60)
    loop.start()
    await asyncio.wait_for(woken.wait(), timeout=5)
    woken.clear()
    loop.wake()
    await asyncio.wait_for(woken.wait(), timeout=5)  # long before the 60 s interval
    await loop.stop()
