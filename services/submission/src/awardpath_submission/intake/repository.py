from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_shared.db import add_unless_it_clashes, upsert_returning
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
        """The platform's earner, created or updated to `identity` (the platform's latest word
        on who they are), locked until the transaction ends: one earner's new submissions are
        decided one at a time. Concurrent first submissions for one new earner all find the
        one row (no unique violation)."""
        key = {"platform_id": platform_id, "external_id": external_id}
        return await upsert_returning(self.session, Earner, key, identity, on_insert={"id": new_id()})

    async def add_open(self, submission: Submission) -> bool:
        """Insert a new (open) submission under a savepoint; False when the earner has an
        open one for the micro-credential already (the partial unique index says so)."""
        return await add_unless_it_clashes(self.session, submission)

    async def latest_of(self, earner_id: str, micro_credential_id: str) -> Submission | None:
        """The earner's most recent submission for the micro-credential: an earner has one
        open at a time, so it is the open one if any."""
        query = (
            select(Submission)
            .where(Submission.earner_id == earner_id, Submission.micro_credential_id == micro_credential_id)
            .order_by(Submission.created_at.desc(), Submission.id.desc())
            .limit(1)
        )
        return await self.session.scalar(query)

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
