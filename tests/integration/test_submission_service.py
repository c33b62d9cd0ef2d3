"""The submission service's rules on a migrated database (both backends): what it accepts,
what it sends the assessment service, and how its status follows events in any order."""

import pytest
from sqlalchemy import func, select

from awardpath_assessment.models import Base as AssessmentBase
from awardpath_shared.errors import DomainError
from awardpath_shared.events import (
    AssessmentAssigned,
    FeedbackRecorded,
    SubmissionResubmitted,
    SubmissionStatusChanged,
    SubmissionSubmitted,
)
from awardpath_shared.ids import utcnow
from awardpath_submission.intake.schemas import AttemptCreate, SubmissionCreate
from awardpath_submission.models import Earner, Submission
from tests.support.assessment import new_assessor, published
from tests.support.earner_identity import EVERY_FORM, leaks_in
from tests.support.outbox import staged
from tests.support.refusals import refusal
from tests.support.submission import CLEAN_ARTIFACT, EARNER, completed, decided, evidence, in_catalog, submitted


@pytest.fixture
async def micro_credential_id(submission_uow) -> str:
    return await in_catalog(submission_uow)


async def test_the_attempt_sent_to_assessment_is_redacted_and_hashed(submission_uow, intake, micro_credential_id):
    await submitted(intake, micro_credential_id, text="I am Ada Lovelace, ada@school.example.org.")
    sent = str((await staged(submission_uow, SubmissionSubmitted))[-1])
    assert "I am [earner], [earner]." in sent
    for identity in EARNER.values():
        assert identity not in sent


async def test_what_assessment_receives_and_stores_holds_no_form_of_the_earner(
    submission_uow, intake, progress, assessment, micro_credential_id
):
    """Both attempts, as the assessment service consumes them, shows them and stores them."""
    await assessment.record_rubric(published(micro_credential_id))
    await assessment.create_assessor(new_assessor(micro_credential_id, "assessor-1"))
    submission_id = await submitted(intake, micro_credential_id, text=EVERY_FORM)
    await progress.record_decision(decided(submission_id, "resubmission_open"))
    await intake.resubmit("platform-1", submission_id, AttemptCreate.model_validate({"evidence": evidence(EVERY_FORM)}))

    sent = [*await staged(submission_uow, SubmissionSubmitted), *await staged(submission_uow, SubmissionResubmitted)]
    assert [event["attempt"] for event in sent] == [1, 2]
    for payload, event_class in zip(sent, (SubmissionSubmitted, SubmissionResubmitted), strict=True):
        await assessment.receive_attempt(event_class.model_validate(payload))
    queue = await assessment.queue("assessor-1", limit=10, cursor=None)
    views = [await assessment.blind_view("assessor-1", item.assignment_id) for item in queue.items]
    assert len(views) == 2 and all("[earner]" in view.model_dump_json() for view in views)
    stored = [
        str(tuple(row))
        for table in AssessmentBase.metadata.sorted_tables
        for row in await assessment.session.execute(select(table))
    ]
    texts = {"events": str(sent), "blind views": str([view.model_dump_json() for view in views]), "stored": str(stored)}
    assert {where: leaks_in(text) for where, text in texts.items()} == {where: [] for where in texts}


IDENTIFYING_ARTIFACTS = [
    ({"url": "https://files.example.org/ada-lovelace/practice.mp4"}, "url"),
    ({"url": "https://files.example.org/AdaLovelace_2024.mp4"}, "url"),
    ({"url": "https://files.example.org/lovelace.ada/practice.mp4"}, "url"),
    ({"url": "https://files.example.org/u/teacher-xq-1/practice.mp4"}, "url"),
    ({"url": "https://files.example.org/practice.mp4?owner=ada%40school.example.org"}, "url"),
    ({"url": "https://files.example.org/Ada%20Lovelace.mp4"}, "url"),
    ({"media_type": "video/ada-lovelace"}, "media_type"),
]


@pytest.mark.parametrize(("artifact", "field"), IDENTIFYING_ARTIFACTS)
async def test_an_artifact_that_identifies_the_earner_is_refused_and_changes_nothing(
    submission_uow, intake, micro_credential_id, artifact, field
):
    with pytest.raises(DomainError) as refused:
        await submitted(intake, micro_credential_id, artifact={**CLEAN_ARTIFACT, **artifact})
    assert refusal(refused) == (422, "identifying-artifact")
    assert refused.value.extensions["fields"] == [f"evidence[0].artifacts[0].{field}"]
    assert not leaks_in(refused.value.detail)  # names the field, not the earner
    assert await submission_uow.session.scalar(select(func.count()).select_from(Submission)) == 0
    assert await submission_uow.session.scalar(select(func.count()).select_from(Earner)) == 0
    assert await staged(submission_uow, SubmissionSubmitted) == []


@pytest.mark.parametrize(("artifact", "field"), IDENTIFYING_ARTIFACTS[:4])
async def test_a_resubmitted_artifact_that_identifies_the_earner_is_refused_and_changes_nothing(
    submission_uow, intake, progress, micro_credential_id, artifact, field
):
    submission_id = await submitted(intake, micro_credential_id)
    await progress.record_decision(decided(submission_id, "resubmission_open"))
    again = AttemptCreate.model_validate({"evidence": evidence(artifact={**CLEAN_ARTIFACT, **artifact})})
    with pytest.raises(DomainError) as refused:
        await intake.resubmit("platform-1", submission_id, again)
    assert refusal(refused) == (422, "identifying-artifact")
    assert refused.value.extensions["fields"] == [f"evidence[0].artifacts[0].{field}"]
    submission = await progress.get("platform-1", submission_id)
    assert (submission.status, submission.current_attempt) == ("resubmission_open", 1)
    assert await staged(submission_uow, SubmissionResubmitted) == []


