"""The assignment engine: who gets an attempt. It stores arriving attempts, gives out the
reviews each needs to the assessors the rule picks (`rule`), lets what nobody can take wait,
and hands waiting work out when capacity appears.

Assignment decisions take turns (`AssessmentUnitOfWork.take_assignment_lock`): every method
here that decides takes the lock itself, so nothing depends on a caller having done it.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from awardpath_assessment.assignment.models import (
    FINAL_RETURNS,
    Assignment,
    AssignmentKind,
    AssignmentState,
    Attempt,
    AttemptState,
    Withdrawal,
)
from awardpath_assessment.assignment.rule import AttemptToAssign, CandidateAssessor, PagedChoice, returns_to, waits_for
from awardpath_assessment.pool.models import Assessor
from awardpath_assessment.settings import AssessmentSettings
from awardpath_assessment.turnaround.business_days import due_at
from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared.errors import Malformed
from awardpath_shared.events import AssessmentAssigned, AttemptSubmitted, SubmissionWithdrawn
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.pagination import Paged, fetch_page

logger = logging.getLogger(__name__)

# How many waiting attempts are looked at per query when capacity appears.
WAITING_BATCH = 100
# Assessors read per query when choosing; one page decides unless most are conflicted.
CANDIDATE_PAGE = 20
# Releases are listed by when they happened; their cursors count from here.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class UnassignedAttempts:
    """A page of the attempts waiting for an eligible assessor, and how many wait in all."""

    items: list[Attempt]
    next_cursor: str | None
    count: int


class RubricNotYetKnown(Exception):
    """An attempt arrived before its micro-credential version did (another topic): the
    handler fails and is tried again while the catalog event comes; should it not come within
    the retries, the attempt is dead-lettered for an operator to replay, never dropped."""


def is_double_scored(submission_id: str, attempt: int, share: float) -> bool:
    """Whether this attempt is in the double-scored share: a stable draw from the attempt's
    identity, so a redelivered event or another replica decides the same."""
    digest = hashlib.sha256(f"{submission_id}/{attempt}".encode()).digest()
    return int.from_bytes(digest[:8]) / 2**64 < share


class AssignmentService:
    def __init__(self, uow: AssessmentUnitOfWork, settings: AssessmentSettings) -> None:
        self.uow = uow
        self.settings = settings

    async def receive(self, event: AttemptSubmitted) -> None:
        """Store a submitted or resubmitted attempt and assign it if anyone is eligible."""
        await self.uow.take_assignment_lock()
        arrival = await self.uow.attempts.arrival(
            event.submission_id, event.attempt, event.micro_credential_id, event.micro_credential_version
        )
        if arrival.known:
            return  # the same attempt published again: it is here already
        if arrival.withdrawn:
            logger.info("not storing attempt %s of withdrawn %s", event.attempt, event.submission_id)
            return
        if arrival.turnaround_business_days is None:
            raise RubricNotYetKnown(
                f"micro-credential {event.micro_credential_id} v{event.micro_credential_version} is not "
                f"published here yet (submission {event.submission_id}, attempt {event.attempt})"
            )
        double_scored = is_double_scored(
            event.submission_id, event.attempt, self._share_or_default(arrival.double_score_share)
        )
        earlier_assessor_id = arrival.earlier_assessor_id
        hold = timedelta(hours=self.settings.resubmission_hold_hours)
        attempt = Attempt(
            id=new_id(),
            submission_id=event.submission_id,
            number=event.attempt,
            micro_credential_id=event.micro_credential_id,
            micro_credential_version=event.micro_credential_version,
            evidence=event.evidence,
            conflict_hashes=sorted(set(event.conflict_hashes)),
            state=AttemptState.UNASSIGNED,
            reviews_needed=2 if double_scored else 1,
            double_scored=double_scored,
            earlier_assessor_id=earlier_assessor_id,
            # Held from its submission: an attempt delivered late has waited already.
            held_until=event.submitted_at + hold if earlier_assessor_id is not None and hold else None,
            submitted_at=event.submitted_at,
            received_at=utcnow(),
            due_at=due_at(event.submitted_at, arrival.turnaround_business_days),
        )
        self.uow.attempts.add(attempt)
        await self.assign(attempt, assignments=[])

    async def assign(self, attempt: Attempt, assignments: list[Assignment] | None = None) -> None:
        """Give out the reviews the attempt still needs, to the assessors the rule picks;
        what nobody can take waits. `assignments`: the attempt's, when the caller knows them
        (a new attempt has none)."""
        await self.uow.take_assignment_lock()
        if attempt.state.is_settled:
            return
        if assignments is None:
            assignments = await self.uow.attempts.assignments_of(attempt.id)
        live = [assignment for assignment in assignments if assignment.state.counts_as_review]
        while len(live) < attempt.reviews_needed:
            chosen = await self._choose(_to_assign(attempt, assignments, utcnow()))
            if chosen is None:
                break
            now = utcnow()
            kind = AssignmentKind.ADJUDICATION if len(live) == 2 else AssignmentKind.REVIEW
            assignment = chosen.take(attempt, kind, now)
            self.uow.attempts.add(assignment)
            if not assignments:  # the submission goes "in review" once, however many assessors
                self.uow.publish(
                    AssessmentAssigned(submission_id=attempt.submission_id, attempt=attempt.number, assigned_at=now)
                )
            assignments.append(assignment)
            live.append(assignment)
        attempt.staffed(len(live))
        await self.uow.flush()

    async def assign_waiting(self, assessor: Assessor) -> None:
        """Capacity appeared at `assessor` (or they changed): assign the attempts that were
        waiting for someone.

        Their own waiting resubmissions come first (to them if they have room, elsewhere at
        once if they may no longer take them). Then only attempts this assessor could take
        are looked at, oldest first, until it is full; each goes through the whole rule."""
        await self.uow.take_assignment_lock()
        await self.assign_returning(assessor)
        after_id: str | None = None
        while True:
            batch = await self.uow.attempts.waiting(
                assessor.qualified_micro_credential_ids, after_id=after_id, limit=WAITING_BATCH
            )
            for attempt in batch:
                if not assessor.has_room:
                    return
                if assessor.all_conflict_hashes.isdisjoint(attempt.conflict_hashes):
                    await self.assign(attempt)
            if len(batch) < WAITING_BATCH:
                return
            after_id = batch[-1].id

    async def assign_returning(self, assessor: Assessor) -> None:
        """The waiting resubmissions whose earlier attempt `assessor` decided, oldest first,
        through the rule: to them while they have room, elsewhere at once if they may no
        longer take them, still waiting (held) while they are full."""
        await self.uow.take_assignment_lock()
        after_id: str | None = None
        while True:
            returning = await self.uow.attempts.waiting_for(assessor.id, after_id=after_id, limit=WAITING_BATCH)
            for attempt in returning:
                await self.assign(attempt)
            if len(returning) < WAITING_BATCH:
                return
            after_id = returning[-1].id

    async def return_to_pool(self, assignment: Assignment, state: AssignmentState) -> Assessor:
        """End an open assignment without a review and give its attempt out again (to
        someone else first: see `rule`); returns the assessor who held it. The place it
        frees goes to the holder's waiting resubmissions before the attempt may come back
        to them."""
        await self.uow.take_assignment_lock()
        assessor = await self.uow.assessors.get(assignment.assessor_id)
        assert assessor is not None  # a foreign key
        assessor.finish(assignment, state, utcnow())
        await self.uow.flush()
        await self.assign_returning(assessor)
        await self.assign(assignment.attempt)
        return assessor

    async def escalate(self, assignment: Assignment, now: datetime) -> Assessor | None:
        """The open `assignment` is overdue past the grace: give its work to another eligible
        assessor (the rule's choice, its holder excluded) and end it (`escalated`, never back to
        them). Nobody else eligible: it stays where it is. Returns the former holder, or None."""
        await self.uow.take_assignment_lock()
        attempt = assignment.attempt
        chosen = await self._choose(_to_assign(attempt, await self.uow.attempts.assignments_of(attempt.id), now))
        if chosen is None:
            return None
        holder = await self.uow.assessors.get(assignment.assessor_id)
        assert holder is not None  # a foreign key
        holder.finish(assignment, AssignmentState.ESCALATED, now)
        self.uow.attempts.add(chosen.take(attempt, assignment.kind, now))
        await self.uow.flush()
        return holder

    async def end_holds(self, now: datetime | None = None) -> int:
        """Resubmissions whose hold ran out (by `now`) stop waiting for the earlier assessor:
        any eligible assessor may take them now. Returns how many holds ended."""
        await self.uow.take_assignment_lock()
        ended = await self.uow.attempts.holds_ended(now or utcnow(), limit=WAITING_BATCH)
        for attempt in ended:
            attempt.end_hold()
            await self.assign(attempt)
        return len(ended)

    async def withdraw(self, event: SubmissionWithdrawn) -> None:
        """The platform withdrew the submission: every attempt of it that still needs work
        leaves the queue (waiting ones too), its open assignments end `cancelled`, and each
        assessor's freed capacity goes to waiting work. Once per submission."""
        await self.uow.take_assignment_lock()
        if await self.uow.attempts.withdrawal(event.submission_id) is not None:
            return
        self.uow.attempts.add(Withdrawal(submission_id=event.submission_id, withdrawn_at=event.withdrawn_at))
        now = utcnow()
        freed: dict[str, Assessor] = {}
        for attempt in await self.uow.attempts.unsettled_of(event.submission_id):
            for assignment in await self.uow.attempts.assignments_of(attempt.id):
                if assignment.state.is_open:
                    assessor = freed.get(assignment.assessor_id) or await self.uow.assessors.get(assignment.assessor_id)
                    assert assessor is not None  # a foreign key
                    assessor.finish(assignment, AssignmentState.CANCELLED, now)
                    freed[assessor.id] = assessor
            attempt.withdraw()
        await self.uow.flush()
        for assessor in freed.values():
            await self.assign_waiting(assessor)

    async def double_score_share(self, micro_credential_id: str) -> float:
        policy = await self.uow.assessors.scoring_policy(micro_credential_id)
        return self._share_or_default(policy.double_score_share if policy is not None else None)

    def _share_or_default(self, policy_share: float | None) -> float:
        return self.settings.double_score_share if policy_share is None else policy_share

    async def unassigned(self, *, limit: int, cursor: str | None) -> UnassignedAttempts:
        page = await fetch_page(
            lambda after, size: self.uow.attempts.unassigned_page(after_id=after, limit=size),
            cursor=cursor,
            limit=limit,
            position=lambda attempt: attempt.id,
        )
        return UnassignedAttempts(page.items, page.next_cursor, await self.uow.attempts.count_unassigned())

    async def releases(self, *, limit: int, cursor: str | None) -> Paged[Assignment]:
        """Work assessors handed back, with their reasons, the most recently released first."""
        return await fetch_page(
            lambda before, size: self.uow.attempts.releases_page(before=_release_position(before), limit=size),
            cursor=cursor,
            limit=limit,
            position=_release_cursor,
        )

    async def _choose(self, to_assign: AttemptToAssign) -> Assessor | None:
        """The rule's choice, reading available assessors a page at a time in fairness order."""
        if to_assign.earlier_assessor_id is not None:
            earlier = await self.uow.assessors.get(to_assign.earlier_assessor_id)
            if earlier is not None and returns_to(_candidate(earlier), to_assign):
                return earlier
            if earlier is not None and waits_for(_candidate(earlier), to_assign):
                return None
        choice = PagedChoice(to_assign)
        loaded: dict[str, Assessor] = {}
        offset = 0
        while True:
            page = await self.uow.assessors.available(
                to_assign.micro_credential_id, offset=offset, limit=CANDIDATE_PAGE
            )
            loaded.update((assessor.id, assessor) for assessor in page)
            # Every row is qualified for this micro-credential: the query checked it.
            candidates = [_candidate(assessor, {to_assign.micro_credential_id}) for assessor in page]
            if choice.offer(candidates) or len(page) < CANDIDATE_PAGE:
                chosen = choice.finish()
                return loaded[chosen.id] if chosen is not None else None
            offset += CANDIDATE_PAGE


