"""Progress of a submission: the status, feedback, decision and credential that the other
services' events report, recorded here (the only place that changes the status after intake)
and shown to the platform that made the submission."""

from dataclasses import dataclass

from awardpath_shared.events import (
    AssessmentAssigned,
    AssessmentCompleted,
    AwardDecided,
    CredentialIssued,
    CredentialRevoked,
    FeedbackRecorded,
)
from awardpath_shared.ids import utcnow
from awardpath_shared.pagination import Paged, fetch_page
from awardpath_shared.vocabulary import DecisionOutcome, SubmissionStatus
from awardpath_submission.intake.models import StatusChange, Submission
from awardpath_submission.intake.service import owned_by, record_status
from awardpath_submission.progress.models import Review
from awardpath_submission.uow import SubmissionUnitOfWork


@dataclass(frozen=True)
class Timeline:
    """Every status change of a submission, oldest first."""

    submission_id: str
    entries: list[StatusChange]


class ProgressService:
    def __init__(self, uow: SubmissionUnitOfWork) -> None:
        self.uow = uow

    # ---- what the platform reads -----------------------------------------------------

    async def get(self, platform_id: str, submission_id: str) -> Submission:
        return owned_by(platform_id, submission_id, await self.uow.progress.submission_with_details(submission_id))

    async def list_submissions(
        self,
        platform_id: str,
        *,
        earner_external_id: str | None,
        status: SubmissionStatus | None,
        cursor: str | None,
        limit: int,
    ) -> Paged[Submission]:
        """The platform's own submissions, oldest first."""
        return await fetch_page(
            lambda after, size: self.uow.progress.list_submissions(
                platform_id, earner_external_id=earner_external_id, status=status, after_id=after, limit=size
            ),
            cursor=cursor,
            limit=limit,
            position=lambda submission: submission.id,
        )

    async def timeline(self, platform_id: str, submission_id: str) -> Timeline:
        owned_by(platform_id, submission_id, await self.uow.submissions.submission(submission_id))
        return Timeline(submission_id, await self.uow.progress.timeline(submission_id))

    # ---- what the other services report ----------------------------------------------

    async def record_assignment(self, event: AssessmentAssigned) -> None:
        submission = await self._locked(event.submission_id)
        if submission.current_attempt == event.attempt and submission.status == SubmissionStatus.SUBMITTED:
            self._move(submission, SubmissionStatus.IN_REVIEW, "an assessor is reviewing the evidence")
        await self.uow.flush()

    async def record_review(self, event: AssessmentCompleted) -> None:
        submission = await self._locked(event.submission_id)
        attempt = await self.uow.submissions.attempt(event.submission_id, event.attempt)
        if attempt is None:
            raise LookupError(f"attempt {event.attempt} of {event.submission_id} is not known")
        if await self.uow.progress.review(event.review_id) is not None:
            return  # already recorded: the event came again
        self.uow.progress.add(
            Review(
                id=event.review_id,
                attempt_id=attempt.id,
                sections=event.sections,
                recommendation=event.recommendation,
                completed_at=event.completed_at,
            )
        )
        # The decision may have overtaken the review (different topics): never step back.
        waiting = submission.status in (SubmissionStatus.SUBMITTED, SubmissionStatus.IN_REVIEW)
        if submission.current_attempt == event.attempt and waiting:
            self._move(
                submission, SubmissionStatus.AWAITING_DECISION, "feedback available; awaiting the issuer's decision"
            )
        if submission.status != SubmissionStatus.WITHDRAWN:
            self.uow.publish(FeedbackRecorded(submission_id=submission.id, attempt=event.attempt, recorded_at=utcnow()))
        await self.uow.flush()

    async def record_decision(self, event: AwardDecided) -> None:
        submission = await self._locked(event.submission_id)
        if submission.current_attempt != event.attempt or submission.status.is_final:
            return
        reopened = event.outcome == DecisionOutcome.RESUBMISSION_OPEN
        if submission.status == SubmissionStatus.RESUBMISSION_OPEN and reopened:
            return
        submission.decision_outcome = event.outcome
        submission.decision_note = event.note
        submission.award_id = event.award_id
        self._move(submission, SubmissionStatus(event.outcome.value), event.note)
        await self.uow.flush()

    async def record_credential(self, event: CredentialIssued) -> None:
        submission = await self._locked(event.submission_id)
        submission.credential_id = event.credential_id
        submission.credential_url = event.credential_url
        submission.updated_at = utcnow()
        await self.uow.flush()

    async def record_revocation(self, event: CredentialRevoked) -> None:
        submission = await self._locked(event.submission_id)
        submission.credential_revoked_at = event.revoked_at
        submission.updated_at = utcnow()
        await self.uow.flush()

    async def _locked(self, submission_id: str) -> Submission:
        submission = await self.uow.submissions.submission(submission_id, for_update=True)
        if submission is None:
            raise LookupError(f"submission {submission_id} is not known")
        return submission

    def _move(self, submission: Submission, status: SubmissionStatus, detail: str | None) -> None:
        record_status(self.uow, submission.move_to(status, detail, utcnow()))
