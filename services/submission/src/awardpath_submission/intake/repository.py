from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_shared.db import insert_unless_present
from awardpath_shared.ids import new_id
from awardpath_shared.validation import is_wellformed_id
from awardpath_submission.intake.models import Attempt, Earner, StatusChange, Submission


class SubmissionRepository:
    """Earners, submissions and their attempts, loaded and locked; no rules."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, *rows: Earner | Submission | Attempt | StatusChange) -> None:
        self.session.add_all(rows)

    async def earner(self, platform_id: str, external_id: str, *, identity: dict[str, str | None]) -> Earner:
        """The platform's earner, created with `identity` when new. Concurrent first
        submissions for one new earner all find the one row (no unique violation)."""
        key = {"platform_id": platform_id, "external_id": external_id}
        await insert_unless_present(self.session, Earner, {"id": new_id(), **key, **identity}, list(key))
        earner = await self.session.scalar(select(Earner).filter_by(**key).execution_options(populate_existing=True))
        assert earner is not None  # inserted above, or by the transaction it waited for
        return earner

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
