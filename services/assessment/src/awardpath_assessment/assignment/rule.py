"""The assignment rule, over plain data: which assessor gets an attempt.

An assessor is eligible when qualified for the micro-credential (calibrated, where the
micro-credential has a calibration set), not paused, under capacity, without a conflict
with the attempt and not excluded from it: an assessor who holds or held a review of the
attempt (double scoring and adjudication need independent assessors), released it, or had
it taken away as overdue (escalated).

A resubmission goes back to the assessor who decided the earlier attempt when they are
eligible (continuity of feedback). While it is `held` (the resubmission hold after its
arrival has not run out) and only their capacity stands in the way, it waits for them:
nobody else gets it. An earlier assessor who is paused, no longer qualified, conflicted,
excluded or to be avoided is not waited for: the resubmission goes elsewhere at once.
Otherwise the least loaded eligible assessor gets it, ties going to whoever was assigned
least recently (never assigned counts as longest ago), then to the smaller id so the choice
is deterministic. Assessors to avoid (their lease on this attempt ran out, or they were
paused while holding it) get it only when nobody else is eligible, so work comes back to
them rather than waiting.

The service applies the same rule page by page (`PagedChoice`) over the available
assessors read in `fairness_order` from the database, so a decision reads a few rows, not
the pool.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class CandidateAssessor:
    id: str
    # The micro-credentials the assessor is qualified (and calibrated) for.
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
    excluded_assessor_ids: frozenset[str] = frozenset()
    avoided_assessor_ids: frozenset[str] = frozenset()
    # A resubmission within its hold: it waits for the earlier assessor while they are full.
    held: bool = False


def may_take(assessor: CandidateAssessor, attempt: AttemptToAssign) -> bool:
    """Eligible but for capacity: qualified, not paused, no conflict, not excluded."""
    return (
        attempt.micro_credential_id in assessor.micro_credential_ids
        and not assessor.paused
        and assessor.conflict_hashes.isdisjoint(attempt.conflict_hashes)
        and assessor.id not in attempt.excluded_assessor_ids
    )


def is_eligible(assessor: CandidateAssessor, attempt: AttemptToAssign) -> bool:
    return may_take(assessor, attempt) and assessor.open_assignments < assessor.capacity


def returns_to(earlier: CandidateAssessor, attempt: AttemptToAssign) -> bool:
    """The resubmission goes back to `earlier` (the assessor of the earlier attempt) now."""
    return (
        earlier.id == attempt.earlier_assessor_id
        and earlier.id not in attempt.avoided_assessor_ids
        and is_eligible(earlier, attempt)
    )


def waits_for(earlier: CandidateAssessor, attempt: AttemptToAssign) -> bool:
    """The resubmission is held for `earlier`, who is full: nobody else gets it for now."""
    return (
        attempt.held
        and earlier.id == attempt.earlier_assessor_id
        and earlier.id not in attempt.avoided_assessor_ids
        and may_take(earlier, attempt)
        and earlier.open_assignments >= earlier.capacity
    )


def choose_assessor(attempt: AttemptToAssign, assessors: Iterable[CandidateAssessor]) -> CandidateAssessor | None:
    """The assessor who gets `attempt`, or None when nobody is eligible or it is held for
    a full earlier assessor (it waits)."""
    assessors = list(assessors)
    earlier = [assessor for assessor in assessors if assessor.id == attempt.earlier_assessor_id]
    for assessor in earlier:
        if returns_to(assessor, attempt):
            return assessor
    if any(waits_for(assessor, attempt) for assessor in earlier):
        return None
    eligible = [assessor for assessor in assessors if is_eligible(assessor, attempt)]
    return min(eligible, key=lambda assessor: _preference(attempt, assessor), default=None)


def fairness_order(assessor: CandidateAssessor) -> tuple[int, bool, datetime | None, str]:
    last = assessor.last_assigned_at
    # (False, None) sorts before every (True, time): never-assigned assessors come first.
    return (assessor.open_assignments, last is not None, last, assessor.id)


def _preference(
    attempt: AttemptToAssign, assessor: CandidateAssessor
) -> tuple[bool, tuple[int, bool, datetime | None, str]]:
    return (assessor.id in attempt.avoided_assessor_ids, fairness_order(assessor))


class PagedChoice:
    """`choose_assessor` over candidates offered a page at a time in `fairness_order` (the
    earlier assessor, returned to or waited for, is checked separately, on that one assessor).

    The first page holding an eligible assessor not to be avoided decides; the best avoided
    one seen is kept in case no page does."""

    def __init__(self, attempt: AttemptToAssign) -> None:
        self._attempt = replace(attempt, earlier_assessor_id=None, held=False)
        self._fallback: CandidateAssessor | None = None
        self.chosen: CandidateAssessor | None = None

    def offer(self, page: Iterable[CandidateAssessor]) -> bool:
        """Look at the next page; True once decided (then `chosen` holds the choice)."""
        best = choose_assessor(self._attempt, page)
        if best is not None and best.id not in self._attempt.avoided_assessor_ids:
            self.chosen = best
            return True
        self._fallback = self._fallback or best
        return False

    def finish(self) -> CandidateAssessor | None:
        """No more pages: the choice, falling back to an avoided assessor."""
        return self.chosen or self._fallback
