"""Wake-ups across processes: `serve all` answers requests in one process and runs the relays
in another, and a commit that staged events wakes the relay of its service over a datagram
socket pair (the name of the service per datagram). A wake-up lost (the socket's buffer full,
the worker restarting) costs at most the relay's poll interval: the rows wait in the outbox.
"""

import asyncio
import logging
import socket
from collections.abc import Callable

logger = logging.getLogger(__name__)

MAX_NAME_BYTES = 64


class WakeSender:
    """The waking end, in the process that commits."""

    def __init__(self, channel: socket.socket) -> None:
        channel.setblocking(False)
        self._channel = channel

    def waker(self, service: str) -> Callable[[], None]:
        datagram = service.encode()
        return lambda: self._send(datagram)

    def _send(self, datagram: bytes) -> None:
        try:
            self._channel.send(datagram)
        except (BlockingIOError, ConnectionRefusedError):
            pass  # wake-ups are waiting already, or nobody listens: the poll finds the rows
        except OSError as error:
            logger.warning("waking the relay failed: %r", error)


def listen_for_wake_ups(channel: socket.socket, wake: Callable[[str], None]) -> Callable[[], None]:
    """Call `wake(service)` for each service named on `channel`, on the running loop; returns
    the function that stops listening."""
    channel.setblocking(False)
    loop = asyncio.get_running_loop()

    def stop() -> None:
        loop.remove_reader(channel.fileno())

    def readable() -> None:
        named = set()
        while True:
            try:
                datagram = channel.recv(MAX_NAME_BYTES)
            except (BlockingIOError, InterruptedError):
                break
            if not datagram:  # the waking end is gone: the relays go on polling
                stop()
                break
            named.add(datagram.decode(errors="replace"))
        for service in named:
            wake(service)

    loop.add_reader(channel.fileno(), readable)
    return stop
