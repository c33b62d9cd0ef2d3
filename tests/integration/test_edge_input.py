"""What the edge refuses before it is stored: text no backend can store or read back (lone
surrogates, NUL), JSON nested without bound, integers beyond every column, unusable token
subjects, lax coercion. Each refusal is a 4xx problem and leaves every read working
(in-process apps, migrated database of the test's own, both backends)."""

import asyncio
import base64
import json

import httpx
import pytest

from awardpath_shared.auth import mint_token
from awardpath_shared.settings import ServiceSettings
from tests.support.award_path import SECTIONS, Earner, evidence, micro_credential_definition, open_award_path, review
from tests.support.in_process import running_clients
from tests.support.polling import eventually
from tests.support.system import problem

SECRET = "test-secret-for-edge-input"
LONE_SURROGATE = "feedback \udc80 with half a character"
NUL = "before\x00after"


@pytest.fixture
async def clients(database_url):
    async with running_clients(database_url, SECRET, max_request_bytes=200_000) as made:
        yield made


def ascii_json(body: object) -> dict:
    """Request options sending `body` as JSON escaped to ASCII, the one way a client can send
    a lone surrogate (httpx's own `json=` encodes UTF-8, which has no lone surrogates)."""
    return {"content": json.dumps(body), "headers": {"content-type": "application/json"}}


def _field_refused(response: httpx.Response) -> None:
    body = problem(response, 422)
    assert body["errors"][0]["type"] == "string_unstorable", body


@pytest.mark.parametrize("bad_text", [LONE_SURROGATE, NUL], ids=["lone surrogate", "NUL"])
async def test_unstorable_review_text_is_refused_and_the_issuer_queue_stays_readable(clients, bad_text):
    path = await open_award_path(clients, policy="manual")
    submission_id = await path.submit(Earner())
    view = await path.claim("assessor-a")
    url = f"/v1/assignments/{view['assignment_id']}/review"

    with_bad_feedback = review("proficient", "award")
    with_bad_feedback["sections"][0]["feedback"] = bad_text * 3
    _field_refused(await path.assessors["assessor-a"].post(url, **ascii_json(with_bad_feedback)))
    with_bad_note = {**review("proficient", "award"), "note_to_issuer": bad_text}
    _field_refused(await path.assessors["assessor-a"].post(url, **ascii_json(with_bad_note)))

    await path.review("assessor-a", view["assignment_id"], "proficient", "award")
    decision = await path.pending_decision(submission_id, attempt=1)
    assert (await path.issuer.get(f"/v1/decisions/{decision['id']}")).status_code == 200
    assert (await path.submission(submission_id))["status"] == "awaiting_decision"


@pytest.mark.parametrize("bad_text", [LONE_SURROGATE, NUL], ids=["lone surrogate", "NUL"])
async def test_unstorable_text_in_any_field_is_a_422_naming_the_field(clients, bad_text):
    path = await open_award_path(clients, policy="manual")
    await path.submit(Earner())  # the catalog reached the submission service
    earner = Earner()
    for spoil, field in [
        (lambda body: body["earner"].update(organization_id=bad_text), ["body", "earner", "organization_id"]),
        (lambda body: body["earner"].update(name=bad_text), ["body", "earner", "name"]),
        (lambda body: body["evidence"][0].update(text=bad_text), ["body", "evidence", 0, "text"]),
        (lambda body: body.update({bad_text: "a key"}), ["body"]),
    ]:
        body = {"micro_credential_id": path.micro_credential_id, "earner": earner.as_json(), "evidence": evidence("x")}
        spoil(body)
        response = await path.platform.post("/v1/submissions", **ascii_json(body))
        _field_refused(response)
        assert response.json()["errors"][0]["loc"] == field

    for assessor in [
        {"id": "new-assessor", "display_name": bad_text, "micro_credential_ids": [], "capacity": 1},
        {"id": "new-assessor", "display_name": "New", "conflict_ids": [bad_text], "capacity": 1},
        {"id": "new-assessor", "display_name": "New", "organization_id": bad_text, "capacity": 1},
    ]:
        _field_refused(await path.admin.post("/v1/assessors", **ascii_json(assessor)))
    problem(await path.admin.get("/v1/assessors/new-assessor"), 404)

    calibration_set = {
        "micro_credential_id": path.micro_credential_id,
        "micro_credential_version": 1,
        "threshold": 1,
        "examples": [
            {
                "evidence": [{"section_id": s, "text": bad_text} for s in SECTIONS],
                "agreed_levels": [{"section_id": s, "level": "proficient"} for s in SECTIONS],
            }
        ],
    }
    _field_refused(await path.admin.post("/v1/calibration-sets", **ascii_json(calibration_set)))
    # A query string is percent-decoded as UTF-8 with replacement: only NUL survives into it.
    _field_refused(await path.platform.get("/v1/submissions?earner_external_id=a%00b"))
    assert (await path.platform.get("/v1/submissions")).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 40 + b"1" + b"}" * 40,
        json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], "name": "\udc80"}).encode(),
        b'{"ok": "\xed\xb2\x80"}',  # a surrogate encoded as bytes: not UTF-8
    ],
    ids=["100k deep", "40 deep", "lone surrogate", "surrogate bytes"],
)
async def test_verify_refuses_unbounded_or_unreadable_json_with_a_problem(clients, body):
    response = await clients("award", None).post(
        "/v1/verify", content=body, headers={"content-type": "application/ld+json"}
    )
    problem(response, 422)