async def test_evidence_must_match_the_rubric(intake, micro_credential_id):
    request = SubmissionCreate.model_validate(
        {
            "micro_credential_id": micro_credential_id,
            "earner": EARNER,
            "evidence": [{"section_id": "overview", "text": "x"}, {"section_id": "essay", "text": "y"}],
        }
    )
    with pytest.raises(DomainError) as refused:
        await intake.submit("platform-1", request)
    assert refusal(refused)[0] == 422
    assert refused.value.extensions["errors"] == ["unknown sections: essay", "missing required sections: reflection"]


async def test_status_follows_the_path_and_a_late_review_never_steps_it_back(
    submission_uow, intake, progress, micro_credential_id
):
    submission_id = await submitted(intake, micro_credential_id)
    await progress.record_assignment(AssessmentAssigned(submission_id=submission_id, attempt=1, assigned_at=utcnow()))
    # The decision (award topic) overtakes the review (assessment topic).
    await progress.record_decision(decided(submission_id, "resubmission_open"))
    review = completed(submission_id)
    await progress.record_review(review)
    await progress.record_review(review)  # delivered again

    submission = await progress.get("platform-1", submission_id)
    assert submission.status == "resubmission_open"
    assert [len(attempt.reviews) for attempt in submission.attempts] == [1]
    statuses = [change.status for change in (await progress.timeline("platform-1", submission_id)).entries]
    assert statuses == ["submitted", "in_review", "resubmission_open"]
    # The platform is told of the feedback all the same, once.
    announced = await staged(submission_uow, FeedbackRecorded)
    assert [(event["submission_id"], event["attempt"]) for event in announced] == [(submission_id, 1)]


async def test_a_review_of_a_withdrawn_submission_is_kept_but_not_announced(
    submission_uow, intake, progress, micro_credential_id
):
    submission_id = await submitted(intake, micro_credential_id)
    await intake.withdraw("platform-1", submission_id, None)
    await progress.record_review(completed(submission_id))

    submission = await progress.get("platform-1", submission_id)
    assert submission.status == "withdrawn"
    assert [len(attempt.reviews) for attempt in submission.attempts] == [1]
    assert await staged(submission_uow, FeedbackRecorded) == []


async def test_every_status_change_is_published_numbered_as_the_timeline_has_it(
    submission_uow, intake, progress, micro_credential_id
):
    submission_id = await submitted(intake, micro_credential_id)
    await progress.record_assignment(AssessmentAssigned(submission_id=submission_id, attempt=1, assigned_at=utcnow()))
    await progress.record_assignment(AssessmentAssigned(submission_id=submission_id, attempt=1, assigned_at=utcnow()))
    await progress.record_review(completed(submission_id))
    await progress.record_decision(decided(submission_id, "resubmission_open"))
    await intake.resubmit("platform-1", submission_id, AttemptCreate.model_validate({"evidence": evidence()}))
    await progress.record_decision(decided(submission_id, "denied", attempt=1))  # an older attempt's: no change

    timeline = (await progress.timeline("platform-1", submission_id)).entries
    published = await staged(submission_uow, SubmissionStatusChanged)
    assert [(event["status"], event["attempt"], event["sequence"]) for event in published] == [
        ("submitted", 1, 1),
        ("in_review", 1, 2),
        ("awaiting_decision", 1, 3),
        ("resubmission_open", 1, 4),
        ("submitted", 2, 5),
    ]
    assert [(entry.status, entry.attempt, entry.sequence) for entry in timeline] == [
        (event["status"], event["attempt"], event["sequence"]) for event in published
    ]
    assert {event["submission_id"] for event in published} == {submission_id}
    assert not leaks_in(str(published))


async def test_resubmission_only_when_open_and_within_attempts(intake, progress, micro_credential_id):
    submission_id = await submitted(intake, micro_credential_id)
    again = AttemptCreate.model_validate({"evidence": evidence("More circles.")})
    with pytest.raises(DomainError) as not_open:
        await intake.resubmit("platform-1", submission_id, again)
    assert refusal(not_open) == (409, "resubmission-not-open")

    await progress.record_decision(decided(submission_id, "resubmission_open"))
    assert (await intake.resubmit("platform-1", submission_id, again)).current_attempt == 2
    with pytest.raises(DomainError) as other_platform:
        await intake.resubmit("platform-2", submission_id, again)
    assert refusal(other_platform)[0] == 403


async def test_a_decision_for_an_older_attempt_changes_nothing(intake, progress, micro_credential_id):
    submission_id = await submitted(intake, micro_credential_id)
    await progress.record_decision(decided(submission_id, "resubmission_open"))
    await intake.resubmit("platform-1", submission_id, AttemptCreate.model_validate({"evidence": evidence()}))
    await progress.record_decision(decided(submission_id, "denied", attempt=1))
    assert (await progress.get("platform-1", submission_id)).status == "submitted"


async def test_a_later_submission_updates_who_the_earner_is_in_their_one_row(
    submission_session, submission_uow, intake, micro_credential_id
):
    other_micro_credential_id = await in_catalog(submission_uow)
    await submitted(intake, micro_credential_id)
    married = {**EARNER, "name": "Ada King", "email": "ada.king@school.example.org"}
    second_id = await submitted(intake, other_micro_credential_id, earner=married)

    earners = list(await submission_session.scalars(select(Earner)))
    assert [(earner.name, earner.email) for earner in earners] == [("Ada King", "ada.king@school.example.org")]
    second = await submission_session.get(Submission, second_id)
    assert second is not None and second.earner_id == earners[0].id
