"""Withdrawal through each service's layer on a migrated database (both backends): the
submission ends `withdrawn` from any open state and never from a final one; assessment drops
the work (waiting or leased) and frees the capacity; the award service cancels a pending
decision, opens none for a late assessment and issues no credential for a late award."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from awardpath_assessment.models import Assignment, Attempt
from awardpath_award.credentials.service import CredentialService
from awardpath_award.decisions.schemas import DecisionRequest
from awardpath_award.decisions.service import DecisionService
from awardpath_award.models import Credential, Decision
from awardpath_award.recipients.service import RecipientService
from awardpath_award.settings import AwardSettings
from awardpath_award.uow import AwardUnitOfWork
from awardpath_shared.errors import DomainError
from awardpath_shared.events import (
    AssessmentAssigned,
    AwardGranted,
    CredentialRevoked,
    SubmissionStatusChanged,
    SubmissionWithdrawn,
)
from awardpath_shared.ids import new_id, utcnow
from awardpath_submission.intake.schemas import AttemptCreate, WithdrawRequest
from tests.support.assessment import attempt_event, new_assessor, review
from tests.support.award import a_micro_credential, a_recipient, an_assessment
from tests.support.outbox import staged
from tests.support.refusals import refusal
from tests.support.submission import completed, decided, evidence, in_catalog, submitted

AWARD_SETTINGS = AwardSettings(public_url="https://badges.example.org", master_key="integration-master-key")


def withdrawn(submission_id: str, attempt: int = 1) -> SubmissionWithdrawn:
    return SubmissionWithdrawn(submission_id=submission_id, attempt=attempt, withdrawn_at=utcnow())


# ---- the submission service ---------------------------------------------------------------


@pytest.fixture
async def catalog_id(submission_uow) -> str:
    """A micro-credential in the submission service's catalog."""
    return await in_catalog(submission_uow)


async def to_state(progress, submission_id: str, state: str) -> None:
    """Move a fresh submission (submitted, attempt 1) on to `state` by the event that does."""
    if state == "in_review":
        await progress.record_assignment(
            AssessmentAssigned(submission_id=submission_id, attempt=1, assigned_at=utcnow())
        )
    elif state == "awaiting_decision":
        await progress.record_review(completed(submission_id))
    elif state != "submitted":
        await progress.record_decision(decided(submission_id, state))


@pytest.mark.parametrize("state", ["submitted", "in_review", "awaiting_decision", "resubmission_open"])
async def test_a_submission_is_withdrawn_from_any_open_state_and_says_so(
    submission_uow, intake, progress, catalog_id, state
):
    submission_id = await submitted(intake, catalog_id)
    await to_state(progress, submission_id, state)
    assert (await progress.get("platform-1", submission_id)).status == state

    withdrawn_one = await intake.withdraw("platform-1", submission_id, WithdrawRequest(reason="The teacher moved."))

    assert withdrawn_one.status == "withdrawn"
    [last] = (await progress.timeline("platform-1", submission_id)).entries[-1:]
    assert (last.status, last.detail) == ("withdrawn", "withdrawn by the platform: The teacher moved.")
    [sent] = await staged(submission_uow, SubmissionWithdrawn)
    assert (sent["submission_id"], sent["attempt"]) == (submission_id, 1)
    statuses = [(event["status"], event["sequence"]) for event in await staged(submission_uow, SubmissionStatusChanged)]
    assert statuses[-1] == ("withdrawn", last.sequence)
    assert "moved" not in str(sent) + str(statuses)  # the reason stays in the submission service

    # Nothing that arrives afterwards reopens it.
    await progress.record_review(completed(submission_id))
    await progress.record_decision(decided(submission_id, "awarded"))
    assert (await progress.get("platform-1", submission_id)).status == "withdrawn"
    with pytest.raises(DomainError) as resubmitted:
        await intake.resubmit("platform-1", submission_id, AttemptCreate.model_validate({"evidence": evidence()}))
    assert refusal(resubmitted) == (409, "resubmission-not-open")


@pytest.mark.parametrize("state", ["awarded", "denied", "withdrawn"])
async def test_a_final_submission_cannot_be_withdrawn(submission_uow, intake, progress, catalog_id, state):
    submission_id = await submitted(intake, catalog_id)
    if state == "withdrawn":
        await intake.withdraw("platform-1", submission_id, None)
    else:
        await to_state(progress, submission_id, state)
    before = len(await staged(submission_uow, SubmissionStatusChanged))

    with pytest.raises(DomainError) as refused:
        await intake.withdraw("platform-1", submission_id, None)
    assert refusal(refused) == (409, "submission-closed")
    assert refused.value.extensions["submission_status"] == state
    assert len(await staged(submission_uow, SubmissionStatusChanged)) == before


async def test_only_the_platform_that_made_it_withdraws_it(intake, progress, catalog_id):
    submission_id = await submitted(intake, catalog_id)
    with pytest.raises(DomainError) as refused:
        await intake.withdraw("platform-2", submission_id, None)
    assert refusal(refused)[0] == 403
    assert (await progress.get("platform-1", submission_id)).status == "submitted"


# ---- the assessment service ---------------------------------------------------------------


async def test_waiting_work_of_a_withdrawn_submission_leaves_the_queue(assessment, micro_credential_id):
    event = attempt_event(micro_credential_id)
    await assessment.receive_attempt(event)  # nobody can take it: it waits
    assert (await assessment.list_unassigned(limit=10, cursor=None)).count == 1

    await assessment.withdraw(withdrawn(event.submission_id))
    await assessment.withdraw(withdrawn(event.submission_id))  # delivered twice: once

    assert (await assessment.list_unassigned(limit=10, cursor=None)).count == 0
    await assessment.create_assessor(new_assessor(micro_credential_id, "ada"))
    assert (await assessment.queue("ada", limit=10, cursor=None)).items == []
    attempt = await assessment.session.scalar(select(Attempt).where(Attempt.submission_id == event.submission_id))
    assert attempt is not None and attempt.state == "withdrawn"
    # Past its due time it is still nobody's overdue work.
    report = await assessment.reliability(micro_credential_id, now=attempt.due_at + timedelta(days=30))
    assert report.overdue == 0


