"""Queries of the submission service."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from awardpath_submission.models import Attempt, Earner, MicroCredential, StatusChange, Submission


class SubmissionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def micro_credential(self, micro_credential_id: str) -> MicroCredential | None:
        return await self.session.get(MicroCredential, micro_credential_id)

    async def earner(self, platform_id: str, external_id: str) -> Earner | None:
        return await self.session.scalar(
            select(Earner).where(Earner.platform_id == platform_id, Earner.external_id == external_id)
        )

    async def submission(self, submission_id: str, *, for_update: bool = False) -> Submission | None:
        query = select(Submission).where(Submission.id == submission_id)
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def submission_with_details(self, submission_id: str) -> Submission | None:
        return await self.session.scalar(
            select(Submission)
            .where(Submission.id == submission_id)
            .options(
                selectinload(Submission.earner),
                selectinload(Submission.attempts).selectinload(Attempt.reviews),
            )
        )

    async def attempt(self, submission_id: str, number: int) -> Attempt | None:
        return await self.session.scalar(
            select(Attempt)
            .where(Attempt.submission_id == submission_id, Attempt.number == number)
            .options(selectinload(Attempt.reviews))
        )

    async def list_submissions(
        self,
        platform_id: str,
        *,
        earner_external_id: str | None,
        status: str | None,
        after_id: str | None,
        limit: int,
    ) -> list[Submission]:
        query = (
            select(Submission)
            .where(Submission.platform_id == platform_id)
            .options(selectinload(Submission.earner))
            .order_by(Submission.id)
            .limit(limit)
        )
        if earner_external_id is not None:
            query = query.join(Earner, Earner.id == Submission.earner_id).where(
                Earner.external_id == earner_external_id
            )
        if status is not None:
            query = query.where(Submission.status == status)
        if after_id is not None:
            query = query.where(Submission.id > after_id)
        return list(await self.session.scalars(query))

    async def timeline(self, submission_id: str) -> list[StatusChange]:
        return list(
            await self.session.scalars(
                select(StatusChange)
                .where(StatusChange.submission_id == submission_id)
                .order_by(StatusChange.at, StatusChange.id)
            )
        )
