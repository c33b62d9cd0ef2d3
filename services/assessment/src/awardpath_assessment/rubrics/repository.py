from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_assessment.rubrics.models import Rubric
from awardpath_shared.validation import is_wellformed_id


class RubricRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, micro_credential_id: str, version: int) -> Rubric | None:
        return await self.session.get(Rubric, (micro_credential_id, version))

    async def versions_of(self, micro_credential_id: str) -> list[Rubric]:
        if not is_wellformed_id(micro_credential_id):
            return []
        return list(await self.session.scalars(select(Rubric).where(Rubric.micro_credential_id == micro_credential_id)))

    def add(self, rubric: Rubric) -> None:
        self.session.add(rubric)
