"""The Kafka transport over TLS: events travel through a broker that only speaks mutual TLS
(a TLS-terminating proxy in front of Tansu, which advertises the proxy), with the CA and
the client certificate from the settings; a client that does not trust the broker's
certificate, or has no certificate of its own, does not get through."""

import asyncio

import pytest
from aiokafka.errors import KafkaConnectionError

from awardpath_shared.messaging.kafka import KafkaTransport
from tests.support.broker import TansuBroker
from tests.support.delivery import Delivery, kafka_settings
from tests.support.messaging import published_event
from tests.support.polling import eventually
from tests.support.system import free_port
from tests.support.tls import CertificateAuthority, TlsProxy
from tests.transport.test_transport_contract import recording


@pytest.fixture
async def tls_broker(tmp_path):
    """A broker reachable only over mutual TLS; yields its address and certificate authority."""
    authority = CertificateAuthority(tmp_path)
    proxy_port = free_port()
    broker = TansuBroker(tmp_path, advertised_port=proxy_port)
    broker.start()
    proxy = TlsProxy(authority, proxy_port, broker.port)
    await proxy.start()
    yield f"127.0.0.1:{proxy_port}", authority
    await proxy.stop()
    broker.stop()


async def test_events_travel_over_mutual_tls(tls_broker, postgres_url):
    address, authority = tls_broker
    client = authority.issue("awardpath-client")
    settings = kafka_settings(
        address,
        kafka_security_protocol="SSL",
        kafka_ssl_cafile=str(authority.cafile),
        kafka_ssl_certfile=str(client.certfile),
        kafka_ssl_keyfile=str(client.keyfile),
    )
    delivery = Delivery("kafka", postgres_url, settings)
    try:
        seen: list = []
        await delivery.open(recording(seen))
        events = [published_event(f"over TLS {n}") for n in range(3)]
        await delivery.publish(*events)
        await eventually(lambda: len(seen) == 3, timeout=30)
    finally:
        await delivery.close()


@pytest.mark.parametrize("missing", ["trust in the broker's CA", "a client certificate"])
async def test_without_trust_or_a_client_certificate_the_transport_does_not_connect(tls_broker, tmp_path, missing):
    address, authority = tls_broker
    client = authority.issue("awardpath-client")
    if missing == "a client certificate":
        options = {"kafka_ssl_cafile": str(authority.cafile)}
    else:
        stranger = CertificateAuthority(tmp_path, name="Another CA")
        options = {
            "kafka_ssl_cafile": str(stranger.cafile),
            "kafka_ssl_certfile": str(client.certfile),
            "kafka_ssl_keyfile": str(client.keyfile),
        }
    settings = kafka_settings(address, kafka_security_protocol="SSL", kafka_operation_timeout_seconds=2, **options)
    transport = KafkaTransport(settings, client_id="refused-client")
    with pytest.raises((KafkaConnectionError, asyncio.TimeoutError)):
        await asyncio.wait_for(transport.start(), 20)
    await transport.stop()
