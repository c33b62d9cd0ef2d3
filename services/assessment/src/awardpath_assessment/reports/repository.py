from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_assessment.assignment.models import Assignment, Attempt
from awardpath_assessment.review.models import Review


class ReportRepository:
    """What the reliability report reads of one micro-credential's work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def attempts_of(self, micro_credential_id: str) -> list[Attempt]:
        return list(
            await self.session.scalars(select(Attempt).where(Attempt.micro_credential_id == micro_credential_id))
        )

    async def reviews_of(self, micro_credential_id: str) -> list[tuple[Review, Assignment]]:
        """Every review of the micro-credential's attempts with its assignment, in completion order."""
        rows = await self.session.execute(
            select(Review, Assignment)
            .join(Assignment, Assignment.id == Review.assignment_id)
            .join(Attempt, Attempt.id == Review.attempt_id)
            .where(Attempt.micro_credential_id == micro_credential_id)
            .order_by(Review.completed_at, Review.id)
        )
        return [(review, assignment) for review, assignment in rows]
