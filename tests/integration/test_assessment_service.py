"""The assessment service layer on a migrated database (both backends), rolled back per test:
assignment and waiting, continuity for resubmissions, the queue, the blind view, reviews."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from awardpath_assessment.models import Assessor, Assignment, Attempt, OutboxMessage
from awardpath_assessment.schemas import AssessorCreate, AssessorUpdate, ReviewIn
from awardpath_assessment.service import AssessmentService, RubricNotYetKnown
from awardpath_assessment.settings import AssessmentSettings
from awardpath_shared.events import (
    AssessmentAssigned,
    AssessmentCompleted,
    MicroCredentialPublished,
    RubricLevel,
    RubricSection,
    SectionEvidence,
    SubmissionResubmitted,
    SubmissionSubmitted,
)
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.privacy import conflict_hash
from awardpath_shared.problems import Problem

KEY = "test-conflict-key"
SETTINGS = AssessmentSettings(conflict_hash_key=KEY, lease_seconds=3600, min_feedback_chars=10)
FEEDBACK = "Specific, growth-oriented feedback."


@pytest.fixture
def service(assessment_session) -> AssessmentService:
    return AssessmentService(assessment_session, SETTINGS)


@pytest.fixture
async def micro_credential_id(service) -> str:
    micro_credential_id = new_id()
    await service.record_rubric(published(micro_credential_id))
    return micro_credential_id


def published(micro_credential_id: str) -> MicroCredentialPublished:
    return MicroCredentialPublished(
        micro_credential_id=micro_credential_id,
        version=1,
        issuer_id="issuer-1",
        title="Belonging and Caring Classroom Climate",
        competency="Students feel cared for and that they belong.",
        key_method="Student check-in circles",
        max_attempts=3,
        decision_policy="manual",
        sections=[
            RubricSection(
                id="overview",
                title="Overview",
                prompt="Describe your classroom.",
                levels=[
                    RubricLevel(id="not_yet", name="Not yet"),
                    RubricLevel(id="developing", name="Developing"),
                    RubricLevel(id="proficient", name="Proficient"),
                ],
                passing_level="developing",
            ),
            RubricSection(
                id="reflection",
                title="Reflection",
                prompt="What did you learn?",
                levels=[RubricLevel(id="not_yet", name="Not yet"), RubricLevel(id="proficient", name="Proficient")],
                passing_level="proficient",
            ),
        ],
        published_at=utcnow(),
    )


def attempt_event(
    micro_credential_id: str, submission_id: str | None = None, attempt: int = 1, conflicts: tuple[str, ...] = ()
) -> SubmissionSubmitted | SubmissionResubmitted:
    event_class = SubmissionSubmitted if attempt == 1 else SubmissionResubmitted
    return event_class(
        submission_id=submission_id or new_id(),
        attempt_id=new_id(),
        attempt=attempt,
        micro_credential_id=micro_credential_id,
        micro_credential_version=1,
        evidence=[
            SectionEvidence(section_id="overview", text=f"Evidence of attempt {attempt}"),
            SectionEvidence(section_id="reflection", text="I learned to listen."),
        ],
        conflict_hashes=[conflict_hash(KEY, value) for value in conflicts],
        submitted_at=utcnow(),
    )


def new_assessor(micro_credential_id: str, assessor_id: str, **fields) -> AssessorCreate:
    return AssessorCreate(
        id=assessor_id,
        display_name=f"Assessor {assessor_id}",
        micro_credential_ids=[micro_credential_id],
        capacity=fields.pop("capacity", 5),
        **fields,
    )


def review(recommendation: str = "award", **levels: str) -> ReviewIn:
    chosen = {"overview": "proficient", "reflection": "proficient", **levels}
    return ReviewIn(
        sections=[{"section_id": section, "level": level, "feedback": FEEDBACK} for section, level in chosen.items()],
        recommendation=recommendation,
    )


async def staged(service: AssessmentService, event_class) -> list[dict]:
    rows = await service.session.scalars(
        select(OutboxMessage).where(OutboxMessage.event_type == event_class.event_type()).order_by(OutboxMessage.id)
    )
    return [row.payload for row in rows]


async def only_assignment(service: AssessmentService, assessor_id: str) -> str:
    page = await service.queue(assessor_id, limit=10, cursor=None)
    assert len(page.items) == 1
    return page.items[0].assignment_id


async def submitted_and_assigned(service, micro_credential_id, assessor_id, **event_fields) -> str:
    """Submit an attempt that `assessor_id` gets; returns the assignment id."""
    event = attempt_event(micro_credential_id, **event_fields)
    await service.receive_attempt(event)
    assignment = await service.session.scalar(
        select(Assignment)
        .join(Attempt)
        .where(Attempt.submission_id == event.submission_id, Attempt.number == event.attempt)
    )
    assert assignment is not None and assignment.assessor_id == assessor_id
    return assignment.id


def refused_with(error: pytest.ExceptionInfo[Problem], status: int, slug: str) -> None:
    assert (error.value.status, error.value.slug) == (status, slug)


# ---- waiting and assignment -------------------------------------------------------------


async def test_an_attempt_waits_unassigned_until_an_eligible_assessor_appears(service, micro_credential_id):
    event = attempt_event(micro_credential_id)
    await service.receive_attempt(event)

    waiting = await service.list_unassigned(limit=10, cursor=None)
    assert waiting.count == 1 and waiting.items[0].submission_id == event.submission_id
    assert await staged(service, AssessmentAssigned) == []

    created = await service.create_assessor(new_assessor(micro_credential_id, "ada"))

    assert created.open_assignments == 1
    assert (await service.list_unassigned(limit=10, cursor=None)).count == 0
    [assigned] = await staged(service, AssessmentAssigned)
    assert assigned["submission_id"] == event.submission_id and assigned["attempt"] == 1
    assert '"ada"' not in json.dumps(assigned)  # quoted: a uuid may contain the letters ada
    queue = await service.queue("ada", limit=10, cursor=None)
    assert [(item.micro_credential_title, item.attempt, item.state) for item in queue.items] == [
        ("Belonging and Caring Classroom Climate", 1, "assigned")
    ]


async def test_an_attempt_before_its_rubric_fails_to_be_delivered_again_and_stores_nothing(service):
    with pytest.raises(RubricNotYetKnown):
        await service.receive_attempt(attempt_event("not-published-yet"))
    assert (await service.list_unassigned(limit=10, cursor=None)).count == 0


async def test_the_same_attempt_delivered_twice_is_stored_once(service, micro_credential_id):
    event = attempt_event(micro_credential_id)
    await service.receive_attempt(event)
    await service.receive_attempt(event.model_copy(update={"attempt_id": new_id()}))
    assert (await service.list_unassigned(limit=10, cursor=None)).count == 1


async def test_a_conflicted_assessor_never_gets_the_attempt(service, micro_credential_id):
    await service.create_assessor(new_assessor(micro_credential_id, "ada", organization_id="School-1"))
    await service.receive_attempt(attempt_event(micro_credential_id, conflicts=("school-1",)))
    assert (await service.list_unassigned(limit=10, cursor=None)).count == 1

    await service.create_assessor(new_assessor(micro_credential_id, "bo", conflict_ids=["district-9"]))
    assert (await service.get_assessor("bo")).open_assignments == 1
    assert (await service.get_assessor("ada")).open_assignments == 0


async def test_capacity_and_pause_hold_attempts_back_until_capacity_appears(service, micro_credential_id):
    await service.create_assessor(new_assessor(micro_credential_id, "ada", capacity=1))
    for _ in range(2):
        await service.receive_attempt(attempt_event(micro_credential_id))
    assert (await service.list_unassigned(limit=10, cursor=None)).count == 1

    raised = await service.update_assessor("ada", AssessorUpdate(capacity=2))
    assert raised.open_assignments == 2
    assert (await service.list_unassigned(limit=10, cursor=None)).count == 0

    paused = await service.update_assessor("ada", AssessorUpdate(paused=True, capacity=5))
    assert paused.open_assignments == 0  # on leave: the open work went back to the pool
    await service.receive_attempt(attempt_event(micro_credential_id))
    assert (await service.list_unassigned(limit=10, cursor=None)).count == 3

    resumed = await service.update_assessor("ada", AssessorUpdate(paused=False))
    assert (resumed.paused, resumed.open_assignments) == (False, 3)


async def test_a_completed_review_frees_capacity_for_a_waiting_attempt(service, micro_credential_id):
    await service.create_assessor(new_assessor(micro_credential_id, "ada", capacity=1))
    assignment_id = await submitted_and_assigned(service, micro_credential_id, "ada")
    await service.receive_attempt(attempt_event(micro_credential_id))
    assert (await service.list_unassigned(limit=10, cursor=None)).count == 1

    await service.submit_review("ada", assignment_id, review())

    assert (await service.list_unassigned(limit=10, cursor=None)).count == 0
    assert (await service.get_assessor("ada")).open_assignments == 1


async def test_a_resubmission_goes_back_to_the_earlier_assessor_with_earlier_feedback(service, micro_credential_id):
    await service.create_assessor(new_assessor(micro_credential_id, "ada"))
    submission_id = new_id()
    first = await submitted_and_assigned(service, micro_credential_id, "ada", submission_id=submission_id)
    await service.submit_review("ada", first, review("resubmit", reflection="not_yet"))
    await submitted_and_assigned(service, micro_credential_id, "ada")  # ada is busier now
    await service.create_assessor(new_assessor(micro_credential_id, "bo"))  # and bo idle

    second = await submitted_and_assigned(service, micro_credential_id, "ada", submission_id=submission_id, attempt=2)

    view = await service.blind_view("ada", second)
    assert view.attempt == 2
    assert [(f.attempt, f.recommendation) for f in view.earlier_feedback] == [(1, "resubmit")]
    assert [s.level for s in view.earlier_feedback[0].sections] == ["proficient", "not_yet"]
    assert '"ada"' not in view.model_dump_json()


async def test_a_resubmission_goes_elsewhere_when_the_earlier_assessor_is_paused(service, micro_credential_id):
    await service.create_assessor(new_assessor(micro_credential_id, "ada"))
    submission_id = new_id()
    first = await submitted_and_assigned(service, micro_credential_id, "ada", submission_id=submission_id)
    await service.submit_review("ada", first, review("resubmit", overview="not_yet"))
    await service.update_assessor("ada", AssessorUpdate(paused=True))
    await service.create_assessor(new_assessor(micro_credential_id, "bo"))

    await submitted_and_assigned(service, micro_credential_id, "bo", submission_id=submission_id, attempt=2)


# ---- the assessor pool -----------------------------------------------------------------


async def test_assessor_identity_of_organisation_is_stored_only_as_a_hash(service, micro_credential_id):
    created = await service.create_assessor(
        new_assessor(micro_credential_id, "ada", organization_id="school-1", conflict_ids=["Person-7"])
    )
    assert "school-1" not in created.model_dump_json()
    stored = await service.session.get(Assessor, "ada")
    assert stored.organization_hash == conflict_hash(KEY, "school-1")
    assert stored.conflict_hashes == [conflict_hash(KEY, "person-7")]

    with pytest.raises(Problem) as error:
        await service.create_assessor(new_assessor(micro_credential_id, "ada"))
    refused_with(error, 409, "assessor-exists")
    with pytest.raises(Problem) as error:
        await service.get_assessor("nobody\x00")
    refused_with(error, 404, "not-found")


# ---- queue, claim and the blind view -----------------------------------------------------


async def test_claim_leases_the_oldest_unclaimed_assignment_and_then_nothing(service, micro_credential_id):
    await service.create_assessor(new_assessor(micro_credential_id, "ada"))
    older = await submitted_and_assigned(service, micro_credential_id, "ada")
    newer = await submitted_and_assigned(service, micro_credential_id, "ada")

    before = utcnow()
    claimed = await service.claim_next("ada")
    assert claimed.assignment_id == older
    assert before + timedelta(seconds=3600) <= claimed.lease_expires_at <= utcnow() + timedelta(seconds=3600)
    assert (await service.claim_next("ada")).assignment_id == newer
    assert await service.claim_next("ada") is None

    queue = await service.queue("ada", limit=10, cursor=None)
    assert [(item.assignment_id, item.state) for item in queue.items] == [(older, "claimed"), (newer, "claimed")]
    assert queue.items[0].lease_expires_at == claimed.lease_expires_at


async def test_the_queue_pages_oldest_first_with_an_opaque_cursor(service, micro_credential_id):
    await service.create_assessor(new_assessor(micro_credential_id, "ada"))
    ids = [await submitted_and_assigned(service, micro_credential_id, "ada") for _ in range(3)]

    first = await service.queue("ada", limit=2, cursor=None)
    second = await service.queue("ada", limit=2, cursor=first.next_cursor)

    assert [item.assignment_id for item in first.items + second.items] == ids
    assert second.next_cursor is None
    with pytest.raises(Problem) as error:
        await service.queue("ada", limit=2, cursor="AA")  # decodes to a NUL byte
    refused_with(error, 400, "invalid-cursor")


async def test_only_the_given_assessor_sees_and_works_an_assignment(service, micro_credential_id):
    await service.create_assessor(new_assessor(micro_credential_id, "ada"))
    await service.create_assessor(new_assessor("another-credential", "bo"))
    assignment_id = await submitted_and_assigned(service, micro_credential_id, "ada", conflicts=("school-1",))

    view = await service.blind_view("ada", assignment_id)
    assert view.micro_credential.title == "Belonging and Caring Classroom Climate"
    assert [section.id for section in view.rubric] == ["overview", "reflection"]
    assert [evidence.section_id for evidence in view.evidence] == ["overview", "reflection"]
    assert view.earlier_feedback == []
    shown = view.model_dump_json()
    assert conflict_hash(KEY, "school-1") not in shown and "submission" not in shown

    for call in (
        lambda: service.blind_view("bo", assignment_id),
        lambda: service.submit_review("bo", assignment_id, review()),
    ):
        with pytest.raises(Problem) as error:
            await call()
        refused_with(error, 403, "forbidden")
    for unknown in (new_id(), "../x", ""):
        with pytest.raises(Problem) as error:
            await service.blind_view("ada", unknown)
        refused_with(error, 404, "not-found")
    assert (await service.queue("bo", limit=10, cursor=None)).items == []
    with pytest.raises(Problem) as error:
        await service.queue("stranger", limit=10, cursor=None)
    refused_with(error, 403, "forbidden")


# ---- reviews ---------------------------------------------------------------------------


async def test_a_review_completes_the_work_and_stages_the_result_without_the_assessor(service, micro_credential_id):
    await service.create_assessor(new_assessor(micro_credential_id, "ada"))
    assignment_id = await submitted_and_assigned(service, micro_credential_id, "ada")

    done = await service.submit_review("ada", assignment_id, review("award", overview="developing"))

    assert (done.assignment_id, done.recommendation) == (assignment_id, "award")
    [completed] = await staged(service, AssessmentCompleted)
    assert completed["review_id"] == done.review_id and completed["recommendation"] == "award"
    assert [(s["section_id"], s["level"]) for s in completed["sections"]] == [
        ("overview", "developing"),
        ("reflection", "proficient"),
    ]
    assert '"ada"' not in json.dumps(completed)
    assignment = await service.session.get(Assignment, assignment_id)
    assert assignment.state == "completed" and assignment.claimed_at is not None  # claimed implicitly
    assert (await service.session.get(Attempt, assignment.attempt_id)).state == "completed"
    assert (await service.queue("ada", limit=10, cursor=None)).items == []

    with pytest.raises(Problem) as error:
        await service.submit_review("ada", assignment_id, review())
    refused_with(error, 409, "assignment-completed")


def scored(*sections: tuple[str, str, str], recommendation: str = "award") -> ReviewIn:
    return ReviewIn(
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
async def test_a_review_that_breaks_a_rule_is_refused_and_changes_nothing(service, micro_credential_id, body, slug):
    await service.create_assessor(new_assessor(micro_credential_id, "ada"))
    assignment_id = await submitted_and_assigned(service, micro_credential_id, "ada")

    with pytest.raises(Problem) as error:
        await service.submit_review("ada", assignment_id, body)

    refused_with(error, 422, slug)
    assert (await service.session.get(Assignment, assignment_id)).state == "assigned"
    assert await staged(service, AssessmentCompleted) == []