def _to_assign(attempt: Attempt, assignments: list[Assignment], now: datetime) -> AttemptToAssign:
    return AttemptToAssign(
        micro_credential_id=attempt.micro_credential_id,
        conflict_hashes=frozenset(attempt.conflict_hashes),
        earlier_assessor_id=attempt.earlier_assessor_id,
        held=attempt.is_held(now),
        # Independence: nobody reviews the same attempt twice; a release or an escalation is final.
        excluded_assessor_ids=frozenset(
            a.assessor_id for a in assignments if a.state.counts_as_review or a.state in FINAL_RETURNS
        ),
        avoided_assessor_ids=frozenset(
            a.assessor_id for a in assignments if a.state in (AssignmentState.EXPIRED, AssignmentState.WITHDRAWN)
        ),
    )


def _candidate(assessor: Assessor, micro_credential_ids: set[str] | None = None) -> CandidateAssessor:
    return CandidateAssessor(
        id=assessor.id,
        micro_credential_ids=frozenset(
            assessor.qualified_micro_credential_ids if micro_credential_ids is None else micro_credential_ids
        ),
        capacity=assessor.capacity,
        open_assignments=assessor.open_assignments,
        paused=assessor.paused,
        conflict_hashes=assessor.all_conflict_hashes,
        last_assigned_at=assessor.last_assigned_at,
    )


def _release_cursor(assignment: Assignment) -> str:
    """Where a release stands in the list: when (microseconds since the epoch), then which."""
    assert assignment.ended_at is not None  # a release ends the assignment
    return f"{(assignment.ended_at - EPOCH) // timedelta(microseconds=1)}.{assignment.id}"


def _release_position(cursor_value: str | None) -> tuple[datetime, str] | None:
    if cursor_value is None:
        return None
    microseconds, _, assignment_id = cursor_value.partition(".")
    # 16 digits reach past the year 2200: enough for every real release, none overflows.
    if not (microseconds.isdigit() and len(microseconds) <= 16) or not assignment_id:
        raise Malformed("invalid-cursor", "Invalid cursor", "the cursor is not one this API gave")
    return EPOCH + timedelta(microseconds=int(microseconds)), assignment_id
