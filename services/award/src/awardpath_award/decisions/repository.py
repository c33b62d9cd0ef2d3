from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from awardpath_award.decisions.models import Award, Decision, DecisionState, Withdrawal
from awardpath_shared.db import add_unless_it_clashes, keyset_page
from awardpath_shared.validation import is_wellformed_id


class DecisionRepository:
    """Decisions and the awards they grant. Lists are keyset-paginated on time-ordered ids."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: Decision | Award | Withdrawal) -> None:
        self.session.add(row)

    async def withdrawal(self, submission_id: str) -> Withdrawal | None:
        return await self.session.get(Withdrawal, submission_id)

    async def pending_for(self, submission_id: str) -> list[Decision]:
        """The submission's pending decisions, locked (an issuer deciding one waits, or wins)."""
        query = (
            select(Decision)
            .where(Decision.submission_id == submission_id, Decision.state == DecisionState.PENDING)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return list(await self.session.scalars(query))

    async def add_once(self, decision: Decision) -> bool:
        """Insert under a savepoint; False when (submission, attempt) already has one."""
        return await add_unless_it_clashes(self.session, decision)

    async def for_attempt(self, submission_id: str, attempt: int) -> Decision | None:
        query = select(Decision).where(Decision.submission_id == submission_id, Decision.attempt == attempt)
        return await self.session.scalar(query)

    async def get(self, decision_id: str, *, for_update: bool = False) -> Decision | None:
        """A decision with its definition; `for_update` locks it so two deciders cannot both win."""
        if not is_wellformed_id(decision_id):
            return None
        query = select(Decision).where(Decision.id == decision_id).options(selectinload(Decision.definition))
        if for_update:
            query = query.with_for_update(of=Decision).execution_options(populate_existing=True)
        return await self.session.scalar(query)

    async def of_issuer(
        self,
        issuer_id: str,
        *,
        state: DecisionState | None,
        submission_id: str | None,
        after: str | None,
        limit: int,
    ) -> list[Decision]:
        query = select(Decision).where(Decision.issuer_id == issuer_id).options(selectinload(Decision.definition))
        if state is not None:
            query = query.where(Decision.state == state)
        if submission_id is not None:
            query = query.where(Decision.submission_id == submission_id)
        return list(await self.session.scalars(keyset_page(query, Decision.id, after, limit)))

    async def award(self, award_id: str) -> Award | None:
        if not is_wellformed_id(award_id):
            return None
        return await self.session.get(Award, award_id)

    async def award_exists_for(self, submission_id: str) -> bool:
        found = await self.session.scalar(select(Award.id).where(Award.submission_id == submission_id))
        return found is not None