async def test_a_leased_assignment_ends_and_its_capacity_goes_to_waiting_work(assessment, micro_credential_id):
    await assessment.create_assessor(new_assessor(micro_credential_id, "ada", capacity=1))
    first, waiting = attempt_event(micro_credential_id), attempt_event(micro_credential_id)
    await assessment.receive_attempt(first)
    await assessment.receive_attempt(waiting)
    claimed = await assessment.claim_next("ada")
    assert claimed is not None
    assert (await assessment.list_unassigned(limit=10, cursor=None)).count == 1

    await assessment.withdraw(withdrawn(first.submission_id))

    cancelled = await assessment.session.get(Assignment, claimed.assignment_id)
    assert cancelled is not None and cancelled.state == "cancelled"
    ada = await assessment.get_assessor("ada")
    assert ada.open_assignments == 1  # freed, and taken by the attempt that waited
    [now_held] = (await assessment.queue("ada", limit=10, cursor=None)).items
    assert now_held.assignment_id != claimed.assignment_id
    assert (await assessment.list_unassigned(limit=10, cursor=None)).count == 0
    with pytest.raises(DomainError) as late_review:
        await assessment.submit_review("ada", claimed.assignment_id, review())
    assert refusal(late_review) == (409, "submission-withdrawn")


async def test_an_attempt_arriving_after_the_withdrawal_is_not_stored(assessment, micro_credential_id):
    await assessment.create_assessor(new_assessor(micro_credential_id, "ada"))
    submission_id = new_id()
    await assessment.withdraw(withdrawn(submission_id))
    await assessment.receive_attempt(attempt_event(micro_credential_id, submission_id=submission_id))
    assert await assessment.session.scalar(select(Attempt).where(Attempt.submission_id == submission_id)) is None
    assert (await assessment.queue("ada", limit=10, cursor=None)).items == []


# ---- the award service --------------------------------------------------------------------


@pytest.fixture
def award_uow(award_session) -> AwardUnitOfWork:
    return AwardUnitOfWork(award_session)


async def test_a_pending_decision_is_cancelled_and_cannot_be_decided(award_uow):
    decisions = DecisionService(award_uow)
    published = await a_micro_credential(award_uow, decision_policy="manual")
    assessment = an_assessment(published)
    await decisions.record_assessment(assessment)
    decision = await award_uow.decisions.for_attempt(assessment.submission_id, 1)
    assert decision is not None and decision.state == "pending"

    await decisions.record_withdrawal(withdrawn(assessment.submission_id))
    await decisions.record_withdrawal(withdrawn(assessment.submission_id))  # delivered twice: once

    cancelled = await decisions.get(published.issuer_id, decision.id)
    assert cancelled.state == "cancelled" and cancelled.cancelled_at is not None
    pending = await decisions.list_decisions(published.issuer_id, state="pending", cursor=None, limit=50)
    assert pending.items == []
    with pytest.raises(DomainError) as refused:
        await decisions.decide(published.issuer_id, decision.id, DecisionRequest(decision="award"))
    assert refusal(refused) == (409, "decision-cancelled")


async def test_an_assessment_after_the_withdrawal_opens_no_decision(award_uow):
    decisions = DecisionService(award_uow)
    published = await a_micro_credential(award_uow, decision_policy="auto")
    assessment = an_assessment(published)
    await decisions.record_withdrawal(withdrawn(assessment.submission_id))

    await decisions.record_assessment(assessment)

    assert (
        await award_uow.session.scalar(select(Decision).where(Decision.submission_id == assessment.submission_id))
        is None
    )
    assert await staged(award_uow, AwardGranted) == []


async def test_an_award_that_crossed_the_withdrawal_is_not_issued_or_is_revoked(award_uow):
    decisions, credentials = DecisionService(award_uow), CredentialService(award_uow, AWARD_SETTINGS)
    published = await a_micro_credential(award_uow, decision_policy="auto")
    late, early = an_assessment(published), an_assessment(published)
    for assessment in (late, early):
        await RecipientService(award_uow).record(a_recipient(assessment.submission_id))
        await decisions.record_assessment(assessment)  # awarded by the auto policy
    granted = {
        event["submission_id"]: AwardGranted.model_validate(event) for event in await staged(award_uow, AwardGranted)
    }

    # The withdrawal came before the award was issued: no credential.
    await decisions.record_withdrawal(withdrawn(late.submission_id))
    assert await credentials.issue(granted[late.submission_id]) is None
    await credentials.revoke_withdrawn(late.submission_id)
    assert await staged(award_uow, CredentialRevoked) == []

    # ...after it was issued: the credential is revoked, saying why.
    issued = await credentials.issue(granted[early.submission_id])
    assert issued is not None
    await decisions.record_withdrawal(withdrawn(early.submission_id))
    await credentials.revoke_withdrawn(early.submission_id)
    await credentials.revoke_withdrawn(early.submission_id)  # delivered twice: revoked once
    revoked = await award_uow.session.get(Credential, issued.id)
    assert revoked is not None and revoked.revoked_at is not None
    assert revoked.revocation_reason == "The submission was withdrawn before this award reached it."
    assert [event["credential_id"] for event in await staged(award_uow, CredentialRevoked)] == [issued.id]
