"""The assessment service layer on a migrated database (both backends), rolled back per test:
assignment and waiting, continuity for resubmissions, the queue, the blind view, reviews."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from awardpath_assessment.assignment.service import RubricNotYetKnown
from awardpath_assessment.models import Assessor, Assignment, Attempt
from awardpath_assessment.pool.schemas import AssessorUpdate
from awardpath_assessment.review.schemas import ReviewCreate
from awardpath_shared.errors import DomainError
from awardpath_shared.events import AssessmentAssigned, AssessmentCompleted
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.privacy import conflict_hash
from tests.support.assessment import (
    FEEDBACK,
    KEY,
    AssessmentCalls,
    attempt_event,
    new_assessor,
    refused_with,
    review,
)
from tests.support.outbox import staged


async def only_assignment(assessment: AssessmentCalls, assessor_id: str) -> str:
    page = await assessment.queue(assessor_id, limit=10, cursor=None)
    assert len(page.items) == 1
    return page.items[0].assignment_id


async def submitted_and_assigned(assessment, micro_credential_id, assessor_id, **event_fields) -> str:
    """Submit an attempt that `assessor_id` gets; returns the assignment id."""
    event = attempt_event(micro_credential_id, **event_fields)
    await assessment.receive_attempt(event)
    assignment = await assessment.session.scalar(
        select(Assignment)
        .join(Attempt)
        .where(Attempt.submission_id == event.submission_id, Attempt.number == event.attempt)
    )
    assert assignment is not None and assignment.assessor_id == assessor_id
    return assignment.id


# ---- waiting and assignment -------------------------------------------------------------


async def test_an_attempt_waits_unassigned_until_an_eligible_assessor_appears(assessment, micro_credential_id):
    event = attempt_event(micro_credential_id)
    await assessment.receive_attempt(event)

    waiting = await assessment.list_unassigned(limit=10, cursor=None)
    assert waiting.count == 1 and waiting.items[0].submission_id == event.submission_id
    assert await staged(assessment.uow, AssessmentAssigned) == []

    created = await assessment.create_assessor(new_assessor(micro_credential_id, "ada"))

    assert created.open_assignments == 1
    assert (await assessment.list_unassigned(limit=10, cursor=None)).count == 0
    [assigned] = await staged(assessment.uow, AssessmentAssigned)
    assert assigned["submission_id"] == event.submission_id and assigned["attempt"] == 1
    assert '"ada"' not in json.dumps(assigned)  # quoted: a uuid may contain the letters ada
    queue = await assessment.queue("ada", limit=10, cursor=None)
    assert [(item.micro_credential_title, item.attempt, item.state) for item in queue.items] == [
        ("Belonging and Caring Classroom Climate", 1, "assigned")
    ]


async def test_an_attempt_before_its_rubric_fails_to_be_delivered_again_and_stores_nothing(assessment):
    with pytest.raises(RubricNotYetKnown):
        await assessment.receive_attempt(attempt_event("not-published-yet"))
    assert (await assessment.list_unassigned(limit=10, cursor=None)).count == 0


async def test_the_same_attempt_delivered_twice_is_stored_once(assessment, micro_credential_id):
    event = attempt_event(micro_credential_id)
    await assessment.receive_attempt(event)
    await assessment.receive_attempt(event.model_copy(update={"attempt_id": new_id()}))
    assert (await assessment.list_unassigned(limit=10, cursor=None)).count == 1


async def test_a_conflicted_assessor_never_gets_the_attempt(assessment, micro_credential_id):
    await assessment.create_assessor(new_assessor(micro_credential_id, "ada", organization_id="School-1"))
    await assessment.receive_attempt(attempt_event(micro_credential_id, conflicts=("school-1",)))
    assert (await assessment.list_unassigned(limit=10, cursor=None)).count == 1

    await assessment.create_assessor(new_assessor(micro_credential_id, "bo", conflict_ids=["district-9"]))
    assert (await assessment.get_assessor("bo")).open_assignments == 1
    assert (await assessment.get_assessor("ada")).open_assignments == 0


async def test_capacity_and_pause_hold_attempts_back_until_capacity_appears(assessment, micro_credential_id):
    await assessment.create_assessor(new_assessor(micro_credential_id, "ada", capacity=1))
    for _ in range(2):
        await assessment.receive_attempt(attempt_event(micro_credential_id))
    assert (await assessment.list_unassigned(limit=10, cursor=None)).count == 1

    raised = await assessment.update_assessor("ada", AssessorUpdate(capacity=2))
    assert raised.open_assignments == 2
    assert (await assessment.list_unassigned(limit=10, cursor=None)).count == 0

    paused = await assessment.update_assessor("ada", AssessorUpdate(paused=True, capacity=5))
    assert paused.open_assignments == 0  # on leave: the open work went back to the pool
    await assessment.receive_attempt(attempt_event(micro_credential_id))
    assert (await assessment.list_unassigned(limit=10, cursor=None)).count == 3

    resumed = await assessment.update_assessor("ada", AssessorUpdate(paused=False))
    assert (resumed.paused, resumed.open_assignments) == (False, 3)


async def test_a_completed_review_frees_capacity_for_a_waiting_attempt(assessment, micro_credential_id):
    await assessment.create_assessor(new_assessor(micro_credential_id, "ada", capacity=1))
    assignment_id = await submitted_and_assigned(assessment, micro_credential_id, "ada")
    await assessment.receive_attempt(attempt_event(micro_credential_id))
    assert (await assessment.list_unassigned(limit=10, cursor=None)).count == 1

    await assessment.submit_review("ada", assignment_id, review())

    assert (await assessment.list_unassigned(limit=10, cursor=None)).count == 0
    assert (await assessment.get_assessor("ada")).open_assignments == 1


async def test_a_resubmission_goes_back_to_the_earlier_assessor_with_earlier_feedback(assessment, micro_credential_id):
    await assessment.create_assessor(new_assessor(micro_credential_id, "ada"))
    submission_id = new_id()
    first = await submitted_and_assigned(assessment, micro_credential_id, "ada", submission_id=submission_id)
    await assessment.submit_review("ada", first, review("resubmit", reflection="not_yet"))
    await submitted_and_assigned(assessment, micro_credential_id, "ada")  # ada is busier now
    await assessment.create_assessor(new_assessor(micro_credential_id, "bo"))  # and bo idle

    second = await submitted_and_assigned(
        assessment, micro_credential_id, "ada", submission_id=submission_id, attempt=2
    )

    view = await assessment.blind_view("ada", second)
    assert view.attempt == 2
    assert [(f.attempt, f.recommendation) for f in view.earlier_feedback] == [(1, "resubmit")]
    assert [s.level for s in view.earlier_feedback[0].sections] == ["proficient", "not_yet"]
    assert '"ada"' not in view.model_dump_json()


async def test_a_resubmission_goes_elsewhere_when_the_earlier_assessor_is_paused(assessment, micro_credential_id):
    await assessment.create_assessor(new_assessor(micro_credential_id, "ada"))
    submission_id = new_id()
    first = await submitted_and_assigned(assessment, micro_credential_id, "ada", submission_id=submission_id)
    await assessment.submit_review("ada", first, review("resubmit", overview="not_yet"))
    await assessment.update_assessor("ada", AssessorUpdate(paused=True))
    await assessment.create_assessor(new_assessor(micro_credential_id, "bo"))

    await submitted_and_assigned(assessment, micro_credential_id, "bo", submission_id=submission_id, attempt=2)


# ---- the assessor pool -----------------------------------------------------------------


async def test_assessor_identity_of_organisation_is_stored_only_as_a_hash(assessment, micro_credential_id):
    created = await assessment.create_assessor(
        new_assessor(micro_credential_id, "ada", organization_id="school-1", conflict_ids=["Person-7"])
    )
    assert "school-1" not in created.model_dump_json()
    stored = await assessment.session.get(Assessor, "ada")
    assert stored.organization_hash == conflict_hash(KEY, "school-1")
    assert stored.conflict_hashes == [conflict_hash(KEY, "person-7")]

    with pytest.raises(DomainError) as error:
        await assessment.create_assessor(new_assessor(micro_credential_id, "ada"))
    refused_with(error, 409, "assessor-exists")
    with pytest.raises(DomainError) as error:
        await assessment.get_assessor("nobody\x00")
    refused_with(error, 404, "not-found")


# ---- queue, claim and the blind view -----------------------------------------------------


async def test_claim_leases_the_oldest_unclaimed_assignment_and_then_nothing(assessment, micro_credential_id):
    await assessment.create_assessor(new_assessor(micro_credential_id, "ada"))
    older = await submitted_and_assigned(assessment, micro_credential_id, "ada")
    newer = await submitted_and_assigned(assessment, micro_credential_id, "ada")

    before = utcnow()
    claimed = await assessment.claim_next("ada")
    assert claimed.assignment_id == older
    assert before + timedelta(seconds=3600) <= claimed.lease_expires_at <= utcnow() + timedelta(seconds=3600)
    assert (await assessment.claim_next("ada")).assignment_id == newer
    assert await assessment.claim_next("ada") is None

    queue = await assessment.queue("ada", limit=10, cursor=None)
    assert [(item.assignment_id, item.state) for item in queue.items] == [(older, "claimed"), (newer, "claimed")]
    assert queue.items[0].lease_expires_at == claimed.lease_expires_at


async def test_the_queue_pages_oldest_first_with_an_opaque_cursor(assessment, micro_credential_id):
    await assessment.create_assessor(new_assessor(micro_credential_id, "ada"))
    ids = [await submitted_and_assigned(assessment, micro_credential_id, "ada") for _ in range(3)]

    first = await assessment.queue("ada", limit=2, cursor=None)
    second = await assessment.queue("ada", limit=2, cursor=first.next_cursor)

    assert [item.assignment_id for item in first.items + second.items] == ids
    assert second.next_cursor is None
    with pytest.raises(DomainError) as error:
        await assessment.queue("ada", limit=2, cursor="AA")  # decodes to a NUL byte
    refused_with(error, 400, "invalid-cursor")


async def test_only_the_given_assessor_sees_and_works_an_assignment(assessment, micro_credential_id):
    await assessment.create_assessor(new_assessor(micro_credential_id, "ada"))
    await assessment.create_assessor(new_assessor("another-credential", "bo"))
    assignment_id = await submitted_and_assigned(assessment, micro_credential_id, "ada", conflicts=("school-1",))

    view = await assessment.blind_view("ada", assignment_id)
    assert view.micro_credential.title == "Belonging and Caring Classroom Climate"
    assert [section.id for section in view.rubric] == ["overview", "reflection"]
    assert [evidence.section_id for evidence in view.evidence] == ["overview", "reflection"]
    assert view.earlier_feedback == []
    shown = view.model_dump_json()
    assert conflict_hash(KEY, "school-1") not in shown and "submission" not in shown

    for call in (
        lambda: assessment.blind_view("bo", assignment_id),
        lambda: assessment.submit_review("bo", assignment_id, review()),
    ):
        with pytest.raises(DomainError) as error:
            await call()
        refused_with(error, 403, "forbidden")
    for unknown in (new_id(), "../x", ""):
        with pytest.raises(DomainError) as error:
            await assessment.blind_view("ada", unknown)
        refused_with(error, 404, "not-found")
    assert (await assessment.queue("bo", limit=10, cursor=None)).items == []
    with pytest.raises(DomainError) as error:
        await assessment.queue("stranger", limit=10, cursor=None)
    refused_with(error, 403, "forbidden")


# ---- reviews ---------------------------------------------------------------------------


async def test_a_review_completes_the_work_and_stages_the_result_without_the_assessor(assessment, micro_credential_id):
    await assessment.create_assessor(new_assessor(micro_credential_id, "ada"))
    assignment_id = await submitted_and_assigned(assessment, micro_credential_id, "ada")

    done = await assessment.submit_review("ada", assignment_id, review("award", overview="developing"))

    assert (done.assignment_id, done.recommendation) == (assignment_id, "award")
    [completed] = await staged(assessment.uow, AssessmentCompleted)
    assert completed["review_id"] == done.review_id and completed["recommendation"] == "award"
    assert [(s["section_id"], s["level"]) for s in completed["sections"]] == [
        ("overview", "developing"),
        ("reflection", "proficient"),
    ]
    assert '"ada"' not in json.dumps(completed)
    assignment = await assessment.session.get(Assignment, assignment_id)
    assert assignment.state == "completed" and assignment.claimed_at is not None  # claimed implicitly
    assert (await assessment.session.get(Attempt, assignment.attempt_id)).state == "completed"
    assert (await assessment.queue("ada", limit=10, cursor=None)).items == []

    with pytest.raises(DomainError) as error:
        await assessment.submit_review("ada", assignment_id, review())
    refused_with(error, 409, "assignment-completed")


def scored(*sections: tuple[str, str, str], recommendation: str = "award") -> ReviewCreate:
    return ReviewCreate(
        sections=[{"section_id": s, "level": level, "feedback": feedback} for s, level, feedback in sections],
        recommendation=recommendation,
    )


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        (scored(("overview", "proficient", FEEDBACK)), "review-section-missing"),
        (
            scored(
                ("overview", "proficient", FEEDBACK),
                ("overview", "proficient", FEEDBACK),
                ("reflection", "proficient", FEEDBACK),
            ),
            "review-duplicate-section",
        ),
        (
            scored(
                ("overview", "proficient", FEEDBACK),
                ("reflection", "proficient", FEEDBACK),
                ("extra", "proficient", FEEDBACK),
            ),
            "review-unknown-section",
        ),
        (scored(("overview", "excellent", FEEDBACK), ("reflection", "proficient", FEEDBACK)), "review-unknown-level"),
        (
            scored(("overview", "proficient", "   "), ("reflection", "proficient", FEEDBACK)),
            "review-feedback-too-short",
        ),
        (
            scored(("overview", "proficient", "  too short  "), ("reflection", "proficient", FEEDBACK)),
            "review-feedback-too-short",
        ),
        (
            scored(("overview", "not_yet", FEEDBACK), ("reflection", "proficient", FEEDBACK)),
            "review-recommendation-contradicts-levels",
        ),
        (
            scored(
                ("overview", "developing", FEEDBACK), ("reflection", "proficient", FEEDBACK), recommendation="resubmit"
            ),
            "review-recommendation-contradicts-levels",
        ),
    ],
    ids=[
        "missing",
        "twice",
        "unknown-section",
        "unknown-level",
        "blank-feedback",
        "short-feedback",
        "award-below-passing",
        "resubmit-all-passing",
    ],
)
async def test_a_review_that_breaks_a_rule_is_refused_and_changes_nothing(assessment, micro_credential_id, body, slug):
    await assessment.create_assessor(new_assessor(micro_credential_id, "ada"))
    assignment_id = await submitted_and_assigned(assessment, micro_credential_id, "ada")

    with pytest.raises(DomainError) as error:
        await assessment.submit_review("ada", assignment_id, body)

    refused_with(error, 422, slug)
    assert (await assessment.session.get(Assignment, assignment_id)).state == "assigned"
    assert await staged(assessment.uow, AssessmentCompleted) == []
