"""Attempts belong to the earner and the micro-credential (submission service layer, migrated
database, both backends): one open submission per earner and micro-credential, attempts
numbered on across submissions up to max_attempts, and after a final denial the issuer's
restart rule; the database holds the one-open rule by itself."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from awardpath_shared.errors import DomainError
from awardpath_shared.events import AssessmentAssigned, SubmissionStatusChanged, SubmissionSubmitted
from awardpath_shared.ids import new_id, utcnow
from awardpath_submission.intake.schemas import AttemptCreate
from awardpath_submission.models import Earner, MicroCredential, Submission
from tests.support.earner_identity import ADA
from tests.support.outbox import staged
from tests.support.refusals import refusal
from tests.support.submission import completed, decided, evidence, in_catalog, submitted


async def refused(intake, micro_credential_id: str, **fields) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await submitted(intake, micro_credential_id, **fields)
    return caught.value


async def resubmitted(intake, submission_id: str) -> int:
    again = AttemptCreate.model_validate({"evidence": evidence("More circles.")})
    return (await intake.resubmit("platform-1", submission_id, again)).current_attempt


@pytest.mark.parametrize("state", ["submitted", "in_review", "awaiting_decision", "resubmission_open"])
async def test_a_second_open_submission_of_the_earner_is_refused_naming_the_open_one(
    submission_uow, intake, progress, state
):
    micro_credential_id = await in_catalog(submission_uow)
    open_one = await submitted(intake, micro_credential_id)
    if state == "in_review":
        await progress.record_assignment(AssessmentAssigned(submission_id=open_one, attempt=1, assigned_at=utcnow()))
    if state == "awaiting_decision":
        await progress.record_review(completed(open_one))
    if state == "resubmission_open":
        await progress.record_decision(decided(open_one, "resubmission_open"))

    error = await refused(intake, micro_credential_id)

    assert refusal(error) == (409, "open-submission")
    assert error.extensions["open_submission_id"] == open_one
    assert ADA["name"] not in error.detail and ADA["email"] not in error.detail
    # Another earner, or another micro-credential, is not held up.
    other_earner = {**ADA, "external_id": "teacher-xq-2", "email": "grace@school.example.org"}
    await submitted(intake, micro_credential_id, earner=other_earner)
    await submitted(intake, await in_catalog(submission_uow))
    count = select(Submission).where(Submission.micro_credential_id == micro_credential_id)
    assert len(list(await submission_uow.session.scalars(count))) == 2


async def test_attempts_go_on_across_submissions_and_max_attempts_holds(submission_uow, intake, progress):
    micro_credential_id = await in_catalog(submission_uow, max_attempts=3)
    first = await submitted(intake, micro_credential_id)
    await intake.withdraw("platform-1", first, None)

    second = await submitted(intake, micro_credential_id)  # attempt 2 of 3, not 1
    assert (await progress.get("platform-1", second)).current_attempt == 2
    await progress.record_decision(decided(second, "resubmission_open", attempt=2))
    assert await resubmitted(intake, second) == 3
    await intake.withdraw("platform-1", second, None)  # every attempt used

    error = await refused(intake, micro_credential_id)
    assert refusal(error) == (409, "restart-not-allowed")
    assert error.extensions["last_submission_id"] == second
    sent = [(event["submission_id"], event["attempt"]) for event in await staged(submission_uow, SubmissionSubmitted)]
    assert sent == [(first, 1), (second, 2)]
    start = (await progress.timeline("platform-1", second)).entries[0]
    assert (start.status, start.attempt, start.detail) == ("submitted", 2, "attempt 2 submitted")


async def test_after_a_final_denial_the_issuers_rule_says_when_the_earner_starts_again(
    submission_uow, intake, progress
):
    micro_credential_id = await in_catalog(submission_uow, restart_after_days=30)
    denied = await submitted(intake, micro_credential_id)
    await progress.record_decision(decided(denied, "denied"))
    ended_at = (await progress.get("platform-1", denied)).ended_at
    assert ended_at is not None

    error = await refused(intake, micro_credential_id)
    assert refusal(error) == (409, "restart-not-yet")
    assert error.extensions["restart_allowed_at"] == (ended_at + timedelta(days=30)).isoformat()
    assert (ended_at + timedelta(days=30)).isoformat() in error.detail

    # Thirty days on, a new round of attempts starts at 1.
    submission = await submission_uow.session.get(Submission, denied)
    assert submission is not None
    submission.ended_at = utcnow() - timedelta(days=30, seconds=1)
    await submission_uow.flush()
    again = await submitted(intake, micro_credential_id)
    assert (await progress.get("platform-1", again)).current_attempt == 1


async def test_without_a_restart_rule_a_denial_is_the_end_and_an_award_always_is(submission_uow, intake, progress):
    never = await in_catalog(submission_uow)  # restart_after_days: None
    denied = await submitted(intake, never)
    await progress.record_decision(decided(denied, "denied"))
    assert refusal(await refused(intake, never)) == (409, "restart-not-allowed")

    at_once = await in_catalog(submission_uow, restart_after_days=0)
    awarded = await submitted(intake, at_once)
    await progress.record_decision(decided(awarded, "awarded"))
    error = await refused(intake, at_once)
    assert refusal(error) == (409, "already-awarded")
    assert error.extensions["awarded_submission_id"] == awarded


async def test_the_catalog_copy_keeps_the_issuers_restart_rule(submission_uow):
    micro_credential_id = await in_catalog(submission_uow, restart_after_days=14)
    entry = await submission_uow.session.get(MicroCredential, micro_credential_id)
    assert entry is not None and entry.restart_after_days == 14


async def test_the_database_itself_holds_one_open_submission_per_earner(submission_uow, intake, progress):
    micro_credential_id = await in_catalog(submission_uow)
    open_one = await submitted(intake, micro_credential_id)
    earner = await submission_uow.session.scalar(select(Earner).where(Earner.external_id == ADA["external_id"]))
    assert earner is not None

    def row(status: str) -> Submission:
        now = utcnow()
        return Submission(
            id=new_id(),
            platform_id="platform-1",
            earner_id=earner.id,
            micro_credential_id=micro_credential_id,
            status=status,
            current_attempt=1,
            status_sequence=0,
            conflict_hashes=[],
            created_at=now,
            updated_at=now,
        )

    submission_uow.session.add(row("denied"))  # final ones do not count
    await submission_uow.flush()
    with pytest.raises(IntegrityError):
        async with submission_uow.session.begin_nested():
            submission_uow.session.add(row("in_review"))
    assert (await progress.get("platform-1", open_one)).status == "submitted"
    assert await staged(submission_uow, SubmissionStatusChanged)
