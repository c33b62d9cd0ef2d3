"""The assessment engine over HTTP with the three services in-process (migrated database,
both backends): the lease sweeper run by the app, release, double scoring as the issuer
and the earner see it, the private note, calibration, the report, and bad input."""

from datetime import datetime, timedelta

import pytest

from awardpath_shared.ids import utcnow
from awardpath_shared.pagination import encode_cursor
from tests.support.award_path import SECTIONS, Earner, open_award_path, review
from tests.support.in_process import Clients, running_apps
from tests.support.polling import eventually
from tests.support.system import problem

SECRET = "test-secret-for-the-assessment-engine"
LEASE_SECONDS = 1


@pytest.fixture
async def apps(database_url):
    assessment = {"lease_seconds": LEASE_SECONDS, "lease_sweep_interval_seconds": 0.1}
    async with running_apps(database_url, SECRET, per_service={"assessment": assessment}) as started:
        yield started


@pytest.fixture
async def clients(apps):
    made = Clients(apps, SECRET)
    yield made
    await made.close()


async def queue_of(path, name: str) -> list[dict]:
    response = await path.assessors[name].get("/v1/queue")
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def holder_of_the_only_work(path, *names: str) -> tuple[str, dict]:
    async def queues():
        return {name: await queue_of(path, name) for name in names}

    found = await eventually(queues, lambda by_name: sum(len(items) for items in by_name.values()) == 1)
    return next((name, items[0]) for name, items in found.items() if items)


async def test_the_app_sweeps_expired_leases_and_the_work_moves_on(clients):
    path = await open_award_path(clients, assessors=("assessor-a", "assessor-b"))
    submission_id = await path.submit(Earner())
    holder, item = await holder_of_the_only_work(path, "assessor-a", "assessor-b")
    other = "assessor-b" if holder == "assessor-a" else "assessor-a"
    claimed = await path.assessors[holder].post("/v1/queue/claim")
    assert claimed.json()["assignment_id"] == item["assignment_id"]

    # Nobody reviews within the lease: the sweeper started by the app hands it on.
    moved = await eventually(lambda: queue_of(path, other), lambda items: len(items) == 1)
    assert moved[0]["assignment_id"] != item["assignment_id"] and await queue_of(path, holder) == []
    late = await path.assessors[holder].post(
        f"/v1/assignments/{item['assignment_id']}/review", json=review("proficient", "award")
    )
    assert problem(late, 409)["type"].endswith("assignment-returned")
    await path.review(other, moved[0]["assignment_id"], "proficient", "award")
    await path.wait_for_status(submission_id, "awaiting_decision")


async def test_release_over_http_hands_the_work_to_the_other_assessor(clients):
    path = await open_award_path(clients, assessors=("assessor-a", "assessor-b"))
    await path.submit(Earner())
    holder, item = await holder_of_the_only_work(path, "assessor-a", "assessor-b")
    other = "assessor-b" if holder == "assessor-a" else "assessor-a"
    url = f"/v1/assignments/{item['assignment_id']}/release"

    problem(await path.assessors[other].post(url), 403)
    for refused in ({"reason": "bored"}, {"reason": "no_time", "assessor_id": other}):
        problem(await path.assessors[holder].post(url, json=refused), 422)
    assert await queue_of(path, holder) != []  # a refused release changed nothing
    released = await path.assessors[holder].post(url, json={"reason": "conflict_of_interest"})

    assert released.status_code == 200 and released.json() == {
        "assignment_id": item["assignment_id"],
        "state": "released",
        "reason": "conflict_of_interest",
    }
    assert len(await queue_of(path, other)) == 1 and await queue_of(path, holder) == []
    problem(await path.assessors[holder].post(url), 409)
    problem(await path.assessors[holder].post("/v1/assignments/nope%00/release"), 404)

    # Released again without a reason (an API client of before): the admin sees both, newest first.
    (moved,) = await queue_of(path, other)
    without = await path.assessors[other].post(f"/v1/assignments/{moved['assignment_id']}/release")
    assert without.status_code == 200 and without.json()["reason"] is None
    problem(await path.assessors[holder].get("/v1/releases"), 403)
    first = await path.admin.get("/v1/releases", params={"limit": 1})
    assert first.status_code == 200, first.text
    rest = await path.admin.get("/v1/releases", params={"limit": 1, "cursor": first.json()["next_cursor"]})
    releases = first.json()["items"] + rest.json()["items"]
    assert [(r["assignment_id"], r["assessor_id"], r["reason"]) for r in releases] == [
        (moved["assignment_id"], path.assessor_ids[other], None),
        (item["assignment_id"], path.assessor_ids[holder], "conflict_of_interest"),
    ]
    assert releases[1]["attempt"] == 1 and releases[1]["micro_credential_id"] == path.micro_credential_id
    assert rest.json()["next_cursor"] is None


