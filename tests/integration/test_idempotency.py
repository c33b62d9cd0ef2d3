"""Idempotency-Key on the POSTs a client may retry: the same key and request return the first
response and do the work once, sequentially or concurrently; the same key with another
request is a 422; keys belong to their caller and expire (in-process apps, both backends)."""

import asyncio
from ipaddress import ip_network

import pytest

from tests.support.award_path import Earner, evidence, open_award_path, review
from tests.support.in_process import running_clients
from tests.support.polling import eventually
from tests.support.system import problem

SECRET = "test-secret-for-idempotency"


@pytest.fixture
async def clients(database_url):
    testnet = {"award": {"webhook_allowed_targets": (ip_network("203.0.113.0/24"),)}}
    async with running_clients(database_url, SECRET, per_service=testnet) as made:
        yield made


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def submission_body(path, earner: Earner) -> dict:
    return {"micro_credential_id": path.micro_credential_id, "earner": earner.as_json(), "evidence": evidence("x")}


async def submissions_of(path, earner: Earner) -> list[dict]:
    listed = await path.platform.get("/v1/submissions", params={"earner_external_id": earner.external_id})
    return listed.json()["items"]


async def test_a_retried_submission_returns_the_first_response_and_stores_one(clients):
    path = await open_award_path(clients, policy="manual")
    await path.submit(Earner())  # the catalog reached the submission service
    earner = Earner()
    body = submission_body(path, earner)

    first = await path.platform.post("/v1/submissions", json=body, headers=keyed("retry-1"))
    again = await path.platform.post("/v1/submissions", json=body, headers=keyed("retry-1"))

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert [item["id"] for item in await submissions_of(path, earner)] == [first.json()["id"]]
    # Without a key, a second POST is a second request: refused, the earner has one open.
    unkeyed = await path.platform.post("/v1/submissions", json=body)
    assert problem(unkeyed, 409)["open_submission_id"] == first.json()["id"]


async def test_eight_identical_concurrent_posts_store_one_submission(clients):
    path = await open_award_path(clients, policy="manual")
    await path.submit(Earner())
    earner = Earner()
    body = submission_body(path, earner)

    responses = await asyncio.gather(
        *(path.platform.post("/v1/submissions", json=body, headers=keyed("together")) for _ in range(8))
    )

    assert [response.status_code for response in responses] == [201] * 8, [r.text for r in responses]
    assert len({response.json()["id"] for response in responses}) == 1
    assert sum("idempotent-replayed" in response.headers for response in responses) == 7
    assert len(await submissions_of(path, earner)) == 1


async def test_the_same_key_with_another_request_is_a_422_and_changes_nothing(clients):
    path = await open_award_path(clients, policy="manual")
    await path.submit(Earner())
    earner, other = Earner(), Earner()
    assert (
        await path.platform.post("/v1/submissions", json=submission_body(path, earner), headers=keyed("k"))
    ).is_success

    reused = await path.platform.post("/v1/submissions", json=submission_body(path, other), headers=keyed("k"))

    assert problem(reused, 422)["type"].endswith("/idempotency-key-reused")
    assert await submissions_of(path, other) == []
    for malformed in [b"", b"has space", b"x" * 256, "caf\u00e9".encode()]:
        headers = {"Idempotency-Key": malformed}
        response = await path.platform.post("/v1/submissions", json=submission_body(path, other), headers=headers)
        assert problem(response, 400)["type"].endswith("/bad-idempotency-key"), malformed
    assert await submissions_of(path, other) == []


async def test_a_refused_request_leaves_its_key_unused(clients):
    path = await open_award_path(clients, policy="manual")
    await path.submit(Earner())
    earner = Earner()
    broken = submission_body(path, earner)
    broken["evidence"].pop()
    problem(await path.platform.post("/v1/submissions", json=broken, headers=keyed("second-try")), 422)

    fixed = await path.platform.post("/v1/submissions", json=submission_body(path, earner), headers=keyed("second-try"))

    assert fixed.status_code == 201 and "idempotent-replayed" not in fixed.headers


