"""A real OpenID Connect provider for the sign-in tests: oidc-provider-mock (authlib's
authorization server in Flask) on a loopback port, served from a thread of the test
process. Its sign-in form asks who signs in; `add_person` gives that person their claims."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import oidc_provider_mock
from werkzeug.serving import make_server


@dataclass(frozen=True)
class IdentityProvider:
    issuer: str

    def add_person(self, subject: str, **claims: object) -> None:
        response = httpx.put(f"{self.issuer}/users/{quote(subject, safe='')}", json=claims)
        assert response.status_code == 204, response.text


@contextmanager
def identity_provider() -> Iterator[IdentityProvider]:
    server = make_server("127.0.0.1", 0, oidc_provider_mock.app(require_nonce=True), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield IdentityProvider(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join()
