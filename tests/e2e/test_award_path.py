"""The whole award path across the three services, as their users drive it."""

import hashlib
import json

import httpx
from sqlalchemy import select

from awardpath_assessment.models import Base as AssessmentBase
from awardpath_assessment.models import OutboxMessage as AssessmentOutbox
from awardpath_award.models import OutboxMessage as AwardOutbox
from awardpath_shared.db import create_engine
from awardpath_submission.models import OutboxMessage as SubmissionOutbox
from tests.support.award_path import Earner, evidence, open_award_path, review
from tests.support.evidence_files import (
    PART_BYTES,
    classroom_video,
    drop_midway,
    jpeg_with_metadata,
    put_parts,
    start_upload,
    upload_whole,
)
from tests.support.polling import eventually

OUTBOX_MODELS = {"submission": SubmissionOutbox, "assessment": AssessmentOutbox, "award": AwardOutbox}


async def test_manual_path_with_feedback_resubmission_and_award(system, clients):
    path = await open_award_path(clients, policy="manual", max_attempts=3)
    earner = Earner()
    submission_id = await path.submit(earner)

    first = await path.claim("assessor-a")
    assert first["attempt"] == 1 and first["earlier_feedback"] == []
    assert [section["id"] for section in first["rubric"]] == ["overview", "practice", "reflection"]
    assert "[earner]" in first["evidence"][0]["text"]
    await path.wait_for_status(submission_id, "in_review")
    await path.review("assessor-a", first["assignment_id"], "developing", "resubmit")

    waiting = await path.wait_for_status(submission_id, "awaiting_decision")
    feedback = waiting["attempts"][0]["reviews"][0]
    assert feedback["recommendation"] == "resubmit"
    assert {section["level"] for section in feedback["sections"]} == {"developing"}
    assert all("growth" in section["feedback"] for section in feedback["sections"])

    decision = await path.pending_decision(submission_id, attempt=1)
    assert decision["recommendation"] == "resubmit"
    await path.decide(decision["id"], {"decision": "deny", "resubmission_allowed": True, "note": "Try again"})
    reopened = await path.wait_for_status(submission_id, "resubmission_open")
    assert reopened["decision"]["outcome"] == "resubmission_open"

    await path.resubmit(submission_id, attempt=2)
    second = await path.claim("assessor-a")  # the same assessor gets the resubmission
    assert second["attempt"] == 2
    assert [item["attempt"] for item in second["earlier_feedback"]] == [1]
    assert second["earlier_feedback"][0]["sections"][0]["level"] == "developing"
    await path.review("assessor-a", second["assignment_id"], "proficient", "award")
    await path.wait_for_status(submission_id, "awaiting_decision")

    decision = await path.pending_decision(submission_id, attempt=2)
    decided = await path.decide(decision["id"], {"decision": "award", "note": "Well evidenced"})
    assert decided["outcome"] == "awarded" and decided["award_id"]

    final = await path.wait_for_status(submission_id, "awarded")
    assert final["attempt"] == 2 and final["award_id"] == decided["award_id"]
    assert [len(attempt["reviews"]) for attempt in final["attempts"]] == [1, 1]

    timeline = (await path.platform.get(f"/v1/submissions/{submission_id}/timeline")).json()["entries"]
    assert [(entry["status"], entry["attempt"]) for entry in timeline] == [
        ("submitted", 1),
        ("in_review", 1),
        ("awaiting_decision", 1),
        ("resubmission_open", 1),
        ("submitted", 2),
        ("in_review", 2),
        ("awaiting_decision", 2),
        ("awarded", 2),
    ]


async def test_auto_policy_decides_as_soon_as_the_review_lands(system, clients):
    path = await open_award_path(clients, policy="auto")
    submission_id = await path.submit(Earner())
    view = await path.claim("assessor-a")
    await path.review("assessor-a", view["assignment_id"], "proficient", "award")

    awarded = await path.wait_for_status(submission_id, "awarded")
    assert awarded["award_id"] and awarded["decision"]["outcome"] == "awarded"
    pending = (await path.issuer.get("/v1/decisions", params={"state": "pending"})).json()["items"]
    assert submission_id not in [item["submission_id"] for item in pending]


