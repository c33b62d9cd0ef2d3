"""Tokens from a production identity provider, verified against its published JWKS."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from awardpath_shared.auth import TokenVerifier
from awardpath_shared.errors import DomainError
from awardpath_shared.ids import utcnow
from awardpath_shared.settings import ServiceSettings
from tests.support.refusals import refusal


@pytest.fixture
def identity_provider():
    """A JWKS endpoint on loopback, publishing one ES256 key."""
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "idp-1", "use": "sig", "alg": "ES256"}]}).encode()

    class JwksHandler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), JwksHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield key, f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


def signed(key, **claims) -> str:
    now = utcnow()
    payload = {
        "iss": "awardpath",
        "aud": "awardpath",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        **claims,
    }
    return jwt.encode(payload, key, algorithm="ES256", headers={"kid": "idp-1"})


def test_a_token_signed_by_the_identity_provider_is_accepted(identity_provider):
    key, jwks_url = identity_provider
    verifier = TokenVerifier(ServiceSettings(jwks_url=jwks_url))
    principal = verifier.verify(signed(key, sub="platform-7", role="platform"))
    assert (principal.role, principal.subject) == ("platform", "platform-7")


def test_a_token_signed_by_anyone_else_or_with_the_shared_secret_is_refused(identity_provider):
    _key, jwks_url = identity_provider
    verifier = TokenVerifier(ServiceSettings(jwks_url=jwks_url))
    stranger = ec.generate_private_key(ec.SECP256R1())
    for token in (
        signed(stranger, sub="platform-7", role="platform"),
        jwt.encode(
            {"sub": "x", "role": "admin", "aud": "awardpath", "iss": "awardpath", "exp": 9999999999},
            ServiceSettings().jwt_secret,
            algorithm="HS256",
        ),
    ):
        with pytest.raises(DomainError) as refused:
            verifier.verify(token)
        assert refusal(refused)[0] == 401
