"""Webhook connections pinned to the addresses the guard checked (`webhooks.pinning`): a name
that rebinds between the check and the connect is connected where it was checked, never where
it rebinds to. DNS is scripted (`ScriptedResolver`); the receivers and connections are real,
on loopback addresses."""

import pytest

from awardpath_award.keys import sealing
from awardpath_award.models import WebhookEndpoint, WebhookMessage
from awardpath_award.settings import AwardSettings
from awardpath_award.webhooks.guard import TargetRefused, check_target
from awardpath_award.webhooks.models import WebhookEventType
from awardpath_award.webhooks.pinning import webhook_client
from awardpath_award.webhooks.sender import AttemptOutcome, ClaimedDelivery, WebhookSender
from awardpath_award.webhooks.signing import new_secret
from awardpath_shared.ids import new_id, utcnow
from tests.support.resolver import ScriptedResolver
from tests.support.webhook_receiver import WebhookReceiver

NAME = "hooks.rebind.test"
# The guard is on; 127.0.0.2 is allowed by name, 127.0.0.1 is not.
SETTINGS = AwardSettings(webhook_allow_http=True, webhook_allowed_targets="127.0.0.2/32,203.0.113.0/24")


@pytest.fixture
def receivers():
    """Two receivers on one port: at the checked address and at the one the name rebinds to."""
    with WebhookReceiver("127.0.0.1") as rebound, WebhookReceiver("127.0.0.2", rebound.port) as checked:
        yield checked, rebound


def resolve(monkeypatch, *answers: str | tuple[str, ...]) -> ScriptedResolver:
    resolver = ScriptedResolver(NAME, *answers)
    monkeypatch.setattr("socket.getaddrinfo", resolver)
    return resolver


def a_delivery(url: str, settings: AwardSettings = SETTINGS) -> ClaimedDelivery:
    endpoint_id = new_id()
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        platform_id="platform-1",
        url=url,
        event_types=[WebhookEventType.STATUS_CHANGED],
        sealed_secret=sealing.seal(new_secret().encode(), settings.master_key, endpoint_id),
        created_at=utcnow(),
    )
    message = WebhookMessage(
        id=new_id(),
        submission_id="submission-1",
        event_type=WebhookEventType.STATUS_CHANGED,
        data={"status": "submitted"},
        created_at=utcnow(),
    )
    return ClaimedDelivery(new_id(), endpoint, message)


async def send(url: str, settings: AwardSettings = SETTINGS) -> AttemptOutcome:
    """One attempt as the delivery worker makes it."""
    async with webhook_client(settings) as client:
        return await WebhookSender(client, settings).send(a_delivery(url, settings))


async def test_a_rebinding_name_is_connected_at_the_address_that_was_checked(monkeypatch, receivers):
    checked, rebound = receivers
    resolver = resolve(monkeypatch, "127.0.0.2", "127.0.0.1")  # checked first, rebound after

    outcome = await send(f"http://{NAME}:{checked.port}/hooks")

    assert rebound.requests == []
    assert (outcome.status_code, outcome.error) == (200, None)
    [received] = checked.requests
    assert received.headers["host"] == f"{NAME}:{checked.port}"  # the name, not the address
    assert resolver.lookups == [("127.0.0.2",)]  # resolved once, connected to what was checked


async def test_a_name_resolving_to_a_refused_address_at_delivery_is_never_connected(monkeypatch, receivers):
    checked, rebound = receivers
    resolve(monkeypatch, "127.0.0.1")

    outcome = await send(f"http://{NAME}:{rebound.port}/hooks")

    assert rebound.requests == [] and checked.requests == []
    assert outcome.status_code is None
    assert outcome.error == f"target refused: '{NAME}' resolves to 127.0.0.1, a private, loopback or link-local address"


async def test_one_refused_address_among_the_answers_refuses_the_name(monkeypatch, receivers):
    checked, rebound = receivers
    resolve(monkeypatch, ("127.0.0.2", "127.0.0.1"))

    outcome = await send(f"http://{NAME}:{checked.port}/hooks")

    assert rebound.requests == [] and checked.requests == []
    assert outcome.error is not None and outcome.error.startswith("target refused: ")


async def test_every_checked_address_is_tried_in_order_until_one_answers(monkeypatch):
    settings = AwardSettings(webhook_allow_http=True, webhook_allowed_targets="127.0.0.2/32,127.0.0.3/32")
    with WebhookReceiver("127.0.0.3") as listening:
        resolve(monkeypatch, ("127.0.0.2", "127.0.0.3"))  # nothing listens on 127.0.0.2
        outcome = await send(f"http://{NAME}:{listening.port}/hooks", settings)
    assert outcome.status_code == 200 and len(listening.requests) == 1


@pytest.mark.parametrize(
    "answer",
    [
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "::a9fe:a9fe",  # IPv4-compatible 169.254.169.254
        "::ffff:169.254.169.254",  # IPv4-mapped
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1, not allowed here
    ],
)
async def test_a_name_resolving_to_an_embedded_private_ipv4_address_is_refused_at_registration_and_delivery(
    monkeypatch, answer
):
    resolve(monkeypatch, answer)
    with pytest.raises(TargetRefused, match=r"resolves to (169\.254\.169\.254|127\.0\.0\.1),"):
        await check_target(f"https://{NAME}/hook", SETTINGS)

    outcome = await send(f"https://{NAME}/hook")

    assert outcome.error is not None
    assert outcome.error.startswith(f"target refused: '{NAME}' resolves to ")


@pytest.mark.parametrize(
    "url",
    [
        "https://[64:ff9b::a9fe:a9fe]/hook",
        "https://[2002:a9fe:a9fe::1]/hook",
        "https://[::169.254.169.254]/hook",
        "https://[::ffff:169.254.169.254]/hook",
        "https://[64:ff9b:1::a9fe:a9fe]/hook",  # local-use NAT64 (RFC 8215)
    ],
)
async def test_an_address_embedding_a_private_ipv4_one_is_refused_at_delivery(url):
    outcome = await send(url)
    # Refused before any connection: a connect to these addresses would fail otherwise.
    assert outcome.error is not None and outcome.error.startswith("target refused: ")


async def test_allow_listed_addresses_are_delivered_to_by_literal_address(receivers):
    checked, rebound = receivers
    outcome = await send(checked.url)
    assert outcome.status_code == 200 and len(checked.requests) == 1 and rebound.requests == []


async def test_with_the_guard_switched_off_deliveries_go_wherever_the_name_points(monkeypatch, receivers):
    checked, rebound = receivers
    resolve(monkeypatch, "127.0.0.1")
    guard_off = AwardSettings(webhook_allow_http=True, webhook_allow_private_targets=True)

    outcome = await send(f"http://{NAME}:{rebound.port}/hooks", guard_off)

    assert outcome.status_code == 200 and len(rebound.requests) == 1 and checked.requests == []