async def test_auto_policy_opens_resubmission_on_a_resubmit_recommendation(system, clients):
    path = await open_award_path(clients, policy="auto")
    submission_id = await path.submit(Earner())
    view = await path.claim("assessor-a")
    await path.review("assessor-a", view["assignment_id"], "not_yet", "resubmit")
    await path.wait_for_status(submission_id, "resubmission_open")


async def test_deny_after_the_last_attempt_is_final(system, clients):
    path = await open_award_path(clients, policy="manual", max_attempts=2)
    submission_id = await path.submit(Earner())
    for attempt in (1, 2):
        if attempt == 2:
            await path.resubmit(submission_id, attempt=2)
        view = await path.claim("assessor-a")
        await path.review("assessor-a", view["assignment_id"], "not_yet", "resubmit")
        decision = await path.pending_decision(submission_id, attempt=attempt)
        await path.decide(decision["id"], {"decision": "deny", "resubmission_allowed": True})
        if attempt == 1:
            await path.wait_for_status(submission_id, "resubmission_open")

    denied = await path.wait_for_status(submission_id, "denied")
    assert denied["decision"]["outcome"] == "denied"
    refused = await path.platform.post(
        f"/v1/submissions/{submission_id}/attempts",
        json={"evidence": [{"section_id": "overview", "text": "once more"}]},
    )
    assert refused.status_code == 409 and refused.json()["status"] == 409


async def test_a_withdrawal_drops_the_work_and_the_earner_goes_on_at_the_next_attempt(system, clients):
    path = await open_award_path(clients, policy="manual", max_attempts=2)
    earner = Earner()
    withdrawn_id = await path.submit(earner)
    view = await path.claim("assessor-a")
    await path.wait_for_status(withdrawn_id, "in_review")
    answer = await path.platform.post(f"/v1/submissions/{withdrawn_id}/withdraw", json={"reason": "moved"})
    assert answer.status_code == 200 and answer.json()["status"] == "withdrawn", answer.text

    assessor = f"/v1/assessors/{path.assessor_ids['assessor-a']}"
    await eventually(lambda: path.admin.get(assessor), lambda response: response.json()["open_assignments"] == 0)
    late = await path.assessors["assessor-a"].post(
        f"/v1/assignments/{view['assignment_id']}/review", json=review("proficient", "award")
    )
    assert late.status_code == 409 and late.json()["type"].endswith("/submission-withdrawn")

    # The earner goes on at attempt 2 of 2 in a new submission: the last one.
    second = await path.submit(earner, attempt=2)
    view = await path.claim("assessor-a")
    assert view["attempt"] == 2
    await path.review("assessor-a", view["assignment_id"], "not_yet", "resubmit")
    decision = await path.pending_decision(second, attempt=2)
    decided = await path.decide(decision["id"], {"decision": "deny", "resubmission_allowed": True})
    assert decided["outcome"] == "denied"
    await path.wait_for_status(second, "denied")
    body = {"micro_credential_id": path.micro_credential_id, "earner": earner.as_json(), "evidence": evidence("x")}
    again = await path.platform.post("/v1/submissions", json=body)
    assert again.status_code == 409 and again.json()["type"].endswith("/restart-not-allowed")


