"""What every Kafka client of a process is given to reach the brokers, per security setting,
and the OAUTHBEARER tokens it fetches (from a real local token endpoint)."""

import json
import ssl
import threading
from base64 import b64decode
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from pydantic import ValidationError

from awardpath_shared.messaging.kafka_connection import ClientCredentialsTokens, connection_options
from awardpath_shared.settings import ServiceSettings


def test_plaintext_by_default():
    assert connection_options(ServiceSettings(kafka_bootstrap_servers="kafka:9092")) == {
        "bootstrap_servers": "kafka:9092",
        "security_protocol": "PLAINTEXT",
    }


def test_tls_verifies_the_broker_with_the_system_trust_store_unless_a_ca_is_given():
    options = connection_options(ServiceSettings(kafka_security_protocol="SSL"))
    context: ssl.SSLContext = options["ssl_context"]
    assert options["security_protocol"] == "SSL"
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert "sasl_mechanism" not in options


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_with_a_password_over_tls(mechanism):
    settings = ServiceSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism=mechanism,
        kafka_sasl_username="awardpath",
        kafka_sasl_password="s3cret",
    )
    options = connection_options(settings)
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert (options["sasl_mechanism"], options["sasl_plain_username"], options["sasl_plain_password"]) == (
        mechanism,
        "awardpath",
        "s3cret",
    )


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"kafka_sasl_mechanism": "SCRAM-SHA-512"}, "AWARDPATH_KAFKA_SASL_USERNAME, AWARDPATH_KAFKA_SASL_PASSWORD"),
        (
            {"kafka_sasl_mechanism": "OAUTHBEARER", "kafka_sasl_oauth_client_id": "c"},
            "AWARDPATH_KAFKA_SASL_OAUTH_TOKEN_URL",
        ),
    ],
)
def test_sasl_without_its_credentials_is_refused_naming_them(given, named):
    with pytest.raises(ValidationError, match=named):
        ServiceSettings(kafka_security_protocol="SASL_PLAINTEXT", **given)


@pytest.fixture
def token_endpoint():
    """A local OAuth 2.0 token endpoint: hands out numbered tokens, records each request."""
    requests: list[dict] = []

    class TokenEndpoint(BaseHTTPRequestHandler):
        def do_POST(self):
            form = parse_qs(self.rfile.read(int(self.headers["content-length"])).decode())
            client = b64decode(self.headers["authorization"].removeprefix("Basic ")).decode()
            requests.append({"form": form, "client": client})
            body = json.dumps({"access_token": f"token-{len(requests)}", "token_type": "bearer", "expires_in": 3600})
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), TokenEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/oauth/token", requests
    server.shutdown()


async def test_oauthbearer_fetches_a_client_credentials_token_and_reuses_it(token_endpoint):
    url, requests = token_endpoint
    settings = ServiceSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="OAUTHBEARER",
        kafka_sasl_oauth_token_url=url,
        kafka_sasl_oauth_client_id="awardpath-worker",
        kafka_sasl_oauth_client_secret="client-secret",
        kafka_sasl_oauth_scope="kafka",
    )
    provider = connection_options(settings)["sasl_oauth_token_provider"]
    assert isinstance(provider, ClientCredentialsTokens)
    assert [await provider.token(), await provider.token()] == ["token-1", "token-1"]
    # Another client of the process (a lag probe, say) shares the token.
    assert await connection_options(settings)["sasl_oauth_token_provider"].token() == "token-1"
    assert requests == [
        {"form": {"grant_type": ["client_credentials"], "scope": ["kafka"]}, "client": "awardpath-worker:client-secret"}
    ]
