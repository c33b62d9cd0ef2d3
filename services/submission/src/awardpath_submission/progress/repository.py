from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from awardpath_shared.db import keyset_page
from awardpath_shared.validation import is_wellformed_id
from awardpath_shared.vocabulary import SubmissionStatus
from awardpath_submission.intake.models import Attempt, Earner, StatusChange, Submission
from awardpath_submission.progress.models import Review


class ProgressRepository:
    """What a platform reads of its submissions, and the reviews recorded for them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def submission_with_details(self, submission_id: str) -> Submission | None:
        """The submission with its earner, catalog entry, attempts and their reviews."""
        if not is_wellformed_id(submission_id):
            return None
        return await self.session.scalar(
            select(Submission)
            .where(Submission.id == submission_id)
            .options(
                selectinload(Submission.earner),
                selectinload(Submission.micro_credential),
                selectinload(Submission.attempts).selectinload(Attempt.reviews),
            )
        )

    async def list_submissions(
        self,
        platform_id: str,
        *,
        earner_external_id: str | None,
        status: SubmissionStatus | None,
        after_id: str | None,
        limit: int,
    ) -> list[Submission]:
        query = select(Submission).where(Submission.platform_id == platform_id).options(selectinload(Submission.earner))
        if earner_external_id is not None:
            query = query.join(Earner, Earner.id == Submission.earner_id).where(
                Earner.external_id == earner_external_id
            )
        if status is not None:
            query = query.where(Submission.status == status)
        return list(await self.session.scalars(keyset_page(query, Submission.id, after_id, limit)))

    async def timeline(self, submission_id: str) -> list[StatusChange]:
        return list(
            await self.session.scalars(
                select(StatusChange).where(StatusChange.submission_id == submission_id).order_by(StatusChange.sequence)
            )
        )

    async def review(self, review_id: str) -> Review | None:
        return await self.session.get(Review, review_id)

    def add(self, review: Review) -> None:
        self.session.add(review)