async def test_administrators_read_the_releases_by_when_they_happened(clients):
    """Work assigned first but handed back last heads the list: it is ordered by the release,
    not by the assignment, and pages by the same order."""
    path = await open_award_path(clients, assessors=("assessor-a", "assessor-b"))
    await path.submit(Earner())
    first_holder, first = await holder_of_the_only_work(path, "assessor-a", "assessor-b")
    await path.submit(Earner())
    second_holder = "assessor-b" if first_holder == "assessor-a" else "assessor-a"
    (second,) = await eventually(lambda: queue_of(path, second_holder), lambda items: len(items) == 1)
    for holder, item, reason in ((second_holder, second, "no_time"), (first_holder, first, "outside_expertise")):
        released = await path.assessors[holder].post(
            f"/v1/assignments/{item['assignment_id']}/release", json={"reason": reason}
        )
        assert released.status_code == 200, released.text

    listed, cursor = [], None
    while True:
        page = await path.admin.get("/v1/releases", params={"limit": 1, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        listed += page.json()["items"]
        if (cursor := page.json()["next_cursor"]) is None:
            break
    mine = [item for item in listed if item["micro_credential_id"] == path.micro_credential_id]
    assert [(item["assignment_id"], item["reason"]) for item in mine] == [
        (first["assignment_id"], "outside_expertise"),
        (second["assignment_id"], "no_time"),
    ]
    assert first["assignment_id"] < second["assignment_id"]  # assigned in the other order
    for foreign in ("not-ours", "9" * 23 + ".x"):  # not a position; a time past any calendar
        problem(await path.admin.get("/v1/releases", params={"cursor": encode_cursor(foreign)}), 400)


async def test_renewing_a_claim_starts_its_lease_again_until_it_lapsed(clients):
    path = await open_award_path(clients, assessors=("assessor-a", "assessor-b"))
    await path.submit(Earner())
    holder, item = await holder_of_the_only_work(path, "assessor-a", "assessor-b")
    other = "assessor-b" if holder == "assessor-a" else "assessor-a"
    url = f"/v1/assignments/{item['assignment_id']}/renew"
    assert problem(await path.assessors[holder].post(url), 409)["type"].endswith("lease-not-renewable")  # not claimed

    claimed = (await path.assessors[holder].post("/v1/queue/claim")).json()
    renewed = await path.assessors[holder].post(url)
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["assignment_id"] == item["assignment_id"]
    assert datetime.fromisoformat(renewed.json()["lease_expires_at"]) > datetime.fromisoformat(
        claimed["lease_expires_at"]
    )
    problem(await path.assessors[other].post(url), 403)

    # Once the lease lapsed the work went on to the other assessor: too late to renew.
    await eventually(lambda: queue_of(path, other), lambda items: len(items) == 1)
    assert problem(await path.assessors[holder].post(url), 409)["type"].endswith("assignment-returned")


async def test_double_scoring_reaches_the_issuer_once_with_the_private_note_and_the_earner_without_it(clients):
    path = await open_award_path(clients, assessors=("assessor-a", "assessor-b"))
    policy = await path.admin.put(
        f"/v1/micro-credentials/{path.micro_credential_id}/scoring-policy", json={"double_score_share": 1}
    )
    assert policy.status_code == 200 and policy.json()["configured"] is True
    submission_id = await path.submit(Earner())
    note = "Private to the issuer: strong practice, thin reflection."
    for name in ("assessor-a", "assessor-b"):
        [item] = await eventually(lambda name=name: queue_of(path, name), lambda items: len(items) == 1)
        body = {**review("proficient", "award"), "note_to_issuer": note if name == "assessor-a" else None}
        response = await path.assessors[name].post(f"/v1/assignments/{item['assignment_id']}/review", json=body)
        assert response.status_code == 201, response.text

    decision = await path.pending_decision(submission_id, attempt=1)
    assert decision["assessor_note"] == note and decision["recommendation"] == "award"
    earner_view = await path.wait_for_status(submission_id, "awaiting_decision")
    assert len(earner_view["attempts"][0]["reviews"]) == 1  # one outcome, not two reviews
    assert note not in str(earner_view)

    report = await path.admin.get("/v1/reports/reliability", params={"micro_credential_id": path.micro_credential_id})
    assert report.status_code == 200, report.text
    assert report.json()["agreement"] == {"pairs": 3, "exact_agreement": 1.0, "adjacent_agreement": 1.0, "kappa": None}
    assert [row["reviews"] for row in report.json()["assessors"]] == [1, 1]


async def test_calibration_over_http_gates_live_work(clients):
    path = await open_award_path(clients, assessors=())
    agreed = [{"section_id": section, "level": "proficient"} for section in SECTIONS]
    calibration_set = {
        "micro_credential_id": path.micro_credential_id,
        "micro_credential_version": 1,
        "threshold": 1,
        "examples": [
            {"evidence": [{"section_id": s, "text": "An exemplary answer."} for s in SECTIONS], "agreed_levels": agreed}
        ],
    }
    # Accepted once the catalog event brought the rubric here (asynchronous).
    created = await eventually(
        lambda: path.admin.post("/v1/calibration-sets", json=calibration_set),
        lambda response: response.status_code != 422,
    )
    assert created.status_code == 201, created.text
    assessor_id = "calibrating-assessor-" + path.micro_credential_id
    added = await path.admin.post(
        "/v1/assessors",
        json={
            "id": assessor_id,
            "display_name": "New",
            "micro_credential_ids": [path.micro_credential_id],
            "capacity": 2,
        },
    )
    assert added.json()["qualifications"][0]["status"] == "calibrating"
    newcomer = clients("assessment", "assessor", assessor_id)
    submission_id = await path.submit(Earner())
    # The attempt reaches assessment asynchronously: it waits there, given to nobody.
    await eventually(
        lambda: path.admin.get("/v1/unassigned"),
        lambda response: submission_id in [item["submission_id"] for item in response.json()["items"]],
    )
    assert (await newcomer.get("/v1/queue")).json()["items"] == []

    [example] = (await newcomer.get("/v1/calibration")).json()
    assert [section["id"] for section in example["rubric"]] == list(SECTIONS)
    scored = await newcomer.post(f"/v1/calibration/{example['example_id']}/review", json=review("proficient", "award"))

    assert scored.status_code == 201 and scored.json() == {
        "example_id": example["example_id"],
        "remaining": 0,
        "status": "qualified",
        "agreement": 1.0,
        "agreed_levels": dict.fromkeys(SECTIONS, "proficient"),
    }
    assert len((await newcomer.get("/v1/queue")).json()["items"]) == 1
    await path.wait_for_status(submission_id, "in_review")


async def test_the_turnaround_target_travels_from_the_catalog_to_the_queues_due_time(clients):
    path = await open_award_path(clients, turnaround_business_days=5)
    before = utcnow()
    await path.submit(Earner())
    [item] = await eventually(lambda: queue_of(path, "assessor-a"), lambda items: len(items) == 1)

    # Five business days: a week to the same time from a weekday, less from a weekend.
    due = datetime.fromisoformat(item["due_at"])
    assert before + timedelta(days=5) <= due <= utcnow() + timedelta(days=7)
    view = await path.assessors["assessor-a"].get(f"/v1/assignments/{item['assignment_id']}")
    assert view.json()["due_at"] == item["due_at"] and view.json()["micro_credential"]["turnaround_business_days"] == 5
    overdue = await path.admin.get("/v1/overdue")
    assert overdue.status_code == 200 and (overdue.json()["items"], overdue.json()["count"]) == ([], 0)
    problem(await path.assessors["assessor-a"].get("/v1/overdue"), 403)


@pytest.mark.parametrize(
    ("role", "method", "url", "body", "status"),
    [
        ("assessor", "POST", "/v1/calibration-sets", {}, 403),
        ("assessor", "GET", "/v1/reports/reliability?micro_credential_id=x", None, 403),
        ("assessor", "PUT", "/v1/micro-credentials/x/scoring-policy", {"double_score_share": 1}, 403),
        ("admin", "PUT", "/v1/micro-credentials/x/scoring-policy", {"double_score_share": 1.5}, 422),
        ("admin", "PUT", "/v1/micro-credentials/x/scoring-policy", {"double_score_share": 0.5, "x": 1}, 422),
        ("admin", "GET", "/v1/reports/reliability", None, 422),
        ("admin", "GET", "/v1/reports/reliability?micro_credential_id=unknown", None, 404),
        ("admin", "GET", "/v1/reports/reliability?micro_credential_id=%00", None, 422),
        (
            "admin",
            "POST",
            "/v1/calibration-sets",
            {"micro_credential_id": "x", "micro_credential_version": 1, "examples": []},
            422,
        ),
        (
            "admin",
            "POST",
            "/v1/calibration-sets",
            {
                "micro_credential_id": "unpublished",
                "micro_credential_version": 1,
                "examples": [
                    {
                        "evidence": [{"section_id": "a", "text": "t"}],
                        "agreed_levels": [{"section_id": "a", "level": "l"}],
                    }
                ],
            },
            422,
        ),
        ("assessor", "GET", "/v1/calibration", None, 403),  # not a registered assessor
        ("assessor", "POST", "/v1/calibration/unknown/review", review("proficient", "award"), 403),
        ("admin", "GET", "/v1/overdue?cursor=bm90LWEtcG9zaXRpb24", None, 400),  # "not-a-position"
        (None, "GET", "/v1/overdue", None, 401),
    ],
)
async def test_bad_or_unauthorised_engine_calls_are_clear_problems(clients, role, method, url, body, status):
    client = clients("assessment", role, "not-registered")
    problem(await client.request(method, url, json=body), status)
