"""The lists the workspaces page through, over HTTP with the three services in-process
(migrated database, both backends): the assessor pool and the issuers (administrators), an
issuer's own credentials, and one submission's decisions (its attempt history)."""

import pytest

from tests.support.award_path import Earner, open_award_path
from tests.support.in_process import Clients, running_apps
from tests.support.polling import eventually
from tests.support.system import problem

SECRET = "test-secret-for-the-listings"


@pytest.fixture
async def clients(database_url):
    async with running_apps(database_url, SECRET) as apps:
        made = Clients(apps, SECRET)
        yield made
        await made.close()


async def every_page(client, url: str, **params) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        response = await client.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        pages.append(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages


async def test_administrators_page_through_the_whole_assessor_pool(clients):
    path = await open_award_path(clients, assessors=("assessor-a", "assessor-b", "assessor-c"))
    pages = await every_page(path.admin, "/v1/assessors", limit=2)

    listed = [assessor for page in pages for assessor in page]
    assert [len(page) for page in pages] == [2, 1]
    assert [assessor["id"] for assessor in listed] == sorted(path.assessor_ids.values())
    assert {tuple(assessor["micro_credential_ids"]) for assessor in listed} == {(path.micro_credential_id,)}
    assert all(assessor["paused"] is False and assessor["open_assignments"] == 0 for assessor in listed)
    problem(await path.assessors["assessor-a"].get("/v1/assessors"), 403)


async def test_an_issuer_lists_its_own_credentials_revoked_ones_included(clients):
    path = await open_award_path(clients, policy="auto")
    other = await open_award_path(clients, policy="auto")
    first, second = [await path.award(Earner()) for _ in range(2)]
    await other.award(Earner())
    revoked = await path.issuer.post(f"/v1/credentials/{first['credential_id']}/revoke", json={"reason": "In error."})
    assert revoked.status_code == 200, revoked.text

    pages = await every_page(path.issuer, "/v1/credentials", limit=1)
    listed = [item for page in pages for item in page]
    assert [item["credential_id"] for item in listed] == [first["credential_id"], second["credential_id"]]
    assert [item["submission_id"] for item in listed] == [first["id"], second["id"]]
    assert {item["achievement_name"] for item in listed} == {"Belonging and Caring Classroom Climate"}
    assert [(item["revoked_at"] is not None, item["revocation_reason"]) for item in listed] == [
        (True, "In error."),
        (False, None),
    ]
    problem(await clients("award", "platform", path.platform_id).get("/v1/credentials"), 403)


async def test_one_submissions_decisions_are_its_attempt_history(clients):
    path = await open_award_path(clients, policy="auto")
    await path.award(Earner())  # another submission's decision is not listed
    submission_id = await path.submit(Earner())
    view = await path.claim("assessor-a")
    await path.review("assessor-a", view["assignment_id"], "not_yet", "resubmit")
    await path.wait_for_status(submission_id, "resubmission_open")
    await path.resubmit(submission_id, 2)
    view = await path.claim("assessor-a")
    await path.review("assessor-a", view["assignment_id"], "proficient", "award")

    history = await eventually(
        lambda: path.issuer.get("/v1/decisions", params={"submission_id": submission_id}),
        lambda response: len(response.json()["items"]) == 2,
    )
    assert [(item["submission_id"], item["attempt"], item["outcome"]) for item in history.json()["items"]] == [
        (submission_id, 1, "resubmission_open"),
        (submission_id, 2, "awarded"),
    ]
    problem(await path.issuer.get("/v1/decisions", params={"submission_id": "not an id"}), 422)


async def test_administrators_page_through_the_issuers_of_record(clients):
    paths = [await open_award_path(clients) for _ in range(3)]
    admin = paths[0].award_admin
    pages = await every_page(admin, "/v1/issuers", limit=2)

    listed = [issuer["id"] for page in pages for issuer in page]
    assert [path.issuer_id for path in paths] == [issuer for issuer in listed if issuer in {p.issuer_id for p in paths}]
    assert listed == sorted(listed) and len(pages) >= 2
    problem(await paths[0].issuer.get("/v1/issuers"), 403)
