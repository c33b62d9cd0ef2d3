"""A scripted DNS for tests of the webhook address guard: one name answers from a script,
every other name (IP literals included) resolves for real. Installed as `socket.getaddrinfo`,
which the asyncio event loop's resolver calls in a thread."""

import ipaddress
import socket
import threading
from typing import Any


class ScriptedResolver:
    """Answers `name` with the next answer of the script on every lookup: the last one
    repeated, or (cycle) from the first again, as a rebinding DNS with a zero TTL does."""

    def __init__(self, name: str, *answers: str | tuple[str, ...], cycle: bool = False) -> None:
        self.name = name
        self.answers = [(answer,) if isinstance(answer, str) else answer for answer in answers]
        self.cycle = cycle
        self.lookups: list[tuple[str, ...]] = []
        self._real = socket.getaddrinfo
        self._lock = threading.Lock()

    def __call__(self, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> list:
        wanted = host.decode() if isinstance(host, bytes) else host
        if wanted != self.name:
            return self._real(host, port, family, type, proto, flags)
        with self._lock:
            index = len(self.lookups)
            answer = self.answers[index % len(self.answers) if self.cycle else min(index, len(self.answers) - 1)]
            self.lookups.append(answer)
        return [_entry(address, int(port or 0)) for address in answer]


def _entry(address: str, port: int) -> tuple:
    if ipaddress.ip_address(address).version == 6:
        return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
