"""The assignment rule, over plain data: which assessor gets an attempt.

Simple and fair until the full assignment engine arrives: an assessor is eligible when
qualified for the micro-credential, not paused, under capacity and without a conflict with
the attempt. A resubmission goes back to the assessor who reviewed the earlier attempt when
they are eligible (continuity of feedback); otherwise the least loaded eligible assessor
gets it, ties going to whoever was assigned least recently (never assigned counts as
longest ago), then to the smaller id so the choice is deterministic.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CandidateAssessor:
    id: str
    micro_credential_ids: frozenset[str]
    capacity: int
    open_assignments: int
    paused: bool
    # The assessor's organisation hash and declared conflict hashes together.
    conflict_hashes: frozenset[str]
    last_assigned_at: datetime | None


@dataclass(frozen=True)
class AttemptToAssign:
    micro_credential_id: str
    conflict_hashes: frozenset[str]
    earlier_assessor_id: str | None = None


def is_eligible(assessor: CandidateAssessor, attempt: AttemptToAssign) -> bool:
    return (
        attempt.micro_credential_id in assessor.micro_credential_ids
        and not assessor.paused
        and assessor.open_assignments < assessor.capacity
        and assessor.conflict_hashes.isdisjoint(attempt.conflict_hashes)
    )


def choose_assessor(
    attempt: AttemptToAssign, assessors: Iterable[CandidateAssessor]
) -> CandidateAssessor | None:
    """The assessor who gets `attempt`, or None when nobody is eligible (it waits)."""
    eligible = [assessor for assessor in assessors if is_eligible(assessor, attempt)]
    for assessor in eligible:
        if assessor.id == attempt.earlier_assessor_id:
            return assessor
    return min(eligible, key=_fairness_order, default=None)


def _fairness_order(assessor: CandidateAssessor) -> tuple[int, bool, datetime | None, str]:
    last = assessor.last_assigned_at
    # (False, None) sorts before every (True, time): never-assigned assessors come first.
    return (assessor.open_assignments, last is not None, last, assessor.id)