async def test_no_assessor_facing_response_event_or_log_line_carries_earner_identity(system, clients):
    path = await open_award_path(clients, policy="manual")
    earner = Earner()
    submission_id = await path.submit(earner)
    # An artifact URL naming the earner would reach the assessor as given: refused.
    named = evidence("attempt 1")
    named[1]["artifacts"][0]["url"] = f"https://files.example.org/{earner.name.replace(' ', '-').lower()}.pdf"
    refused = await path.platform.post(
        "/v1/submissions",
        json={"micro_credential_id": path.micro_credential_id, "earner": earner.as_json(), "evidence": named},
    )
    assert refused.status_code == 422 and refused.json()["fields"] == ["evidence[1].artifacts[0].url"], refused.text
    # The platform finds its earner's submissions by id; the query must not reach the log.
    found = await path.platform.get("/v1/submissions", params={"earner_external_id": earner.external_id})
    assert [item["id"] for item in found.json()["items"]] == [submission_id], found.text
    view = await path.claim("assessor-a")
    await path.assessor_get("assessor-a", "/v1/queue")
    await path.review("assessor-a", view["assignment_id"], "developing", "resubmit")
    decision = await path.pending_decision(submission_id, attempt=1)
    await path.decide(decision["id"], {"decision": "deny", "resubmission_allowed": True})
    await path.wait_for_status(submission_id, "resubmission_open")
    await path.resubmit(submission_id, attempt=2)
    second = await path.claim("assessor-a")
    await path.assessor_get("assessor-a", f"/v1/assignments/{second['assignment_id']}")

    submission = await path.submission(submission_id)
    assert submission["earner"]["email"] == earner.email  # the platform does see its earner
    decisions_seen_by_issuer = (await path.issuer.get("/v1/decisions", params={"state": "decided"})).text
    server_log = system.log_text()
    for leak in earner.identity_strings():
        for text in [*path.assessor_facing, decisions_seen_by_issuer, server_log]:
            assert leak not in text
    for text in await all_event_payloads(system):
        for leak in earner.identity_strings():
            assert leak not in text
    # The earner never learns who assessed.
    assert path.assessor_ids["assessor-a"] not in str(submission)


async def all_event_payloads(system) -> list[str]:
    """Every event any service staged, read from the services' outbox tables."""
    payloads = []
    for service, model in OUTBOX_MODELS.items():
        engine = create_engine(system.env["AWARDPATH_DATABASE_URL"], service)
        try:
            async with engine.connect() as connection:
                payloads += [json.dumps(row) for row in await connection.scalars(select(model.payload))]
        finally:
            await engine.dispose()
    assert payloads
    return payloads


async def test_the_assessment_engine_never_shows_or_receives_earner_identity(system, clients):
    """Double scoring, a release, adjudication, calibration and the reports, end to end:
    every assessor-facing response, every event, the assessment database and the log are
    searched for the earner's name, email, external id and organisation id."""
    names = ("assessor-a", "assessor-b", "assessor-c", "assessor-d")
    path = await open_award_path(clients, policy="manual", assessors=names)
    policy = await path.admin.put(
        f"/v1/micro-credentials/{path.micro_credential_id}/scoring-policy", json={"double_score_share": 1}
    )
    assert policy.status_code == 200, policy.text
    earner = Earner()
    submission_id = await path.submit(earner)

    async def open_work() -> dict[str, list[dict]]:
        queues = {name: (await path.assessor_get(name, "/v1/queue")).json()["items"] for name in names}
        return {name: items for name, items in queues.items() if items}

    holders = await eventually(open_work, lambda found: len(found) == 2)
    releaser = sorted(holders)[0]
    released = await path.assessors[releaser].post(f"/v1/assignments/{holders[releaser][0]['assignment_id']}/release")
    path.assessor_facing.append(released.text)
    assert released.status_code == 200, released.text
    holders = await eventually(open_work, lambda found: len(found) == 2 and releaser not in found)
    for (name, items), level in zip(sorted(holders.items()), ("proficient", "not_yet"), strict=True):
        view = await path.assessor_get(name, f"/v1/assignments/{items[0]['assignment_id']}")
        assert "[earner]" in view.text
        await path.review(name, items[0]["assignment_id"], level, "award" if level == "proficient" else "resubmit")
    [adjudicator] = [name for name in names if name != releaser and name not in holders]
    [adjudication] = (await eventually(open_work, lambda found: adjudicator in found))[adjudicator]
    await path.assessor_get(adjudicator, f"/v1/assignments/{adjudication['assignment_id']}")
    await path.review(adjudicator, adjudication["assignment_id"], "developing", "resubmit")
    decision = await path.pending_decision(submission_id, attempt=1)
    assert decision["recommendation"] == "resubmit"

    admin_facing = [
        (
            await path.admin.get("/v1/reports/reliability", params={"micro_credential_id": path.micro_credential_id})
        ).text,
        (await path.admin.get("/v1/unassigned")).text,
        *[(await path.admin.get(f"/v1/assessors/{path.assessor_ids[name]}")).text for name in names],
    ]
    earner_facing = str(await path.submission(submission_id))
    texts = [
        *path.assessor_facing,
        *admin_facing,
        *await all_event_payloads(system),
        *await assessment_database_rows(system),
        system.log_text(),
    ]
    for leak in earner.identity_strings():
        assert not [text for text in texts if leak in text]
    assert not [assessor_id for assessor_id in path.assessor_ids.values() if assessor_id in earner_facing]


