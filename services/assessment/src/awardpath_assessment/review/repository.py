from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_assessment.review.models import Review


class ReviewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, review: Review) -> None:
        self.session.add(review)

    async def of_attempt(self, attempt_id: str) -> list[Review]:
        """The attempt's reviews in the order they were completed."""
        return list(
            await self.session.scalars(
                select(Review).where(Review.attempt_id == attempt_id).order_by(Review.completed_at, Review.id)
            )
        )
