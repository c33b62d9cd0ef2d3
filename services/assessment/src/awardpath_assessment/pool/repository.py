from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from awardpath_assessment.pool.models import Assessor, AssessorQualification, QualificationStatus, ScoringPolicy
from awardpath_shared.db import keyset_page
from awardpath_shared.validation import is_wellformed_id


class AssessorRepository:
    """Assessors (with their qualifications) and scoring policies; no rules."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: Assessor | ScoringPolicy) -> None:
        self.session.add(row)

    async def get(self, assessor_id: str) -> Assessor | None:
        if not is_wellformed_id(assessor_id):
            return None
        return await self.session.scalar(
            select(Assessor).where(Assessor.id == assessor_id).options(selectinload(Assessor.qualifications))
        )

    async def list_assessors(self, *, after_id: str | None, limit: int) -> list[Assessor]:
        query = select(Assessor).options(selectinload(Assessor.qualifications))
        return list(await self.session.scalars(keyset_page(query, Assessor.id, after_id, limit)))

    async def available(self, micro_credential_id: str, *, offset: int, limit: int) -> list[Assessor]:
        """Unpaused assessors under capacity and qualified for the micro-credential, in the
        rule's fairness order (an index scan on PostgreSQL: see `ix_assessors_fairness_order`)."""
        qualified = select(AssessorQualification.assessor_id).where(
            AssessorQualification.micro_credential_id == micro_credential_id,
            AssessorQualification.status == QualificationStatus.QUALIFIED,
        )
        found = await self.session.scalars(
            select(Assessor)
            .where(~Assessor.paused, Assessor.open_assignments < Assessor.capacity, Assessor.id.in_(qualified))
            .order_by(Assessor.open_assignments, Assessor.last_assigned_at.asc().nulls_first(), Assessor.id)
            .offset(offset)
            .limit(limit)
        )
        return list(found)

    async def scoring_policy(self, micro_credential_id: str) -> ScoringPolicy | None:
        return await self.session.get(ScoringPolicy, micro_credential_id)