async def assessment_database_rows(system) -> list[str]:
    """Every row of every table of the assessment service, as text."""
    engine = create_engine(system.env["AWARDPATH_DATABASE_URL"], "assessment")
    try:
        async with engine.connect() as connection:
            rows = []
            for table in AssessmentBase.metadata.sorted_tables:
                rows += [str(tuple(row)) for row in await connection.execute(select(table))]
            return rows
    finally:
        await engine.dispose()


async def test_a_classroom_video_upload_survives_a_dropped_connection_and_reaches_the_assessor_blind(system, clients):
    """A 12 MiB video in three parts; the connection drops in the middle of the second. The
    assessor then streams the stored copy by its signed link: ranges seek, and no file name,
    header or metadata carries the earner's identity."""
    path = await open_award_path(clients, policy="manual")
    earner = Earner()
    media = hashlib.shake_256(earner.external_id.encode()).digest(12 * 1024 * 1024)
    video = classroom_video(earner.name, media)
    started = await start_upload(path.platform, video, "video/mp4")
    assert len(started["parts_to_send"]) == 3

    second = started["parts_to_send"][1]
    await drop_midway(second["url"], video[PART_BYTES : 2 * PART_BYTES])
    await put_parts(path.platform, started, video, numbers={1, 3})
    resumed = (await path.platform.get(f"/v1/uploads/{started['id']}")).json()
    assert [part["number"] for part in resumed["received_parts"]] == [1, 3]
    await put_parts(path.platform, resumed, video)
    completed = await path.platform.post(f"/v1/uploads/{started['id']}/complete")
    assert completed.status_code == 200, completed.text
    assert completed.json()["stored_size"] == len(video)  # metadata blanked in place: offsets hold

    photo = await upload_whole(path.platform, jpeg_with_metadata(earner.name), "image/jpeg")
    items = evidence("attempt 1", earner)
    items[1]["files"] = [{"file_id": started["id"]}, {"file_id": photo["id"]}]
    await path.submit(earner, items=items)
    claimed = await path.claim("assessor-a")
    view = await path.assessor_get("assessor-a", f"/v1/assignments/{claimed['assignment_id']}")
    links = {file["file_id"]: file for file in view.json()["files"]}

    async with httpx.AsyncClient(timeout=30) as browser:  # a video element: no bearer token
        whole = await browser.get(links[started["id"]]["url"])
        seek = await browser.get(links[started["id"]]["url"], headers={"Range": "bytes=6000000-6000099"})
        image = await browser.get(links[photo["id"]]["url"])
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert whole.content.endswith(media) and len(whole.content) == len(video)
    assert seek.status_code == 206 and seek.content == whole.content[6000000:6000100]
    served = [whole, seek, image]
    assert [response.headers["content-disposition"] for response in served] == [
        'inline; filename="practice-1.mp4"',
        'inline; filename="practice-1.mp4"',
        'inline; filename="practice-2.jpg"',
    ]
    events = await all_event_payloads(system)
    for leak in earner.identity_strings():
        for response in served:
            assert leak.encode() not in response.content and leak not in str(response.headers)
        assert leak not in view.text and leak not in system.log_text()
        assert not [event for event in events if leak in event]
