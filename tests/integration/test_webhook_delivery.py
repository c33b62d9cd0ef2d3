"""Webhook delivery rows on a migrated database (both backends): the submission service's
status changes and recorded feedback relayed in order, statuses as numbered, an endpoint's
deliveries about one submission in one line sent one at a time (other submissions' side by
side), a retrying delivery holding its line, a failed one freeing it, a redelivery at its end."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award.models import WebhookDelivery, WebhookMessage
from awardpath_award.recipients.service import RecipientService
from awardpath_award.settings import AwardSettings
from awardpath_award.uow import AwardUnitOfWork
from awardpath_award.webhooks.notifier import WebhookNotifier
from awardpath_award.webhooks.sender import AttemptOutcome, ClaimedDelivery
from awardpath_award.webhooks.service import DeliveryService, WebhookService
from awardpath_shared.events import FeedbackRecorded, SubmissionStatusChanged
from awardpath_shared.ids import new_id, utcnow
from tests.support.award import a_recipient


def settings(**overrides) -> AwardSettings:
    # The address guard stays on: the loopback receivers are allowed by name.
    return AwardSettings(
        master_key="integration-master-key",
        webhook_allow_http=True,
        webhook_allowed_targets="127.0.0.1/32",
        **overrides,
    )


OK = AttemptOutcome(status_code=204, error=None, retry_after=None, duration_ms=3)
UNAVAILABLE = AttemptOutcome(status_code=503, error=None, retry_after=None, duration_ms=3)


@pytest.fixture
def uow(award_session: AsyncSession) -> AwardUnitOfWork:
    return AwardUnitOfWork(award_session)


def changed(submission_id: str, sequence: int, status: str, attempt: int = 1) -> SubmissionStatusChanged:
    return SubmissionStatusChanged(
        submission_id=submission_id, status=status, attempt=attempt, sequence=sequence, changed_at=utcnow()
    )


async def a_platform_with_endpoints(uow: AwardUnitOfWork, config: AwardSettings, count: int) -> tuple[str, list[str]]:
    platform_id = f"platform-{new_id()}"
    webhooks = WebhookService(uow, config)
    endpoints = [
        (await webhooks.create_endpoint(platform_id, f"http://127.0.0.1:9/hooks/{n}", ["submission.status_changed"]))
        for n in range(count)
    ]
    return platform_id, [issued.endpoint.id for issued in endpoints]


async def a_submission_of(uow: AwardUnitOfWork, platform_id: str, *statuses: str) -> str:
    """A submission of the platform whose status changed through `statuses`, relayed."""
    submission_id = new_id()
    await RecipientService(uow).record(a_recipient(submission_id, platform_id=platform_id))
    for sequence, status in enumerate(statuses, start=1):
        WebhookNotifier(uow).relay_status(changed(submission_id, sequence, status))
    await uow.flush()
    return submission_id


def statuses_of(claimed: list[ClaimedDelivery]) -> list[tuple[str, int]]:
    return [(item.message.data["status"], item.message.data["sequence"]) for item in claimed]


async def test_status_changes_and_recorded_feedback_are_relayed_in_the_order_they_came(uow) -> None:
    submission_id = new_id()
    notifier = WebhookNotifier(uow)
    for sequence, status in enumerate(("submitted", "in_review", "awaiting_decision"), start=1):
        notifier.relay_status(changed(submission_id, sequence, status))
    notifier.feedback_available(FeedbackRecorded(submission_id=submission_id, attempt=1, recorded_at=utcnow()))
    notifier.relay_status(changed(submission_id, 4, "denied"))
    await uow.flush()

    messages = list(
        await uow.session.scalars(
            select(WebhookMessage).where(WebhookMessage.submission_id == submission_id).order_by(WebhookMessage.id)
        )
    )
    assert [(message.event_type, message.data) for message in messages] == [
        (
            "submission.status_changed",
            {"submission_id": submission_id, "status": "submitted", "attempt": 1, "sequence": 1},
        ),
        (
            "submission.status_changed",
            {"submission_id": submission_id, "status": "in_review", "attempt": 1, "sequence": 2},
        ),
        (
            "submission.status_changed",
            {"submission_id": submission_id, "status": "awaiting_decision", "attempt": 1, "sequence": 3},
        ),
        ("submission.feedback_available", {"submission_id": submission_id, "attempt": 1}),
        (
            "submission.status_changed",
            {"submission_id": submission_id, "status": "denied", "attempt": 1, "sequence": 4},
        ),
        ("submission.denied", {"submission_id": submission_id, "attempt": 1}),
    ]


async def test_each_submissions_deliveries_to_an_endpoint_go_one_at_a_time_in_order(uow) -> None:
    config = settings()
    deliveries = DeliveryService(uow, config)
    platform_id, (first_endpoint, second_endpoint) = await a_platform_with_endpoints(uow, config, 2)
    await a_submission_of(uow, platform_id, "submitted", "in_review", "awaiting_decision")
    await deliveries.fan_out()

    heads = await deliveries.claim_due()
    assert sorted(item.endpoint.id for item in heads) == sorted([first_endpoint, second_endpoint])
    assert statuses_of(heads) == [("submitted", 1), ("submitted", 1)]
    assert await deliveries.claim_due() == []  # each line has one in flight: nothing else goes

    first = next(item for item in heads if item.endpoint.id == first_endpoint)
    await deliveries.record(first, OK)
    following = await deliveries.claim_due()
    assert [item.endpoint.id for item in following] == [first_endpoint]  # the other is still in flight
    assert statuses_of(following) == [("in_review", 2)]

    line = await line_of(uow, first_endpoint)
    assert [(item.position, item.state) for item in line] == [(1, "delivered"), (2, "pending"), (3, "pending")]


async def test_a_retrying_delivery_holds_its_line_and_a_given_up_one_frees_it(uow) -> None:
    config = settings()
    deliveries = DeliveryService(uow, config)
    platform_id, (endpoint_id,) = await a_platform_with_endpoints(uow, config, 1)
    await a_submission_of(uow, platform_id, "submitted", "in_review")
    await deliveries.fan_out()

    [head] = await deliveries.claim_due()
    await deliveries.record(head, UNAVAILABLE)  # retried later, within the window
    assert await deliveries.claim_due() == []  # the line waits for its retry
    [waiting, behind] = await line_of(uow, endpoint_id)
    assert (waiting.state, waiting.attempts, behind.attempts) == ("pending", 1, 0)

    # Another submission's news is not held up by it.
    await a_submission_of(uow, platform_id, "submitted")
    await deliveries.fan_out()
    [other] = await deliveries.claim_due()
    assert other.message.data["submission_id"] != head.message.data["submission_id"]
    await deliveries.record(other, OK)

    # Its retry is due, on the last day of its window.
    waiting.next_attempt_at = waiting.give_up_at = utcnow() - timedelta(seconds=1)
    await uow.flush()
    [retried] = await deliveries.claim_due()
    assert retried.delivery_id == waiting.id
    await deliveries.record(retried, UNAVAILABLE)  # past the window: given up
    [next_in_line] = await deliveries.claim_due()
    assert statuses_of([next_in_line]) == [("in_review", 2)]
    assert [item.state for item in await line_of(uow, endpoint_id)] == ["failed", "pending", "delivered"]


async def test_a_redelivery_joins_the_end_of_its_line(uow) -> None:
    config = settings()
    deliveries = DeliveryService(uow, config)
    platform_id, (endpoint_id,) = await a_platform_with_endpoints(uow, config, 1)
    submission_id = await a_submission_of(uow, platform_id, "submitted")
    await deliveries.fan_out()
    [first] = await deliveries.claim_due()
    await deliveries.record(first, OK)
    WebhookNotifier(uow).relay_status(changed(submission_id, 2, "in_review"))
    await uow.flush()
    await deliveries.fan_out()

    await WebhookService(uow, config).redeliver(platform_id, endpoint_id, first.delivery_id)
    line = await line_of(uow, endpoint_id)
    assert [(item.id == first.delivery_id, item.position, item.state) for item in line] == [
        (False, 2, "pending"),
        (True, 3, "pending"),
    ]
    [head] = await deliveries.claim_due()
    assert head.delivery_id != first.delivery_id and statuses_of([head]) == [("in_review", 2)]


async def line_of(uow: AwardUnitOfWork, endpoint_id: str) -> list[WebhookDelivery]:
    await uow.flush()
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.position)
        .execution_options(populate_existing=True)
    )
    return list(await uow.session.scalars(query))
