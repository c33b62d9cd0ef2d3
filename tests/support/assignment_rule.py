"""The assignment rule as the README states it, written out independently of the code under
test: the expectation property tests compare the service's choices with."""

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_assessment.assignment.rule import AttemptToAssign, CandidateAssessor
from awardpath_assessment.pool.models import Assessor

_NEVER = datetime.min.replace(tzinfo=UTC)


def eligible_by_the_rule(candidate: CandidateAssessor, to_assign: AttemptToAssign) -> bool:
    return (
        to_assign.micro_credential_id in candidate.micro_credential_ids
        and not candidate.paused
        and candidate.open_assignments < candidate.capacity
        and not (candidate.conflict_hashes & to_assign.conflict_hashes)
        and candidate.id not in to_assign.excluded_assessor_ids
    )


def fairness_by_the_rule(candidate: CandidateAssessor) -> tuple[int, bool, datetime, str]:
    """Least loaded, never assigned before anyone assigned, least recently assigned, smaller id."""
    never = candidate.last_assigned_at is None
    return (candidate.open_assignments, not never, candidate.last_assigned_at or _NEVER, candidate.id)


def chosen_by_the_rule(to_assign: AttemptToAssign, pool: list[CandidateAssessor]) -> CandidateAssessor | None:
    """The earlier assessor of a resubmission when eligible (and not to be avoided); nobody
    while the resubmission is held and that assessor would be eligible with one more free
    place; else the fairest eligible assessor, an avoided one only when nobody else is."""
    eligible = [candidate for candidate in pool if eligible_by_the_rule(candidate, to_assign)]
    earlier = [c for c in pool if c.id == to_assign.earlier_assessor_id and c.id not in to_assign.avoided_assessor_ids]
    for candidate in earlier:
        if candidate in eligible:
            return candidate
    with_a_free_place = [replace(c, capacity=c.open_assignments + 1) for c in earlier]
    if to_assign.held and any(eligible_by_the_rule(c, to_assign) for c in with_a_free_place):
        return None  # it waits for them
    return min(eligible, key=lambda c: (c.id in to_assign.avoided_assessor_ids, fairness_by_the_rule(c)), default=None)


async def candidates_as_stored(
    session: AsyncSession, micro_credential_id: str, assessor_ids: list[str]
) -> list[CandidateAssessor]:
    """The assessors of `assessor_ids` as the rule sees them, read from their rows now."""
    found = await session.scalars(select(Assessor).where(Assessor.id.in_(assessor_ids)))
    return [
        CandidateAssessor(
            id=assessor.id,
            micro_credential_ids=frozenset({micro_credential_id}),
            capacity=assessor.capacity,
            open_assignments=assessor.open_assignments,
            paused=assessor.paused,
            conflict_hashes=assessor.all_conflict_hashes,
            last_assigned_at=assessor.last_assigned_at,
        )
        for assessor in found
    ]
