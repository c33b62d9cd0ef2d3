"""`POST /v1/submissions/{id}/withdraw` through the three running apps (in-process transport,
a database of the test's own, both backends): in each open state the work is dropped where
it is (the queue, a leased assignment and the assessor's capacity, a pending decision), the
timeline and the webhooks say `withdrawn`; a final submission is a 409, another platform's a 403."""

from ipaddress import ip_network

import pytest

from tests.support.award_path import AwardPath, Earner, evidence, open_award_path, review
from tests.support.in_process import running_clients
from tests.support.polling import eventually
from tests.support.system import problem
from tests.support.webhook_receiver import WebhookReceiver

SECRET = "test-secret-for-withdrawals"
# Webhooks to the loopback receiver; the address guard stays on.
AWARD = {
    "webhook_allow_http": True,
    "webhook_allowed_targets": (ip_network("127.0.0.1/32"),),
    "webhook_poll_interval_seconds": 0.1,
}


@pytest.fixture
async def clients(database_url):
    async with running_clients(database_url, SECRET, per_service={"award": AWARD}) as made:
        yield made


async def withdraw(path: AwardPath, submission_id: str, reason: str | None = None) -> dict:
    body = {"reason": reason} if reason else None
    response = await path.platform.post(f"/v1/submissions/{submission_id}/withdraw", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
    return response.json()


async def statuses(path: AwardPath, submission_id: str) -> list[str]:
    return [entry["status"] for entry in await path.timeline(submission_id)]


async def test_waiting_work_leaves_the_queue(clients):
    path = await open_award_path(clients, assessors=())  # nobody to assess: the attempt waits
    submission_id = await path.submit(Earner())

    def unassigned():
        return path.admin.get("/v1/unassigned")

    await eventually(unassigned, lambda response: response.json()["count"] == 1)

    await withdraw(path, submission_id, "The teacher changed schools.")

    await eventually(unassigned, lambda response: response.json()["count"] == 0)
    assert await statuses(path, submission_id) == ["submitted", "withdrawn"]
    [last] = (await path.timeline(submission_id))[-1:]
    assert last["detail"] == "withdrawn by the platform: The teacher changed schools."


async def test_a_leased_assignment_ends_and_frees_the_assessors_capacity(clients):
    path = await open_award_path(clients)
    submission_id = await path.submit(Earner())
    view = await path.claim("assessor-a")  # leased
    await path.wait_for_status(submission_id, "in_review")
    assessor = f"/v1/assessors/{path.assessor_ids['assessor-a']}"
    assert (await path.admin.get(assessor)).json()["open_assignments"] == 1

    await withdraw(path, submission_id)

    await eventually(lambda: path.admin.get(assessor), lambda response: response.json()["open_assignments"] == 0)
    assert (await path.assessors["assessor-a"].get("/v1/queue")).json()["items"] == []
    late = await path.assessors["assessor-a"].post(
        f"/v1/assignments/{view['assignment_id']}/review", json=review("proficient", "award")
    )
    assert problem(late, 409)["type"].endswith("/submission-withdrawn")
    assert await statuses(path, submission_id) == ["submitted", "in_review", "withdrawn"]


async def test_a_pending_decision_is_cancelled_and_the_webhooks_say_withdrawn(clients):
    path = await open_award_path(clients)
    with WebhookReceiver() as receiver:
        registered = await clients("award", "platform", path.platform_id).post(
            "/v1/webhook-endpoints", json={"url": receiver.url, "events": ["submission.status_changed"]}
        )
        assert registered.status_code == 201, registered.text
        submission_id = await path.submit(Earner())
        view = await path.claim("assessor-a")
        await path.review("assessor-a", view["assignment_id"], "proficient", "award")
        decision = await path.pending_decision(submission_id, attempt=1)
        await path.wait_for_status(submission_id, "awaiting_decision")

        await withdraw(path, submission_id)

        cancelled = await eventually(
            lambda: path.issuer.get(f"/v1/decisions/{decision['id']}"),
            lambda response: response.json()["state"] == "cancelled",
        )
        assert cancelled.json()["cancelled_at"]
        refused = problem(await path.issuer.post(f"/v1/decisions/{decision['id']}", json={"decision": "award"}), 409)
        assert refused["type"].endswith("/decision-cancelled")
        expected = ["submitted", "in_review", "awaiting_decision", "withdrawn"]
        assert await statuses(path, submission_id) == expected
        got = await eventually(receiver.processed, lambda got: len(got) == len(expected))
        assert [item.event["data"]["status"] for item in got] == expected


async def test_an_open_resubmission_is_withdrawn_and_takes_no_attempt(clients):
    path = await open_award_path(clients)
    submission_id = await path.submit(Earner())
    view = await path.claim("assessor-a")
    await path.review("assessor-a", view["assignment_id"], "developing", "resubmit")
    decision = await path.pending_decision(submission_id, attempt=1)
    await path.decide(decision["id"], {"decision": "deny", "resubmission_allowed": True})
    await path.wait_for_status(submission_id, "resubmission_open")

    await withdraw(path, submission_id)

    again = await path.platform.post(f"/v1/submissions/{submission_id}/attempts", json={"evidence": evidence("2")})
    assert problem(again, 409)["type"].endswith("/resubmission-not-open")
    assert (await statuses(path, submission_id))[-2:] == ["resubmission_open", "withdrawn"]


async def test_a_final_submission_is_a_409_and_another_platforms_a_403(clients):
    path = await open_award_path(clients)
    finals = {}
    for decision_body, status in (
        ({"decision": "award"}, "awarded"),
        ({"decision": "deny"}, "denied"),
    ):
        submission_id = await path.submit(Earner())
        view = await path.claim("assessor-a")
        await path.review("assessor-a", view["assignment_id"], "proficient", "award")
        decision = await path.pending_decision(submission_id, attempt=1)
        await path.decide(decision["id"], decision_body)
        finals[status] = (await path.wait_for_status(submission_id, status))["id"]
    finals["withdrawn"] = (await withdraw(path, await path.submit(Earner())))["id"]

    for status, submission_id in finals.items():
        refused = problem(await path.platform.post(f"/v1/submissions/{submission_id}/withdraw"), 409)
        assert refused["type"].endswith("/submission-closed") and refused["submission_status"] == status
        assert (await path.submission(submission_id))["status"] == status

    open_one = await path.submit(Earner())
    other = clients("submission", "platform", "another-platform")
    problem(await other.post(f"/v1/submissions/{open_one}/withdraw"), 403)
    problem(await path.platform.post("/v1/submissions/no-such-submission/withdraw"), 404)
    problem(await path.platform.post(f"/v1/submissions/{open_one}/withdraw", json={"reason": "x", "why": 1}), 422)
    assert (await path.submission(open_one))["status"] in ("submitted", "in_review")