async def test_keys_belong_to_their_caller(clients):
    path = await open_award_path(clients, policy="manual")
    await path.submit(Earner())
    other_platform = clients("submission", "platform", "another-platform")
    body = submission_body(path, Earner())

    mine = await path.platform.post("/v1/submissions", json=body, headers=keyed("shared-key"))
    theirs = await other_platform.post("/v1/submissions", json=body, headers=keyed("shared-key"))

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"] and "idempotent-replayed" not in theirs.headers


async def test_reviews_decisions_revocations_and_webhook_endpoints_replay_instead_of_conflicting(clients):
    path = await open_award_path(clients, policy="manual")
    submission_id = await path.submit(Earner())
    view = await path.claim("assessor-a")
    review_url = f"/v1/assignments/{view['assignment_id']}/review"
    assessor = path.assessors["assessor-a"]

    reviewed = [await assessor.post(review_url, json=review("proficient", "award"), headers=keyed("r")) for _ in "12"]
    assert [r.status_code for r in reviewed] == [201, 201] and reviewed[0].json() == reviewed[1].json()

    decision = await path.pending_decision(submission_id, attempt=1)
    decided = [
        await path.issuer.post(f"/v1/decisions/{decision['id']}", json={"decision": "award"}, headers=keyed("d"))
        for _ in "12"
    ]
    assert [d.status_code for d in decided] == [200, 200] and decided[0].json() == decided[1].json()

    submission = await eventually(lambda: path.submission(submission_id), lambda body: body["credential_id"])
    revoke_url = f"/v1/credentials/{submission['credential_id']}/revoke"
    revoked = [await path.issuer.post(revoke_url, json={"reason": "issued in error"}, headers=keyed("v")) for _ in "12"]
    assert [r.status_code for r in revoked] == [200, 200] and revoked[0].json() == revoked[1].json()

    platform = clients("award", "platform", path.platform_id)
    endpoint = {"url": "https://203.0.113.7/hooks", "events": ["submission.awarded"]}
    created = [await platform.post("/v1/webhook-endpoints", json=endpoint, headers=keyed("w")) for _ in "12"]
    # The signing secret is shown once: no copy is kept to replay, the retry is told it was done.
    assert created[0].status_code == 201 and created[0].json()["secret"].startswith("whsec_")
    assert problem(created[1], 409)["type"].endswith("/secret-not-kept") and "whsec_" not in created[1].text
    assert len((await platform.get("/v1/webhook-endpoints")).json()["items"]) == 1


async def test_a_replay_keeps_the_location_of_what_was_made(clients):
    path = await open_award_path(clients, policy="manual")
    await path.submit(Earner())
    body = submission_body(path, Earner())
    first = await path.platform.post("/v1/submissions", json=body, headers=keyed("where"))
    again = await path.platform.post("/v1/submissions", json=body, headers=keyed("where"))
    assert first.headers.get("location") and again.headers.get("location") == first.headers["location"]


async def test_a_public_call_claims_no_key(clients):
    public = clients("award", None)
    for _ in "12":
        response = await public.post("/v1/verify", json={"not": "a credential"}, headers=keyed("anyone"))
        assert response.status_code == 200 and "idempotent-replayed" not in response.headers


async def test_a_key_is_forgotten_after_its_time(database_url):
    # Kept for no time at all: expired by the next request.
    async with running_clients(database_url, SECRET, idempotency_key_ttl_hours=0) as clients:
        path = await open_award_path(clients, policy="manual")
        await path.submit(Earner())
        earner = Earner()
        body = submission_body(path, earner)
        first = await path.platform.post("/v1/submissions", json=body, headers=keyed("short-lived"))
        later = await path.platform.post("/v1/submissions", json=body, headers=keyed("short-lived"))

    # Handled anew, not replayed: the earner's submission is open already.
    assert first.status_code == 201 and "idempotent-replayed" not in later.headers
    assert problem(later, 409)["open_submission_id"] == first.json()["id"]
