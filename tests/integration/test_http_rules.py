"""Roles, tenants and bad input at the HTTP boundary of all three services (in-process
transport, migrated database on both backends)."""

import pytest

from awardpath_shared.auth import mint_token
from awardpath_shared.settings import ServiceSettings
from tests.support.award_path import (
    Earner,
    evidence,
    micro_credential_definition,
    open_award_path,
    review,
)
from tests.support.in_process import Clients, running_apps
from tests.support.polling import eventually
from tests.support.system import problem

SECRET = "test-secret-for-http-rules"


@pytest.fixture
async def apps(database_url):
    async with running_apps(database_url, SECRET, max_request_bytes=200_000) as started:
        yield started


@pytest.fixture
async def clients(apps):
    made = Clients(apps, SECRET)
    yield made
    await made.close()


@pytest.mark.parametrize(
    ("service", "method", "path"),
    [
        ("submission", "GET", "/v1/submissions"),
        ("assessment", "GET", "/v1/queue"),
        ("award", "GET", "/v1/decisions"),
        ("award", "POST", "/v1/issuers"),
    ],
)
async def test_calls_without_a_valid_token_are_401(clients, service, method, path):
    assert problem(await clients(service, None).request(method, path), 401)
    forged = mint_token(ServiceSettings(jwt_secret="other-secret"), "admin", "x")
    assert problem(await clients(service, "admin", token=forged).request(method, path), 401)
    assert problem(await clients(service, "admin", token="not-a-jwt").request(method, path), 401)


@pytest.mark.parametrize(
    ("service", "role", "method", "path"),
    [
        ("submission", "assessor", "GET", "/v1/submissions"),
        ("submission", "issuer", "POST", "/v1/submissions"),
        ("assessment", "platform", "GET", "/v1/queue"),
        ("assessment", "assessor", "POST", "/v1/assessors"),
        ("award", "platform", "GET", "/v1/decisions"),
        ("award", "issuer", "POST", "/v1/issuers"),
    ],
)
async def test_the_wrong_role_is_403(clients, service, role, method, path):
    assert problem(await clients(service, role).request(method, path, json={}), 403)


async def test_each_tenant_sees_only_its_own(clients):
    path = await open_award_path(clients, policy="manual", assessors=("assessor-a", "assessor-b"))
    other_issuer_path = await open_award_path(clients, policy="manual")
    submission_id = await path.submit(Earner())

    other_platform = clients("submission", "platform", "another-platform")
    problem(await other_platform.get(f"/v1/submissions/{submission_id}"), 403)
    problem(await other_platform.get(f"/v1/submissions/{submission_id}/timeline"), 403)
    problem(
        await other_platform.post(f"/v1/submissions/{submission_id}/attempts", json={"evidence": evidence("x")}), 403
    )
    assert (await other_platform.get("/v1/submissions")).json()["items"] == []
    assert [item["id"] for item in (await path.platform.get("/v1/submissions")).json()["items"]] == [submission_id]

    # Exactly one of the two assessors got the work; the other cannot read or review it.
    async def queue(name):
        return (await path.assessors[name].get("/v1/queue")).json()["items"]

    queues = await eventually(
        lambda: _both(queue("assessor-a"), queue("assessor-b")), lambda pair: len(pair[0]) + len(pair[1]) == 1
    )
    holder, outsider = ("assessor-a", "assessor-b") if queues[0] else ("assessor-b", "assessor-a")
    assignment_id = (queues[0] or queues[1])[0]["assignment_id"]
    problem(await path.assessors[outsider].get(f"/v1/assignments/{assignment_id}"), 403)
    problem(
        await path.assessors[outsider].post(
            f"/v1/assignments/{assignment_id}/review", json=review("proficient", "award")
        ),
        403,
    )
    assert (await path.assessors[outsider].post("/v1/queue/claim")).status_code == 204

    await path.review(holder, assignment_id, "proficient", "award")
    decision = await path.pending_decision(submission_id, attempt=1)
    other_issuer = other_issuer_path.issuer
    problem(await other_issuer.get(f"/v1/decisions/{decision['id']}"), 403)
    problem(await other_issuer.post(f"/v1/decisions/{decision['id']}", json={"decision": "award"}), 403)
    pending_for_other = (await other_issuer.get("/v1/decisions", params={"state": "pending"})).json()["items"]
    assert decision["id"] not in [item["id"] for item in pending_for_other]
    hijack = micro_credential_definition(other_issuer_path.issuer_id)
    problem(await other_issuer.post(f"/v1/micro-credentials/{path.micro_credential_id}/versions", json=hijack), 403)


async def _both(first, second):
    return await first, await second


async def submission_ids(path) -> list[str]:
    return [item["id"] for item in (await path.platform.get("/v1/submissions")).json()["items"]]


def _valid_body(path, earner):
    return {
        "micro_credential_id": path.micro_credential_id,
        "earner": earner.as_json(),
        "evidence": evidence("attempt 1"),
    }