async def test_verify_reports_an_unreadable_vc_jwt_payload_as_a_failed_proof(clients):
    deep = b'{"vc":' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    surrogate = json.dumps({"vc": {"name": "\udc80"}}).encode()
    for payload in [deep, surrogate]:
        token = b".".join(
            base64.urlsafe_b64encode(part).rstrip(b"=") for part in [b'{"alg":"HS256"}', payload, b"signature"]
        )
        response = await clients("award", None).post(
            "/v1/verify", content=token, headers={"content-type": "application/vc+jwt"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["verified"] is False
        assert "not a readable VC-JWT" in json.dumps(response.json())


@pytest.mark.parametrize(
    ("service", "role", "url"),
    [
        ("award", None, "/v1/micro-credentials/{mc}?version=2147483648"),
        ("award", None, "/v1/micro-credentials/{mc}?version=" + str(10**20)),
        ("award", None, "/v1/ob2/badge-classes/{mc}/2147483648"),
        ("award", None, "/v1/ob2/badge-classes/{mc}/" + str(10**20) + "/image"),
        ("submission", "platform", "/v1/submissions?limit=" + str(10**20)),
    ],
)
async def test_integers_beyond_any_column_are_4xx_problems(clients, service, role, url):
    path = await open_award_path(clients, policy="manual")
    response = await clients(service, role).get(url.format(mc=path.micro_credential_id))
    assert response.status_code in (404, 422), response.text
    problem(response, response.status_code)


@pytest.mark.parametrize(
    "subject",
    ["x" * 101, "platform\x00one", "a\udc80b", "", "tab\there"],
    ids=["long", "NUL", "surrogate", "empty", "tab"],
)
async def test_a_token_subject_no_column_can_hold_is_a_401(clients, subject):
    settings = ServiceSettings(jwt_secret=SECRET)
    token = mint_token(settings, "platform", subject)
    for service, url in [("submission", "/v1/submissions"), ("award", "/v1/webhook-endpoints")]:
        problem(await clients(service, "platform", token=token).get(url), 401)
    fits = mint_token(settings, "platform", "p" * 100)
    assert (await clients("submission", "platform", token=fits).get("/v1/submissions")).status_code == 200


async def test_request_bodies_are_not_coerced(clients):
    path = await open_award_path(clients, policy="manual")
    assessor_id = path.assessor_ids["assessor-a"]
    for lax in [{"paused": 0}, {"paused": "true"}, {"capacity": "5"}, {"capacity": 5.0}, {"capacity": True}]:
        problem(await path.admin.patch(f"/v1/assessors/{assessor_id}", json=lax), 422)
    assessor = (await path.admin.get(f"/v1/assessors/{assessor_id}")).json()
    assert assessor["paused"] is False and assessor["capacity"] == 5
    assert (await path.admin.patch(f"/v1/assessors/{assessor_id}", json={"paused": True})).json()["paused"] is True


async def test_concurrent_first_submissions_of_one_new_earner_all_succeed(clients):
    path = await open_award_path(clients, policy="manual")
    await path.submit(Earner())
    earner = Earner()
    others = [await _other_micro_credential(clients, path) for _ in range(3)]

    async def submit(micro_credential_id: str) -> httpx.Response:
        body = {"micro_credential_id": micro_credential_id, "earner": earner.as_json(), "evidence": evidence("x")}
        return await path.platform.post("/v1/submissions", json=body)

    responses = await asyncio.gather(*(submit(mc) for mc in [path.micro_credential_id, *others]))
    assert [response.status_code for response in responses] == [201] * 4, [r.text for r in responses]
    listed = await path.platform.get("/v1/submissions", params={"earner_external_id": earner.external_id})
    assert len(listed.json()["items"]) == 4


async def _other_micro_credential(clients, path) -> str:
    """Another micro-credential of the path's issuer, once the submission service knows it."""
    published = await path.issuer.post("/v1/micro-credentials", json=micro_credential_definition(path.issuer_id))
    micro_credential_id = published.json()["id"]
    body = {"micro_credential_id": micro_credential_id, "earner": Earner().as_json(), "evidence": evidence("x")}
    await eventually(
        lambda: path.platform.post("/v1/submissions", json=body), lambda response: response.status_code == 201
    )
    return micro_credential_id
