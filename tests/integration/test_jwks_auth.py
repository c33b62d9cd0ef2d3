"""Tokens from a production identity provider, verified against its published JWKS, and
beside them the deployment's own (the workspaces'), verified with its secret when one fit for
production is set."""

import base64
import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

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


OWN_SECRET = "a-production-secret-the-deployment-mints-with-0123456789"


def own(secret: str, **claims) -> str:
    payload = {"aud": "awardpath", "iss": "awardpath", "exp": 9999999999, **claims}
    return jwt.encode(payload, secret, algorithm="HS256")


def test_beside_the_identity_provider_the_deployments_own_secret_verifies_its_tokens(identity_provider):
    """The workspaces sign each person's API tokens with AWARDPATH_JWT_SECRET: with a secret
    fit for production they work beside the provider's; a token of another secret does not."""
    key, jwks_url = identity_provider
    verifier = TokenVerifier(ServiceSettings(jwks_url=jwks_url, jwt_secret=OWN_SECRET))
    principal = verifier.verify(own(OWN_SECRET, sub="assessor-4", role="assessor"))
    assert (principal.role, principal.subject) == ("assessor", "assessor-4")
    assert verifier.verify(signed(key, sub="platform-7", role="platform")).subject == "platform-7"
    with pytest.raises(DomainError) as refused:
        verifier.verify(own("another-secret-of-at-least-thirty-two-characters", sub="x", role="admin"))
    assert refusal(refused)[0] == 401


def hs256_by_hand(secret: bytes, claims: dict) -> str:
    """An HS256 token made without PyJWT, which refuses a public key as an HMAC secret."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = json.dumps({"alg": "HS256", "typ": "JWT", "kid": "idp-1"}).encode()
    signing_input = f"{part(header)}.{part(json.dumps(claims).encode())}"
    return f"{signing_input}.{part(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def test_the_providers_public_key_is_never_taken_for_the_shared_secret(identity_provider):
    """An HS256 token "signed" with the provider's public key (the algorithm-confusion attack)
    or with the development secret is refused: HS256 is verified with the deployment's secret only."""
    key, jwks_url = identity_provider
    verifier = TokenVerifier(ServiceSettings(jwks_url=jwks_url, jwt_secret=OWN_SECRET))
    public_pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    public_jwk = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()).encode()
    claims = {"sub": "x", "role": "admin", "aud": "awardpath", "iss": "awardpath", "exp": 9999999999}
    for forged_secret in (public_pem, public_jwk, ServiceSettings().jwt_secret.encode()):
        with pytest.raises(DomainError) as refused:
            verifier.verify(hs256_by_hand(forged_secret, claims))
        assert refusal(refused)[0] == 401
