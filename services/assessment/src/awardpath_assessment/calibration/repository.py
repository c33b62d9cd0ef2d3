from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from awardpath_assessment.calibration.models import CalibrationExample, CalibrationReview, CalibrationSet
from awardpath_shared.validation import is_wellformed_id


class CalibrationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: CalibrationSet | CalibrationReview) -> None:
        self.session.add(row)

    async def latest_set(self, micro_credential_id: str) -> CalibrationSet | None:
        return await self.session.scalar(
            select(CalibrationSet)
            .where(CalibrationSet.micro_credential_id == micro_credential_id)
            .order_by(CalibrationSet.id.desc())
            .limit(1)
        )

    async def set(self, set_id: str) -> CalibrationSet | None:
        """The set with its examples (each knowing its set) and its rubric."""
        return await self.session.scalar(
            select(CalibrationSet)
            .where(CalibrationSet.id == set_id)
            .options(
                selectinload(CalibrationSet.examples).selectinload(CalibrationExample.set),
                selectinload(CalibrationSet.rubric),
            )
        )

    async def example(self, example_id: str) -> CalibrationExample | None:
        if not is_wellformed_id(example_id):
            return None
        return await self.session.get(CalibrationExample, example_id)

    async def reviews(self, assessor_id: str, set_id: str) -> list[CalibrationReview]:
        """The assessor's reviews of the set's examples, each with its example."""
        return list(
            await self.session.scalars(
                select(CalibrationReview)
                .join(CalibrationExample, CalibrationExample.id == CalibrationReview.example_id)
                .where(CalibrationReview.assessor_id == assessor_id, CalibrationExample.set_id == set_id)
                .options(selectinload(CalibrationReview.example))
            )
        )

    async def forget_reviews(self, assessor_id: str, set_id: str) -> None:
        examples = select(CalibrationExample.id).where(CalibrationExample.set_id == set_id)
        await self.session.execute(
            delete(CalibrationReview).where(
                CalibrationReview.assessor_id == assessor_id, CalibrationReview.example_id.in_(examples)
            )
        )
