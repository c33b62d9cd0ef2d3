"""The webhook address guard in the running apps (in-process transport, a database of the
test's own): registration refuses addresses that embed a private IPv4 one, and the delivery
worker never connects where a rebinding name points after its check. DNS is scripted for one
name (`ScriptedResolver`); the receivers and connections are real, on loopback."""

from ipaddress import ip_network

import pytest

from tests.support.award_path import Earner, open_award_path
from tests.support.in_process import running_clients
from tests.support.polling import eventually
from tests.support.resolver import ScriptedResolver
from tests.support.system import problem
from tests.support.webhook_receiver import WebhookReceiver

SECRET = "test-secret-for-the-webhook-guard"
NAME = "hooks.rebind.test"
# The guard is on: 127.0.0.2 and TEST-NET-3 are allowed by name, 127.0.0.1 is not.
AWARD = {
    "webhook_allow_http": True,
    "webhook_allowed_targets": (ip_network("127.0.0.2/32"), ip_network("203.0.113.0/24")),
    "webhook_poll_interval_seconds": 0.1,
    "webhook_retry_base_seconds": 0.2,
    "webhook_retry_max_delay_seconds": 1.0,
    "webhook_timeout_seconds": 5.0,
}


@pytest.fixture
async def clients(database_url):
    async with running_clients(database_url, SECRET, per_service={"award": AWARD}) as made:
        yield made


async def register(clients, platform_id: str, url: str):
    body = {"url": url, "events": ["submission.status_changed"]}
    return await clients("award", "platform", platform_id).post("/v1/webhook-endpoints", json=body)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://[64:ff9b::a9fe:a9fe]/hook", "169.254.169.254"),  # NAT64
        ("https://[2002:a9fe:a9fe::1]/hook", "169.254.169.254"),  # 6to4
        ("https://[::169.254.169.254]/hook", "169.254.169.254"),  # IPv4-compatible
        ("https://[::ffff:169.254.169.254]/hook", "169.254.169.254"),  # IPv4-mapped
        ("https://[64:ff9b::a01:203]/hook", "10.1.2.3"),
        ("https://[64:ff9b::7f00:1]/hook", "127.0.0.1"),
    ],
)
async def test_urls_embedding_a_private_ipv4_address_are_refused_at_registration(clients, url, shown):
    body = problem(await register(clients, "platform-1", url), 422)
    assert f"resolves to {shown}," in body["detail"]


async def test_embedded_forms_of_an_allowed_network_are_allowed_like_it(clients):
    for url in ("https://203.0.113.7/hook", "https://[64:ff9b::cb00:7107]/hook"):  # 203.0.113.7 both
        response = await register(clients, "platform-1", url)
        assert response.status_code == 201, response.text


async def test_a_rebinding_name_never_gets_a_delivery_to_the_address_it_rebinds_to(clients, monkeypatch):
    # A zero-TTL rebinding DNS: the allowed address and 127.0.0.1 in turn, from registration on.
    resolver = ScriptedResolver(NAME, "127.0.0.2", "127.0.0.1", cycle=True)
    monkeypatch.setattr("socket.getaddrinfo", resolver)
    path = await open_award_path(clients)
    platform = clients("award", "platform", path.platform_id)
    with WebhookReceiver("127.0.0.1") as rebound, WebhookReceiver("127.0.0.2", rebound.port) as checked:
        response = await register(clients, path.platform_id, f"http://{NAME}:{checked.port}/hooks")
        assert response.status_code == 201, response.text
        deliveries = f"/v1/webhook-endpoints/{response.json()['id']}/deliveries"
        submission_id = await path.submit(Earner())

        # Every delivery settles (refused attempts are retried) and none went to 127.0.0.1.
        log = await eventually(
            lambda: platform.get(deliveries),
            lambda r: r.json()["items"] and {item["state"] for item in r.json()["items"]} == {"delivered"},
            timeout=30,
        )
        assert rebound.requests == []
        assert submission_id in [item.event["data"]["submission_id"] for item in checked.processed()]
        assert {item.headers["host"] for item in checked.requests} == {f"{NAME}:{checked.port}"}

    attempts = [
        attempt
        for item in log.json()["items"]
        for attempt in (await platform.get(f"{deliveries}/{item['id']}")).json()["log"]
    ]
    # Half the lookups at delivery answered 127.0.0.1: those attempts were refused, not sent.
    assert ("127.0.0.1",) in resolver.lookups[1:]
    refused = f"target refused: '{NAME}' resolves to 127.0.0.1, a private, loopback or link-local address"
    assert refused in [attempt["error"] for attempt in attempts]
    assert {attempt["error"] for attempt in attempts} <= {refused, None}
