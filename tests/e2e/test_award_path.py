"""The whole award path across the three services, as their users drive it."""

import json

from sqlalchemy import select

from awardpath_assessment.models import OutboxMessage as AssessmentOutbox
from awardpath_award.models import OutboxMessage as AwardOutbox
from awardpath_shared.db import create_engine
from awardpath_submission.models import OutboxMessage as SubmissionOutbox
from tests.support.award_path import Earner, open_award_path

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

    decision = await path.pending_decision(submission_id, attempt=2)
    decided = await path.decide(decision["id"], {"decision": "award", "note": "Well evidenced"})
    assert decided["outcome"] == "awarded" and decided["award_id"]

    final = await path.wait_for_status(submission_id, "awarded")
    assert final["attempt"] == 2 and final["award_id"] == decided["award_id"]
    assert [len(attempt["reviews"]) for attempt in final["attempts"]] == [1, 1]

    timeline = (await path.platform.get(f"/v1/submissions/{submission_id}/timeline")).json()["entries"]
    assert [(entry["status"], entry["attempt"]) for entry in timeline] == [
        ("submitted", 1), ("in_review", 1), ("awaiting_decision", 1), ("resubmission_open", 1),
        ("submitted", 2), ("in_review", 2), ("awaiting_decision", 2), ("awarded", 2),
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


async def test_no_assessor_facing_response_event_or_log_line_carries_earner_identity(system, clients):
    path = await open_award_path(clients, policy="manual")
    earner = Earner()
    submission_id = await path.submit(earner)
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
