"""Reviews of live work and the settlement of an attempt's outcome.

Two independent reviews that agree on the recommendation settle a double-scored attempt with
the earlier one; if they disagree a third assessor (neither of them) adjudicates, and the
adjudication decides. Only the deciding review leaves the service, once."""

from awardpath_assessment.assignment.models import AssignmentState, Attempt
from awardpath_assessment.assignment.service import AssignmentService
from awardpath_assessment.pool.service import PoolService
from awardpath_assessment.queue.service import QueueService
from awardpath_assessment.review.models import Review
from awardpath_assessment.review.schemas import ReviewCreate
from awardpath_assessment.review.validation import validated_results
from awardpath_assessment.settings import AssessmentSettings
from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared.events import AssessmentCompleted
from awardpath_shared.ids import new_id, utcnow


class ReviewService:
    def __init__(self, uow: AssessmentUnitOfWork, settings: AssessmentSettings) -> None:
        self.uow = uow
        self.settings = settings
        self.assignment = AssignmentService(uow, settings)

    async def submit(self, assessor_id: str, assignment_id: str, body: ReviewCreate) -> Review:
        await self.uow.take_assignment_lock()  # the review frees a place to fill
        assignment = await QueueService(self.uow, self.settings).open_assignment(assessor_id, assignment_id)
        attempt = assignment.attempt
        results = validated_results(attempt.rubric.sections, body, self.settings.min_feedback_chars)
        now = utcnow()
        assessor = await PoolService(self.uow, self.settings).get(assessor_id)
        assessor.finish(assignment, AssignmentState.COMPLETED, now)
        review = Review(
            id=new_id(),
            assignment_id=assignment.id,
            attempt_id=attempt.id,
            assessor_id=assessor_id,
            sections=results,
            recommendation=body.recommendation,
            note_to_issuer=body.note_to_issuer.strip() if body.note_to_issuer else None,
            completed_at=now,
        )
        self.uow.reviews.add(review)
        await self.uow.flush()
        await self._settle(attempt)
        # The review freed a place in this assessor's queue.
        await self.assignment.assign_waiting(assessor)
        await self.uow.flush()
        return review

    async def _settle(self, attempt: Attempt) -> None:
        """After a review: send the outcome once the attempt has the reviews it needs."""
        reviews = await self.uow.reviews.of_attempt(attempt.id)
        if len(reviews) < attempt.reviews_needed:
            return  # the other independent review is still to come
        if attempt.reviews_needed == 2:
            first, second = reviews
            if first.recommendation != second.recommendation:
                attempt.needs_adjudication()
                await self.uow.flush()
                await self.assignment.assign(attempt)
                return
            self._decide(attempt, first)
            return
        self._decide(attempt, reviews[-1])

    def _decide(self, attempt: Attempt, review: Review) -> None:
        attempt.settle(review.id, utcnow())
        self.uow.publish(
            AssessmentCompleted(
                review_id=review.id,
                submission_id=attempt.submission_id,
                attempt=attempt.number,
                micro_credential_id=attempt.micro_credential_id,
                micro_credential_version=attempt.micro_credential_version,
                sections=review.sections,
                recommendation=review.recommendation,
                note_to_issuer=review.note_to_issuer,
                completed_at=review.completed_at,
                files=[ref for section in attempt.evidence for ref in section.files],
            )
        )
