"""A real webhook receiver on loopback (127.0.0.1 unless told another address): an HTTP server
in a thread that answers with scripted status codes and records every request, then dedupes
by `webhook-id` as receivers must. It can take its time over each request (`hold_seconds`)
and counts the requests about one submission it held at once
(`most_in_flight_of_one_submission`)."""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


class WebhookReceiver:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[Received] = []
        # Status codes to answer, in order; then `default_status`.
        self.script: list[tuple[int, dict[str, str]]] = []
        self.default_status = 200
        # How long each request is held before it is answered.
        self.hold_seconds = 0.0
        # The most requests about one submission held at once: counted from arrival until just
        # before the answer leaves, so a sender that waits for answers never shows more than one.
        self.most_in_flight_of_one_submission = 0
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                about = str(json.loads(body or b"{}").get("data", {}).get("submission_id"))
                with receiver._lock:
                    receiver._in_flight[about] = receiver._in_flight.get(about, 0) + 1
                    receiver.most_in_flight_of_one_submission = max(
                        receiver.most_in_flight_of_one_submission, receiver._in_flight[about]
                    )
                time.sleep(receiver.hold_seconds)  # the receiver's thread, not the test's loop
                with receiver._lock:
                    receiver._in_flight[about] -= 1
                    status, headers = receiver.script.pop(0) if receiver.script else (receiver.default_status, {})
                    receiver.requests.append(
                        Received({key.lower(): value for key, value in self.headers.items()}, body, status)
                    )
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer((host, port), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://{host}:{self.port}/hooks"
        # A short poll interval: shutting down waits for the loop to look.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "WebhookReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def processed(self) -> list[Received]:
        """What a receiver acts on: each `webhook-id` once, from its first 2xx."""
        seen: set[str] = set()
        accepted = []
        with self._lock:
            for request in self.requests:
                if 200 <= request.answered < 300 and request.webhook_id not in seen:
                    seen.add(request.webhook_id)
                    accepted.append(request)
        return accepted
