"""Attempts across submissions through the three running apps (in-process transport, a
database of the test's own, both backends): concurrent submissions of one earner open one,
numbering goes on after a withdrawal up to the issuer's max_attempts, and the issuer's restart
rule, published with the micro-credential, decides when a denied earner starts again."""

import asyncio

import pytest

from tests.support.award_path import AwardPath, Earner, evidence, open_award_path
from tests.support.in_process import running_clients
from tests.support.polling import eventually
from tests.support.system import problem

SECRET = "test-secret-for-attempts"


@pytest.fixture
async def clients(database_url):
    async with running_clients(database_url, SECRET) as made:
        yield made


def body(path: AwardPath, earner: Earner) -> dict:
    return {"micro_credential_id": path.micro_credential_id, "earner": earner.as_json(), "evidence": evidence("x")}


async def assess_and_decide(path: AwardPath, submission_id: str, attempt: int, decision: dict) -> dict:
    view = await path.claim("assessor-a")
    assert view["attempt"] == attempt
    await path.review("assessor-a", view["assignment_id"], "developing", "resubmit")
    pending = await path.pending_decision(submission_id, attempt)
    return await path.decide(pending["id"], decision)


async def test_concurrent_submissions_of_one_earner_open_exactly_one(clients):
    path = await open_award_path(clients)
    await path.submit(Earner())  # the catalog reached the submission service
    earner = Earner()

    responses = await asyncio.gather(
        *(path.platform.post("/v1/submissions", json=body(path, earner)) for _ in range(8))
    )

    created = [response for response in responses if response.status_code == 201]
    assert len(created) == 1, [response.text for response in responses]
    open_id = created[0].json()["id"]
    for response in responses:
        if response.status_code != 201:
            refused = problem(response, 409)
            assert refused["type"].endswith("/open-submission") and refused["open_submission_id"] == open_id
    listed = await path.platform.get("/v1/submissions", params={"earner_external_id": earner.external_id})
    assert [item["id"] for item in listed.json()["items"]] == [open_id]


async def test_a_new_submission_goes_on_from_the_earners_attempts_and_max_attempts_holds(clients):
    path = await open_award_path(clients, max_attempts=3)
    earner = Earner()
    first = await path.submit(earner)
    await path.wait_for_status(first, "in_review")
    withdrawn = await path.platform.post(f"/v1/submissions/{first}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    queue = path.assessors["assessor-a"]
    await eventually(lambda: queue.get("/v1/queue"), lambda response: response.json()["items"] == [])

    second = await path.submit(earner, attempt=2)
    reopen = {"decision": "deny", "resubmission_allowed": True}
    await assess_and_decide(path, second, 2, reopen)
    await path.wait_for_status(second, "resubmission_open")
    await path.resubmit(second, 3)
    last = await assess_and_decide(path, second, 3, reopen)

    assert last["outcome"] == "denied" and "attempt 3 was the last of 3" in last["note"]
    await path.wait_for_status(second, "denied")
    refused = problem(await path.platform.post("/v1/submissions", json=body(path, earner)), 409)
    assert refused["type"].endswith("/restart-not-allowed") and refused["last_submission_id"] == second


async def test_the_issuers_restart_rule_is_published_and_decides_a_new_start(clients):
    path = await open_award_path(clients, max_attempts=1, restart_after_days=0)
    published = await clients("award", None).get(f"/v1/micro-credentials/{path.micro_credential_id}")
    assert published.json()["restart_after_days"] == 0
    earner = Earner()
    denied = await path.submit(earner)
    await assess_and_decide(path, denied, 1, {"decision": "deny"})
    await path.wait_for_status(denied, "denied")

    again = await path.submit(earner, attempt=1)  # a new round at once: zero days

    assert again != denied
    problem(await path.platform.post("/v1/submissions", json=body(path, earner)), 409)  # and one open at a time
