from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_shared.validation import is_wellformed_id
from awardpath_submission.intake.models import Attempt, Earner, StatusChange, Submission


class SubmissionRepository:
    """Earners, submissions and their attempts, loaded and locked; no rules."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, *rows: Earner | Submission | Attempt | StatusChange) -> None:
        self.session.add_all(rows)

    async def earner(self, platform_id: str, external_id: str) -> Earner | None:
        return await self.session.scalar(
            select(Earner).where(Earner.platform_id == platform_id, Earner.external_id == external_id)
        )

    async def earner_of(self, submission: Submission) -> Earner:
        earner = await self.session.get(Earner, submission.earner_id)
        assert earner is not None  # a foreign key
        return earner

    async def submission(self, submission_id: str, *, for_update: bool = False) -> Submission | None:
        if not is_wellformed_id(submission_id):
            return None
        query = select(Submission).where(Submission.id == submission_id)
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def attempt(self, submission_id: str, number: int) -> Attempt | None:
        return await self.session.scalar(
            select(Attempt).where(Attempt.submission_id == submission_id, Attempt.number == number)
        )