BAD_SUBMISSIONS = {
    "unknown section": lambda body: body["evidence"].append({"section_id": "essay", "text": "x"}),
    "missing section": lambda body: body["evidence"].pop(),
    "repeated section": lambda body: body["evidence"].append(dict(body["evidence"][0])),
    "empty text": lambda body: body["evidence"][0].update(text=""),
    "blank text": lambda body: body["evidence"][0].update(text="   \n "),
    "bad sha256": lambda body: body["evidence"][1]["artifacts"][0].update(sha256="xyz"),
    "bad artifact url": lambda body: body["evidence"][1]["artifacts"][0].update(url="not a url"),
    "artifact without media type": lambda body: body["evidence"][1]["artifacts"][0].pop("media_type"),
    "unknown artifact field": lambda body: body["evidence"][1]["artifacts"][0].update(size="big"),
    "bad email": lambda body: body["earner"].update(email="nobody"),
    "no earner": lambda body: body.pop("earner"),
    "unknown micro-credential": lambda body: body.update(micro_credential_id="no-such-thing"),
    "evidence not a list": lambda body: body.update(evidence="all of it"),
    "oversized text": lambda body: body["evidence"][0].update(text="x" * 60_000),
    "NUL in text": lambda body: body["evidence"][0].update(text="before\x00after"),
    "NUL in earner name": lambda body: body["earner"].update(name="Ada\x00"),
    "NUL in section id": lambda body: body["evidence"][0].update(section_id="overview\x00"),
}


async def test_bad_submissions_get_a_clear_problem_and_change_nothing(clients):
    path = await open_award_path(clients, policy="manual")
    earner = Earner()
    await path.submit(Earner())  # waits until the catalog reached the submission service
    before = await submission_ids(path)

    for name, spoil in BAD_SUBMISSIONS.items():
        body = _valid_body(path, earner)
        spoil(body)
        response = await path.platform.post("/v1/submissions", json=body)
        assert response.status_code in (400, 413, 422), (name, response.status_code, response.text)
        problem(response, response.status_code)

    huge = _valid_body(path, earner)
    huge["evidence"][0]["text"] = "x" * 300_000
    problem(await path.platform.post("/v1/submissions", json=huge), 413)
    not_json = await path.platform.post(
        "/v1/submissions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert not_json.status_code in (400, 422) and not_json.json()["status"] == not_json.status_code
    assert await submission_ids(path) == before


async def test_reviews_that_contradict_or_skip_the_rubric_are_refused(clients):
    path = await open_award_path(clients, policy="manual")
    submission_id = await path.submit(Earner())
    view = await path.claim("assessor-a")
    url = f"/v1/assignments/{view['assignment_id']}/review"
    assessor = path.assessors["assessor-a"]

    contradictions = {
        "award with a section below passing": review("developing", "award"),
        "resubmit with every section passing": review("proficient", "resubmit"),
    }
    missing = review("proficient", "award")
    missing["sections"].pop()
    unknown_level = review("proficient", "award")
    unknown_level["sections"][0]["level"] = "legendary"
    thin = review("proficient", "award")
    thin["sections"][0]["feedback"] = "ok"
    for name, body in {
        **contradictions,
        "missing section": missing,
        "unknown level": unknown_level,
        "thin feedback": thin,
        "no recommendation": {"sections": missing["sections"]},
    }.items():
        response = await assessor.post(url, json=body)
        assert response.status_code == 422, (name, response.text)
        problem(response, 422)

    await path.review("assessor-a", view["assignment_id"], "proficient", "award")
    problem(await assessor.post(url, json=review("proficient", "award")), 409)
    decision = await path.pending_decision(submission_id, attempt=1)
    problem(await path.issuer.post(f"/v1/decisions/{decision['id']}", json={"decision": "maybe"}), 422)
    await path.decide(decision["id"], {"decision": "award"})
    problem(await path.issuer.post(f"/v1/decisions/{decision['id']}", json={"decision": "deny"}), 409)


@pytest.mark.parametrize(
    ("service", "role", "path"),
    [
        ("submission", "platform", "/v1/submissions/%00%ff"),
        ("submission", "platform", "/v1/submissions?cursor=%%%"),
        ("submission", "platform", "/v1/submissions?limit=0"),
        ("submission", "platform", "/v1/submissions?status=sleeping"),
        ("assessment", "assessor", "/v1/assignments/" + "9" * 300),
        ("assessment", "assessor", "/v1/queue?cursor=@@@"),
        ("award", "issuer", "/v1/decisions/nope"),
        ("award", "issuer", "/v1/decisions?state=lost"),
        ("award", None, "/v1/micro-credentials/unknown"),
        ("award", None, "/v1/micro-credentials?cursor=!!"),
    ],
)
async def test_malformed_ids_and_queries_are_4xx_problems(clients, service, role, path):
    response = await clients(service, role).get(path)
    assert 400 <= response.status_code < 500, response.text
    problem(response, response.status_code)


@pytest.mark.parametrize(
    ("service", "role", "path"),
    [
        ("submission", "platform", "/v1/submissions/%00%ff"),
        ("submission", "platform", "/v1/submissions/" + "9" * 300 + "/timeline"),
        ("assessment", "assessor", "/v1/assignments/" + "9" * 300),
        ("assessment", "admin", "/v1/assessors/bad%00id"),
        ("award", "issuer", "/v1/decisions/%00"),
        ("award", None, "/v1/credentials/with%20space"),
        ("award", None, "/v1/ob2/badge-classes/x/not-a-number"),
    ],
)
async def test_a_malformed_path_parameter_names_nothing_and_is_a_404_in_every_service(clients, service, role, path):
    body = problem(await clients(service, role).get(path), 404)
    assert body["type"].endswith("/not-found")
