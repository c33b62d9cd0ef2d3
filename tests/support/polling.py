"""The one way a test waits: poll until a condition holds, within a bound. The award path
is asynchronous (outbox, relay, consumers, webhooks), so tests wait for outcomes, never for
a fixed time."""

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], T | Awaitable[T]],
    accept: Callable[[T], Any] = bool,
    timeout: float = 20.0,
    interval: float = 0.05,
) -> T:
    """Call `probe` (sync or async) every `interval` seconds until `accept` holds for what it
    returns; that value, or an AssertionError with the last value after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = probe()
        if inspect.isawaitable(value):
            value = await value
        if accept(value):
            return value  # type: ignore[return-value]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not reached within {timeout}s; last value: {value!r}")
        await asyncio.sleep(interval)


async def steady(
    probe: Callable[[], Awaitable[T]], accept: Callable[[T], Any] = bool, timeout: float = 60.0, interval: float = 1.0
) -> T:
    """`eventually` for a value that must also be the same in two polls `interval` apart:
    the system has stopped moving."""
    seen: list[T] = []

    async def last_two() -> list[T]:
        seen.append(await probe())
        return seen[-2:]

    pair = await eventually(
        last_two, lambda pair: len(pair) == 2 and pair[0] == pair[1] and accept(pair[1]), timeout, interval
    )
    return pair[1]
