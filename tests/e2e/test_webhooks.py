"""Webhooks to a real HTTP receiver on loopback: Standard Webhooks signatures, retries until
the receiver recovers, exactly-once by `webhook-id`, 410 disabling, and a restart."""

import asyncio
from typing import Any

from standardwebhooks.webhooks import Webhook

from tests.support.award_path import AwardPath, Earner, open_award_path
from tests.support.polling import eventually
from tests.support.system import problem
from tests.support.webhook_receiver import WebhookReceiver

ALL_EVENTS = [
    "submission.status_changed",
    "submission.feedback_available",
    "submission.awarded",
    "submission.denied",
    "credential.revoked",
]


async def register(path: AwardPath, clients, url: str, events: list[str] = ALL_EVENTS) -> dict[str, Any]:
    platform = clients("award", "platform", path.platform_id)
    response = await platform.post("/v1/webhook-endpoints", json={"url": url, "events": events})
    assert response.status_code == 201, response.text
    assert response.json()["secret"].startswith("whsec_")
    return response.json()


def summary(received) -> list[tuple[str, Any]]:
    return [(item.event["type"], item.event["data"].get("status")) for item in received]


async def test_a_receiver_that_fails_then_recovers_gets_every_event_once_signed(system, clients):
    path = await open_award_path(clients, policy="auto")
    earner = Earner()
    with WebhookReceiver() as receiver:
        receiver.script = [(500, {}), (500, {}), (503, {"Retry-After": "1"}), (502, {})]
        endpoint = await register(path, clients, receiver.url)
        submission = await path.award(earner)
        expected = [
            ("submission.status_changed", "submitted"),
            ("submission.status_changed", "in_review"),
            ("submission.feedback_available", None),
            ("submission.status_changed", "awarded"),
            ("submission.awarded", None),
        ]
        # Under the auto policy the decision may overtake the review (another topic): the
        # submission then goes from in_review to awarded, never awaiting_decision, but the
        # feedback is announced all the same.
        overtaken = ("submission.status_changed", "awaiting_decision")
        await eventually(receiver.processed, lambda got: set(expected) <= set(summary(got)), timeout=30)

        processed = receiver.processed()
        assert sorted(item for item in summary(processed) if item != overtaken) == sorted(expected)
        assert len(receiver.requests) > len(processed)  # the failures were retried...
        assert len({item.webhook_id for item in receiver.requests}) == len(processed)  # ...with the same ids
        for item in receiver.requests:
            Webhook(endpoint["secret"]).verify(item.body, item.headers)  # raises unless signed
            assert earner.email.encode() not in item.body and earner.name.encode() not in item.body
        awarded = next(item.event for item in processed if item.event["type"] == "submission.awarded")
        assert awarded["data"]["submission_id"] == submission["id"]
        assert awarded["data"]["credential_id"] == submission["credential_id"]

        platform = clients("award", "platform", path.platform_id)
        log = (await platform.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries")).json()["items"]
        assert {item["state"] for item in log} == {"delivered"} and sum(item["attempts"] for item in log) > len(log)
        first = log[0]
        detail = (await platform.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{first['id']}")).json()
        assert [attempt["status_code"] for attempt in detail["log"]][-1] == 200

        # Secret rotation: both secrets sign until the old one expires.
        rotated = await platform.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret")
        assert rotated.status_code == 200, rotated.text
        revoked = await path.issuer.post(
            f"/v1/credentials/{submission['credential_id']}/revoke", json={"reason": "test"}
        )
        assert revoked.status_code == 200, revoked.text
        revocation = (
            await eventually(receiver.processed, lambda got: "credential.revoked" in [i.event["type"] for i in got])
        )[-1]
        assert revocation.event["data"] == {
            "submission_id": submission["id"],
            "credential_id": submission["credential_id"],
        }
        assert len(revocation.headers["webhook-signature"].split(" ")) == 2
        for secret in (endpoint["secret"], rotated.json()["secret"]):
            Webhook(secret).verify(revocation.body, revocation.headers)

        # A redelivery sends the same webhook-id again.
        redelivered = await platform.post(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{first['id']}/redeliver")
        assert redelivered.status_code == 202, redelivered.text
        await eventually(
            lambda: [r for r in receiver.requests if r.webhook_id == first["webhook_id"] and r.answered == 200],
            lambda found: len(found) == 2,
        )


async def test_each_endpoint_gets_every_submissions_statuses_in_timeline_order_one_at_a_time(system, clients):
    """Many submissions change status at once (submitted side by side, reviewed side by
    side, decided side by side, half resubmitted and decided again). Two endpoints of the
    platform each get every status change once, each submission's in the order of its
    timeline, and never two requests about one submission at once, through retries at the
    start."""
    path = await open_award_path(clients, policy="manual", assessors=("assessor-a", "assessor-b"))
    with WebhookReceiver() as first, WebhookReceiver() as second:
        receivers = (first, second)
        for receiver in receivers:
            receiver.hold_seconds = 0.02  # long enough for a second request to overlap, were one sent
            await register(path, clients, receiver.url, ["submission.status_changed"])
        first.script = [(500, {}), (503, {}), (500, {})]  # the head of the line is retried first

        submission_ids = await asyncio.gather(*(path.submit(Earner()) for _ in range(8)))
        await path.review_all(len(submission_ids), "proficient", "award")
        for submission_id in submission_ids:  # decisions overtaking reviews would skip a status
            await path.wait_for_status(submission_id, "awaiting_decision")
        decisions = await path.pending_decisions(len(submission_ids))
        again = {item["submission_id"] for item in decisions[::2]}
        deny = {"decision": "deny", "resubmission_allowed": True, "note": "Add student voices."}
        await asyncio.gather(
            *(
                path.decide(item["id"], deny if item["submission_id"] in again else {"decision": "award"})
                for item in decisions
            )
        )
        for submission_id in again:
            await path.wait_for_status(submission_id, "resubmission_open")
        await asyncio.gather(*(path.resubmit(submission_id, 2) for submission_id in again))
        await path.review_all(len(again), "proficient", "award")
        for submission_id in again:
            await path.wait_for_status(submission_id, "awaiting_decision")
        await asyncio.gather(
            *(path.decide(item["id"], {"decision": "award"}) for item in await path.pending_decisions(len(again)))
        )
        for submission_id in submission_ids:
            await path.wait_for_status(submission_id, "awarded")

        timelines = {submission_id: await path.timeline(submission_id) for submission_id in submission_ids}
        expected = {
            submission_id: [(entry["status"], entry["attempt"], entry["sequence"]) for entry in entries]
            for submission_id, entries in timelines.items()
        }
        assert {len(statuses) for statuses in expected.values()} == {4, 8}
        total = sum(len(statuses) for statuses in expected.values())
        for receiver in receivers:
            await eventually(receiver.processed, lambda got: len(got) >= total, timeout=60)
            assert per_submission(receiver.processed()) == expected
            # Every request, the retried ones too, never goes back in a submission's timeline...
            sent = per_submission(list(receiver.requests))
            assert all(statuses == sorted(statuses, key=lambda status: status[2]) for statuses in sent.values())
            # ...and never two about one submission at once.
            assert receiver.most_in_flight_of_one_submission == 1
        assert len(first.requests) == total + 3


def per_submission(received) -> dict[str, list[tuple[str, int, int]]]:
    """Each submission's status changes as received, in the order received."""
    statuses: dict[str, list[tuple[str, int, int]]] = {}
    for item in received:
        data = item.event["data"]
        statuses.setdefault(data["submission_id"], []).append((data["status"], data["attempt"], data["sequence"]))
    return statuses


async def test_a_410_disables_the_endpoint_until_it_is_enabled_again(system, clients):
    path = await open_award_path(clients, policy="manual")
    with WebhookReceiver() as receiver:
        receiver.default_status = 410
        endpoint = await register(path, clients, receiver.url, ["submission.status_changed"])
        platform = clients("award", "platform", path.platform_id)
        submission_id = await path.submit(Earner())
        disabled = await eventually(
            lambda: platform.get(f"/v1/webhook-endpoints/{endpoint['id']}"), lambda r: r.json()["enabled"] is False
        )
        assert disabled.json()["disabled_reason"]
        view = await path.claim("assessor-a")

        def settled(response) -> bool:
            # A delivery already under way when the first 410 came meets a 410 too; one
            # fanned out but not yet sent waits, parked, for the endpoint to be enabled.
            log = response.json()["items"]
            failed = [item for item in log if item["state"] == "failed"]
            parked = [item for item in log if item["state"] == "pending" and item["attempts"] == 0]
            return len(failed) + len(parked) == len(log) and len(failed) == len(receiver.requests)

        log = (
            await eventually(lambda: platform.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"), settled)
        ).json()
        gone = [item for item in log["items"] if item["state"] == "failed"]
        assert gone and {(item["last_status_code"], item["attempts"]) for item in gone} == {(410, 1)}
        assert problem(
            await platform.post(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{gone[0]['id']}/redeliver"), 409
        )

        receiver.default_status = 204
        assert (await platform.post(f"/v1/webhook-endpoints/{endpoint['id']}/enable")).json()["enabled"] is True
        await path.review("assessor-a", view["assignment_id"], "developing", "resubmit")
        await eventually(
            receiver.processed,
            lambda got: ("submission.status_changed", "awaiting_decision") in summary(got),
        )
        # What was answered 410 is never sent again.
        assert not {item["webhook_id"] for item in gone} & {item.webhook_id for item in receiver.processed()}
        assert submission_id


async def test_deliveries_pending_at_a_restart_are_delivered_after_it(system, clients):
    path = await open_award_path(clients, policy="manual")
    with WebhookReceiver() as receiver:
        receiver.default_status = 500
        endpoint = await register(path, clients, receiver.url, ["submission.status_changed"])
        platform = clients("award", "platform", path.platform_id)
        submission_id = await path.submit(Earner())
        await eventually(
            lambda: platform.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"),
            lambda r: (
                [item["attempts"] for item in r.json()["items"]] >= [1] and r.json()["items"][0]["state"] == "pending"
            ),
        )
        system.stop()
        receiver.default_status = 200
        system.start()
        submitted = {"submission_id": submission_id, "status": "submitted", "attempt": 1, "sequence": 1}
        await eventually(
            receiver.processed,
            lambda got: submitted in [item.event["data"] for item in got],
            timeout=30,
        )
        failed_before = [r for r in receiver.requests if r.answered == 500 and r.event["data"] == submitted]
        assert failed_before  # it was pending (failed once) when the system stopped

        # The receiver answered; the delivery log records it in a transaction of its own after.
        async def first_delivery() -> dict:
            log = (await platform.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries")).json()["items"]
            return next(item for item in log if item["webhook_id"] == failed_before[0].webhook_id)

        first = await eventually(first_delivery, lambda item: item["state"] != "pending")
        assert first["state"] == "delivered" and first["attempts"] >= 2


async def test_webhook_urls_are_validated(system, clients):
    path = await open_award_path(clients)
    platform = clients("award", "platform", path.platform_id)
    for body in [
        {"url": "ftp://example.org/hook", "events": ["submission.denied"]},
        {"url": "https://user:pw@example.org/hook", "events": ["submission.denied"]},
        {"url": "https://[64:ff9b::a9fe:a9fe]/", "events": ["submission.denied"]},  # NAT64 of 169.254.169.254
        {"url": "https://example.org/hook", "events": ["no.such_event"]},
        {"url": "https://example.org/hook", "events": []},
    ]:
        assert problem(await platform.post("/v1/webhook-endpoints", json=body), 422)
    assert problem(
        await clients("award", "issuer", path.issuer_id).post(
            "/v1/webhook-endpoints", json={"url": "https://example.org/h", "events": ["submission.denied"]}
        ),
        403,
    )
    other = clients("award", "platform", "another-platform")
    endpoint = await register(path, clients, "https://203.0.113.7/hook", ["submission.denied"])
    assert problem(await other.get(f"/v1/webhook-endpoints/{endpoint['id']}"), 403)
