"""Business rules of blind review: rubrics, the assessor pool and its calibration,
assignment (with double scoring and adjudication), the queue with leases, and reviews.
The service flushes and stages events; its caller owns the transaction."""

import hashlib
import logging
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_assessment.assignment import AttemptToAssign, CandidateAssessor, PagedChoice, choose_assessor
from awardpath_assessment.models import (
    Assessor,
    AssessorQualification,
    Assignment,
    Attempt,
    CalibrationExample,
    CalibrationReview,
    CalibrationSet,
    OutboxMessage,
    Review,
    Rubric,
    ScoringPolicy,
)
from awardpath_assessment.reports import reliability_report
from awardpath_assessment.repository import LIVE_STATES, OPEN_STATES, AssessmentRepository
from awardpath_assessment.schemas import (
    AssessorCreate,
    AssessorOut,
    AssessorUpdate,
    BlindAssignmentView,
    CalibrationExampleIn,
    CalibrationItem,
    CalibrationReviewOut,
    CalibrationSetCreate,
    CalibrationSetOut,
    ClaimOut,
    EarlierFeedback,
    MicroCredentialOut,
    QualificationOut,
    QueueItem,
    ReleaseOut,
    ReliabilityReport,
    ReviewIn,
    ReviewOut,
    ScoringPolicyIn,
    ScoringPolicyOut,
    UnassignedAttemptOut,
    UnassignedPage,
)
from awardpath_assessment.settings import AssessmentSettings
from awardpath_shared.auth import forbidden
from awardpath_shared.events import (
    AssessmentAssigned,
    AssessmentCompleted,
    AttemptSubmitted,
    MicroCredentialPublished,
    SectionResult,
)
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.messaging.outbox import record_event
from awardpath_shared.pagination import Page, fetch_page
from awardpath_shared.privacy import conflict_hash
from awardpath_shared.problems import Problem, conflict, not_found, unprocessable
from awardpath_shared.validation import ID_PATTERN

logger = logging.getLogger(__name__)

# How many waiting attempts are looked at per query when capacity appears.
WAITING_BATCH = 100
# Assessors read per query when choosing; one page decides unless most are conflicted.
CANDIDATE_PAGE = 20
# Expired leases handled per sweep (the rest in the next one).
EXPIRY_BATCH = 200

_WELLFORMED_ID = re.compile(ID_PATTERN)


class RubricNotYetKnown(Exception):
    """An attempt arrived before its micro-credential version did: failing the handler makes
    the transport deliver it again later, so the attempt is never dropped."""


def is_double_scored(submission_id: str, attempt: int, share: float) -> bool:
    """Whether this attempt is in the double-scored share: a stable draw from the attempt's
    identity, so a redelivered event or another replica decides the same."""
    digest = hashlib.sha256(f"{submission_id}/{attempt}".encode()).digest()
    return int.from_bytes(digest[:8]) / 2**64 < share


class AssessmentService:
    def __init__(self, session: AsyncSession, settings: AssessmentSettings) -> None:
        self.session = session
        self.settings = settings
        self.repository = AssessmentRepository(session)

    # ---- events in -------------------------------------------------------------------

    async def record_rubric(self, event: MicroCredentialPublished) -> None:
        """Upsert the rubric read model of one micro-credential version."""
        for section in event.sections:
            # A rubric no review could be checked against is refused loudly (it dead-letters).
            if section.passing_level not in {level.id for level in section.levels}:
                raise ValueError(f"section {section.id!r}: passing level {section.passing_level!r} is not a level")
        rubric = await self.repository.rubric(event.micro_credential_id, event.version)
        if rubric is None:
            rubric = Rubric(micro_credential_id=event.micro_credential_id, version=event.version)
            self.session.add(rubric)
        rubric.title = event.title
        rubric.competency = event.competency
        rubric.key_method = event.key_method
        rubric.sections = [section.model_dump(mode="json") for section in event.sections]
        rubric.published_at = event.published_at
        await self.session.flush()

    async def receive_attempt(self, event: AttemptSubmitted) -> None:
        """Store a submitted or resubmitted attempt and assign it if anyone is eligible."""
        await self.repository.take_assignment_lock()
        if await self.repository.attempt(event.submission_id, event.attempt) is not None:
            return  # the same attempt published again: it is here already
        if await self.repository.rubric(event.micro_credential_id, event.micro_credential_version) is None:
            raise RubricNotYetKnown(
                f"micro-credential {event.micro_credential_id} v{event.micro_credential_version} is not "
                f"published here yet (submission {event.submission_id}, attempt {event.attempt})"
            )
        share = await self._double_score_share(event.micro_credential_id)
        double_scored = is_double_scored(event.submission_id, event.attempt, share)
        attempt = Attempt(
            id=new_id(),
            submission_id=event.submission_id,
            number=event.attempt,
            micro_credential_id=event.micro_credential_id,
            micro_credential_version=event.micro_credential_version,
            evidence=[section.model_dump(mode="json") for section in event.evidence],
            conflict_hashes=sorted(set(event.conflict_hashes)),
            state="unassigned",
            reviews_needed=2 if double_scored else 1,
            double_scored=double_scored,
            submitted_at=event.submitted_at,
            received_at=utcnow(),
        )
        self.session.add(attempt)
        await self.assign(attempt, assignments=[])

    # ---- assignment ------------------------------------------------------------------

    async def assign(self, attempt: Attempt, assignments: list[Assignment] | None = None) -> None:
        """Give out the reviews the attempt still needs, to the assessors the rule picks;
        what nobody can take waits. `assignments`: the attempt's, when the caller knows them
        (a new attempt has none). The caller holds the assignment lock."""
        if attempt.state == "completed":
            return
        if assignments is None:
            assignments = await self.repository.attempt_assignments(attempt.id)
        live = [assignment for assignment in assignments if assignment.state in LIVE_STATES]
        earlier_assessor_id = (
            await self.repository.earlier_decider(attempt.submission_id, attempt.number) if attempt.number > 1 else None
        )
        while len(live) < attempt.reviews_needed:
            chosen = await self._choose(_to_assign(attempt, assignments, earlier_assessor_id))
            if chosen is None:
                break
            now = utcnow()
            assignment = Assignment(
                id=new_id(),
                attempt_id=attempt.id,
                assessor_id=chosen.id,
                state="assigned",
                kind="adjudication" if len(live) == 2 else "review",
                assigned_at=now,
            )
            self.session.add(assignment)
            chosen.open_assignments += 1
            chosen.last_assigned_at = now
            if not assignments:  # the submission goes "in review" once, however many assessors
                record_event(
                    self.session,
                    OutboxMessage,
                    AssessmentAssigned(submission_id=attempt.submission_id, attempt=attempt.number, assigned_at=now),
                )
            assignments.append(assignment)
            live.append(assignment)
        attempt.state = "assigned" if len(live) >= attempt.reviews_needed else "unassigned"
        await self.session.flush()

    async def _choose(self, to_assign: AttemptToAssign) -> Assessor | None:
        """The rule's choice, reading available assessors a page at a time in fairness order."""
        if to_assign.earlier_assessor_id is not None:
            earlier = await self.repository.assessor(to_assign.earlier_assessor_id)
            eligible = earlier is not None and choose_assessor(to_assign, [_candidate(earlier)]) is not None
            if eligible and earlier.id not in to_assign.avoided_assessor_ids:
                return earlier
        choice = PagedChoice(to_assign)
        loaded: dict[str, Assessor] = {}
        offset = 0
        while True:
            page = await self.repository.available_assessors(
                to_assign.micro_credential_id, offset=offset, limit=CANDIDATE_PAGE
            )
            loaded.update((assessor.id, assessor) for assessor in page)
            # Every row is qualified for this micro-credential: the query checked it.
            candidates = [_candidate(assessor, {to_assign.micro_credential_id}) for assessor in page]
            if choice.offer(candidates) or len(page) < CANDIDATE_PAGE:
                chosen = choice.finish()
                return loaded[chosen.id] if chosen is not None else None
            offset += CANDIDATE_PAGE

    async def assign_waiting(self, assessor: Assessor) -> None:
        """Capacity appeared at `assessor`: assign the attempts that were waiting for someone.

        Only this assessor changed, so only attempts it could take are looked at, oldest
        first, until it is full; each still goes through the whole rule."""
        after_id: str | None = None
        while True:
            batch = await self.repository.waiting_attempts(
                assessor.qualified_micro_credential_ids, after_id=after_id, limit=WAITING_BATCH
            )
            for attempt in batch:
                if assessor.paused or assessor.open_assignments >= assessor.capacity:
                    return
                if assessor.all_conflict_hashes.isdisjoint(attempt.conflict_hashes):
                    await self.assign(attempt)
            if len(batch) < WAITING_BATCH:
                return
            after_id = batch[-1].id

    async def _return_to_pool(self, assignment: Assignment, state: str) -> None:
        """End an open assignment without a review and give its attempt out again."""
        assessor = await self._assessor_or_404(assignment.assessor_id)
        assignment.state = state
        assignment.ended_at = utcnow()
        assessor.open_assignments -= 1
        assignment.attempt.state = "unassigned"
        await self.session.flush()
        await self.assign(assignment.attempt)

    async def expire_leases(self, now: datetime | None = None) -> int:
        """Return claimed assignments whose lease ran out to the pool and reassign them;
        returns how many expired. The assessor who let it lapse gets it back only if nobody
        else is eligible."""
        await self.repository.take_assignment_lock()
        expired = await self.repository.expired_leases(now or utcnow(), limit=EXPIRY_BATCH)
        for assignment in expired:
            logger.info("lease of assignment %s expired; returning it to the pool", assignment.id)
            await self._return_to_pool(assignment, "expired")
        return len(expired)

    async def _double_score_share(self, micro_credential_id: str) -> float:
        policy = await self.repository.scoring_policy(micro_credential_id)
        return policy.double_score_share if policy is not None else self.settings.double_score_share

    # ---- scoring policy (admin) ------------------------------------------------------

    async def get_scoring_policy(self, micro_credential_id: str) -> ScoringPolicyOut:
        policy = await self.repository.scoring_policy(micro_credential_id)
        return ScoringPolicyOut(
            micro_credential_id=micro_credential_id,
            double_score_share=await self._double_score_share(micro_credential_id),
            configured=policy is not None,
        )

    async def set_scoring_policy(self, micro_credential_id: str, body: ScoringPolicyIn) -> ScoringPolicyOut:
        """Applies to attempts arriving from now on."""
        policy = await self.repository.scoring_policy(micro_credential_id)
        if policy is None:
            policy = ScoringPolicy(micro_credential_id=micro_credential_id)
            self.session.add(policy)
        policy.double_score_share = body.double_score_share
        policy.updated_at = utcnow()
        await self.session.flush()
        return await self.get_scoring_policy(micro_credential_id)

    # ---- the assessor pool (admin) ---------------------------------------------------

    async def create_assessor(self, body: AssessorCreate) -> AssessorOut:
        await self.repository.take_assignment_lock()
        if await self.session.get(Assessor, body.id) is not None:
            raise _assessor_exists(body.id)
        key = self.settings.conflict_hash_key
        assessor = Assessor(
            id=body.id,
            display_name=body.display_name,
            capacity=body.capacity,
            paused=False,
            open_assignments=0,
            organization_hash=conflict_hash(key, body.organization_id) if body.organization_id else None,
            conflict_hashes=sorted({conflict_hash(key, value) for value in body.conflict_ids}),
            created_at=utcnow(),
            qualifications=[
                await self._new_qualification(body.id, micro_credential_id)
                for micro_credential_id in dict.fromkeys(body.micro_credential_ids)
            ],
        )
        # No race to the same id: the assignment lock taken above serialises creations.
        self.session.add(assessor)
        await self.session.flush()
        await self.assign_waiting(assessor)
        return _assessor_out(assessor)

    async def get_assessor(self, assessor_id: str) -> AssessorOut:
        return _assessor_out(await self._assessor_or_404(assessor_id))

    async def update_assessor(self, assessor_id: str, body: AssessorUpdate) -> AssessorOut:
        await self.repository.take_assignment_lock()
        assessor = await self._assessor_or_404(assessor_id)
        if body.capacity is not None:
            assessor.capacity = body.capacity
        if body.micro_credential_ids is not None:
            wanted = list(dict.fromkeys(body.micro_credential_ids))
            kept = [q for q in assessor.qualifications if q.micro_credential_id in wanted]
            held = {q.micro_credential_id for q in kept}
            assessor.qualifications = kept + [
                await self._new_qualification(assessor.id, m) for m in wanted if m not in held
            ]
        if body.paused is not None and body.paused != assessor.paused:
            assessor.paused = body.paused
            await self.session.flush()
            if body.paused:
                # On leave: whatever they hold goes to others now rather than waiting.
                for assignment in await self.repository.open_assignments_of(assessor.id):
                    await self._return_to_pool(assignment, "withdrawn")
        await self.session.flush()
        # Unpausing, more capacity or a new qualification may each let waiting attempts in.
        await self.assign_waiting(assessor)
        return _assessor_out(assessor)

    async def _new_qualification(self, assessor_id: str, micro_credential_id: str) -> AssessorQualification:
        """A new grant: calibrating when the micro-credential has a calibration set (the
        assessor scores the newest one before any live work), qualified otherwise."""
        calibration = await self.repository.latest_calibration_set(micro_credential_id)
        if calibration is None:
            return AssessorQualification(micro_credential_id=micro_credential_id, status="qualified")
        await self.repository.forget_calibration_reviews(assessor_id, calibration.id)  # a fresh start
        return AssessorQualification(
            micro_credential_id=micro_credential_id, status="calibrating", calibration_set_id=calibration.id
        )

    async def list_unassigned(self, *, limit: int, cursor: str | None) -> UnassignedPage:
        attempts, following = await fetch_page(
            lambda after, size: self.repository.unassigned_page(after_id=after, limit=size),
            cursor=cursor,
            limit=limit,
            position=lambda attempt: attempt.id,
        )
        return UnassignedPage(
            items=[
                UnassignedAttemptOut(
                    attempt_id=attempt.id,
                    submission_id=attempt.submission_id,
                    attempt=attempt.number,
                    micro_credential_id=attempt.micro_credential_id,
                    micro_credential_version=attempt.micro_credential_version,
                    received_at=attempt.received_at,
                )
                for attempt in attempts
            ],
            next_cursor=following,
            count=await self.repository.count_unassigned(),
        )

    async def _assessor_or_404(self, assessor_id: str) -> Assessor:
        assessor = await self.repository.assessor(assessor_id) if _is_wellformed_id(assessor_id) else None
        if assessor is None:
            raise not_found("assessor", assessor_id)
        return assessor

    # ---- the assessor's work ---------------------------------------------------------

    async def queue(self, assessor_id: str, *, limit: int, cursor: str | None) -> Page[QueueItem]:
        await self._registered_assessor(assessor_id)
        rows, following = await fetch_page(
            lambda after, size: self.repository.queue_page(assessor_id, after_id=after, limit=size),
            cursor=cursor,
            limit=limit,
            position=lambda row: row[0].id,
        )
        return Page[QueueItem](
            items=[
                QueueItem(
                    assignment_id=assignment.id,
                    micro_credential_id=attempt.micro_credential_id,
                    micro_credential_title=title,
                    attempt=attempt.number,
                    state=assignment.state,
                    assigned_at=assignment.assigned_at,
                    lease_expires_at=assignment.lease_expires_at,
                )
                for assignment, attempt, title in rows
            ],
            next_cursor=following,
        )

    async def claim_next(self, assessor_id: str) -> ClaimOut | None:
        """Lease the caller's oldest unclaimed assignment; None when there is none."""
        await self._registered_assessor(assessor_id)
        assignment = await self.repository.lock_oldest_unclaimed(assessor_id)
        if assignment is None:
            return None
        now = utcnow()
        assignment.state = "claimed"
        assignment.claimed_at = now
        assignment.lease_expires_at = now + timedelta(seconds=self.settings.lease_seconds)
        await self.session.flush()
        return ClaimOut(assignment_id=assignment.id, lease_expires_at=assignment.lease_expires_at)

    async def release(self, assessor_id: str, assignment_id: str) -> ReleaseOut:
        """The assessor hands an open assignment back (a conflict they recognised, no time):
        it goes to someone else, never back to them, and they have room for other work."""
        await self.repository.take_assignment_lock()
        assignment = await self._open_assignment(assessor_id, assignment_id)
        await self._return_to_pool(assignment, "released")
        await self.assign_waiting(await self._assessor_or_404(assessor_id))
        return ReleaseOut(assignment_id=assignment.id, state="released")

    async def blind_view(self, assessor_id: str, assignment_id: str) -> BlindAssignmentView:
        assignment = await self._own_assignment(assessor_id, assignment_id)
        attempt = assignment.attempt
        earlier = await self.repository.earlier_reviews(attempt.submission_id, attempt.number)
        return BlindAssignmentView(
            assignment_id=assignment.id,
            state=assignment.state,
            attempt=attempt.number,
            lease_expires_at=assignment.lease_expires_at,
            micro_credential=_micro_credential_out(attempt.rubric),
            rubric=attempt.rubric.sections,
            evidence=attempt.evidence,
            earlier_feedback=[
                EarlierFeedback(attempt=number, sections=review.sections, recommendation=review.recommendation)
                for number, review in earlier
            ],
        )

    async def submit_review(self, assessor_id: str, assignment_id: str, body: ReviewIn) -> ReviewOut:
        await self.repository.take_assignment_lock()  # the review frees a place to fill
        assignment = await self._open_assignment(assessor_id, assignment_id)
        attempt = assignment.attempt
        results = validated_results(attempt.rubric.sections, body, self.settings.min_feedback_chars)
        now = utcnow()
        # Reviewing an unclaimed assignment claims it on the way.
        assignment.claimed_at = assignment.claimed_at or now
        assignment.state = "completed"
        assignment.completed_at = now
        assessor = await self._assessor_or_404(assessor_id)
        assessor.open_assignments -= 1
        review = Review(
            id=new_id(),
            assignment_id=assignment.id,
            attempt_id=attempt.id,
            assessor_id=assessor_id,
            sections=[result.model_dump() for result in results],
            recommendation=body.recommendation,
            note_to_issuer=body.note_to_issuer.strip() if body.note_to_issuer else None,
            completed_at=now,
        )
        self.session.add(review)
        await self.session.flush()
        await self._settle(attempt)
        # The review freed a place in this assessor's queue.
        await self.assign_waiting(assessor)
        return ReviewOut(review_id=review.id, assignment_id=assignment.id, recommendation=body.recommendation)

    async def _settle(self, attempt: Attempt) -> None:
        """After a review: send the outcome once the attempt has the reviews it needs.

        Two independent reviews that agree on the recommendation settle it with the earlier
        one; if they disagree a third assessor (neither of them) adjudicates, and the
        adjudication decides."""
        reviews = await self.repository.attempt_reviews(attempt.id)
        if len(reviews) < attempt.reviews_needed:
            return  # the other independent review is still to come
        if attempt.reviews_needed == 2:
            first, second = reviews
            if first.recommendation != second.recommendation:
                attempt.reviews_needed = 3
                attempt.state = "unassigned"
                await self.session.flush()
                await self.assign(attempt)
                return
            await self._decide(attempt, first)
            return
        await self._decide(attempt, reviews[-1])

    async def _decide(self, attempt: Attempt, review: Review) -> None:
        now = utcnow()
        attempt.state = "completed"
        attempt.deciding_review_id = review.id
        attempt.completed_at = now
        record_event(
            self.session,
            OutboxMessage,
            AssessmentCompleted(
                review_id=review.id,
                submission_id=attempt.submission_id,
                attempt=attempt.number,
                micro_credential_id=attempt.micro_credential_id,
                micro_credential_version=attempt.micro_credential_version,
                sections=[SectionResult.model_validate(section) for section in review.sections],
                recommendation=review.recommendation,
                note_to_issuer=review.note_to_issuer,
                completed_at=review.completed_at,
            ),
        )
        await self.session.flush()

    async def _registered_assessor(self, assessor_id: str) -> Assessor:
        assessor = await self.repository.assessor(assessor_id) if _is_wellformed_id(assessor_id) else None
        if assessor is None:
            raise forbidden(f"no assessor is registered with id {assessor_id!r}")
        return assessor

    async def _own_assignment(self, assessor_id: str, assignment_id: str, *, for_update: bool = False) -> Assignment:
        assignment = (
            await self.repository.assignment(assignment_id, for_update=for_update)
            if _is_wellformed_id(assignment_id)
            else None
        )
        if assignment is None:
            raise not_found("assignment", assignment_id)
        if assignment.assessor_id != assessor_id:
            raise forbidden("this assignment is given to another assessor")
        return assignment

    async def _open_assignment(self, assessor_id: str, assignment_id: str) -> Assignment:
        """The caller's assignment, locked, refused with a 409 unless still open."""
        assignment = await self._own_assignment(assessor_id, assignment_id, for_update=True)
        if assignment.state == "completed":
            raise conflict("assignment-completed", "Assignment completed", "this assignment was reviewed already")
        if assignment.state not in OPEN_STATES:
            raise conflict(
                "assignment-returned",
                "Assignment returned to the pool",
                f"this assignment is {assignment.state} and went back to the pool; it can no longer be worked",
                state=assignment.state,
            )
        return assignment

    # ---- calibration -----------------------------------------------------------------

    async def create_calibration_set(self, body: CalibrationSetCreate) -> CalibrationSetOut:
        """Load example submissions with agreed levels. New grants of the micro-credential
        calibrate against the newest set; assessors qualified already stay qualified."""
        rubric = await self.repository.rubric(body.micro_credential_id, body.micro_credential_version)
        if rubric is None:
            raise unprocessable(
                "unknown-rubric",
                "Unknown micro-credential version",
                f"micro-credential {body.micro_credential_id} v{body.micro_credential_version} is not "
                "published here (yet)",
            )
        calibration = CalibrationSet(
            id=new_id(),
            micro_credential_id=rubric.micro_credential_id,
            micro_credential_version=rubric.version,
            threshold=body.threshold if body.threshold is not None else self.settings.calibration_threshold,
            created_at=utcnow(),
            examples=[
                CalibrationExample(
                    id=new_id(),
                    position=position,
                    evidence=_calibration_evidence(rubric.sections, example, position),
                    agreed_levels=_agreed_levels(rubric.sections, example, position),
                )
                for position, example in enumerate(body.examples)
            ],
        )
        self.session.add(calibration)
        await self.session.flush()
        return CalibrationSetOut(
            id=calibration.id,
            micro_credential_id=calibration.micro_credential_id,
            micro_credential_version=calibration.micro_credential_version,
            threshold=calibration.threshold,
            example_ids=[example.id for example in calibration.examples],
            created_at=calibration.created_at,
        )

    async def calibration_work(self, assessor_id: str) -> list[CalibrationItem]:
        """The calibration examples the caller still has to score, set by set."""
        assessor = await self._registered_assessor(assessor_id)
        items: list[CalibrationItem] = []
        for qualification in assessor.qualifications:
            if qualification.status != "calibrating":
                continue
            calibration = await self.repository.calibration_set(qualification.calibration_set_id)
            scored = {
                example.id for _, example in await self.repository.calibration_reviews(assessor_id, calibration.id)
            }
            items += [
                CalibrationItem(
                    example_id=example.id,
                    micro_credential=_micro_credential_out(calibration.rubric),
                    rubric=calibration.rubric.sections,
                    evidence=example.evidence,
                )
                for example in calibration.examples
                if example.id not in scored
            ]
        return items

    async def submit_calibration_review(
        self, assessor_id: str, example_id: str, body: ReviewIn
    ) -> CalibrationReviewOut:
        """Score one example under the same rules as live work; once the whole set is
        scored, the assessor is qualified if their exact agreement meets the threshold."""
        await self.repository.take_assignment_lock()  # qualifying may let waiting work in
        assessor = await self._registered_assessor(assessor_id)
        example = await self.repository.calibration_example(example_id) if _is_wellformed_id(example_id) else None
        if example is None:
            raise not_found("calibration example", example_id)
        calibration = await self.repository.calibration_set(example.set_id)
        qualification = next(
            (
                q
                for q in assessor.qualifications
                if q.calibration_set_id == calibration.id and q.status == "calibrating"
            ),
            None,
        )
        if qualification is None:
            raise forbidden("this calibration example is not part of a calibration you are doing")
        scored = await self.repository.calibration_reviews(assessor_id, calibration.id)
        if example.id in {scored_example.id for _, scored_example in scored}:
            raise conflict("calibration-example-scored", "Example scored", "you scored this example already")
        results = validated_results(calibration.rubric.sections, body, self.settings.min_feedback_chars)
        review = CalibrationReview(
            id=new_id(),
            assessor_id=assessor_id,
            example_id=example.id,
            sections=[result.model_dump() for result in results],
            recommendation=body.recommendation,
            completed_at=utcnow(),
        )
        self.session.add(review)
        scored.append((review, example))
        remaining = len(calibration.examples) - len(scored)
        if remaining == 0:
            qualification.calibration_agreement = calibration_agreement(scored)
            passed = qualification.calibration_agreement >= calibration.threshold
            qualification.status = "qualified" if passed else "not_qualified"
        await self.session.flush()
        if qualification.status == "qualified":
            await self.assign_waiting(assessor)
        return CalibrationReviewOut(
            example_id=example.id,
            remaining=remaining,
            status=qualification.status,
            agreement=qualification.calibration_agreement,
        )

    # ---- reporting (admin) -----------------------------------------------------------

    async def reliability(self, micro_credential_id: str) -> ReliabilityReport:
        rubrics = await self.repository.rubrics_of(micro_credential_id)
        if not rubrics:
            raise not_found("micro-credential", micro_credential_id)
        return reliability_report(
            micro_credential_id,
            rubrics,
            await self.repository.attempts_of(micro_credential_id),
            await self.repository.reviews_of(micro_credential_id),
        )


def _to_assign(attempt: Attempt, assignments: list[Assignment], earlier_assessor_id: str | None) -> AttemptToAssign:
    return AttemptToAssign(
        micro_credential_id=attempt.micro_credential_id,
        conflict_hashes=frozenset(attempt.conflict_hashes),
        earlier_assessor_id=earlier_assessor_id,
        # Independence: nobody reviews the same attempt twice; a release is final.
        excluded_assessor_ids=frozenset(
            a.assessor_id for a in assignments if a.state in LIVE_STATES or a.state == "released"
        ),
        avoided_assessor_ids=frozenset(a.assessor_id for a in assignments if a.state in ("expired", "withdrawn")),
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


def _assessor_out(assessor: Assessor) -> AssessorOut:
    return AssessorOut(
        id=assessor.id,
        display_name=assessor.display_name,
        micro_credential_ids=assessor.micro_credential_ids,
        qualifications=[
            QualificationOut(
                micro_credential_id=q.micro_credential_id,
                status=q.status,
                calibration_agreement=q.calibration_agreement,
            )
            for q in assessor.qualifications
        ],
        capacity=assessor.capacity,
        paused=assessor.paused,
        open_assignments=assessor.open_assignments,
    )


def _micro_credential_out(rubric: Rubric) -> MicroCredentialOut:
    return MicroCredentialOut(
        id=rubric.micro_credential_id,
        version=rubric.version,
        title=rubric.title,
        competency=rubric.competency,
        key_method=rubric.key_method,
    )


def calibration_agreement(scored: list[tuple[CalibrationReview, CalibrationExample]]) -> float:
    """Share of all section levels, over every example, that match the agreed level."""
    pairs = [
        (section["level"], example.agreed_levels[section["section_id"]])
        for review, example in scored
        for section in review.sections
    ]
    return sum(given == agreed for given, agreed in pairs) / len(pairs)


def _calibration_evidence(
    sections: list[dict[str, Any]], example: CalibrationExampleIn, position: int
) -> list[dict[str, Any]]:
    known = {section["id"] for section in sections}
    given = [evidence.section_id for evidence in example.evidence]
    unknown = [section_id for section_id in given if section_id not in known]
    if unknown or len(set(given)) != len(given):
        raise unprocessable(
            "calibration-evidence-invalid",
            "Calibration evidence does not fit the rubric",
            f"example {position}: evidence must name each rubric section at most once; "
            f"unknown or repeated: {', '.join(unknown or given)}",
            example=position,
        )
    return [{"section_id": e.section_id, "text": e.text, "artifacts": []} for e in example.evidence]


def _agreed_levels(sections: list[dict[str, Any]], example: CalibrationExampleIn, position: int) -> dict[str, str]:
    agreed = {level.section_id: level.level for level in example.agreed_levels}
    wrong = [section["id"] for section in sections if agreed.get(section["id"]) not in _level_ids(section)] + [
        section_id for section_id in agreed if section_id not in {section["id"] for section in sections}
    ]
    if wrong or len(agreed) != len(example.agreed_levels):
        raise unprocessable(
            "calibration-levels-invalid",
            "Agreed levels do not fit the rubric",
            f"example {position}: every rubric section needs exactly one agreed level of its own; "
            f"wrong or missing: {', '.join(wrong) or 'a section given twice'}",
            example=position,
        )
    return agreed


def _assessor_exists(assessor_id: str) -> Problem:
    return conflict("assessor-exists", "Assessor exists", f"an assessor with id {assessor_id!r} exists already")


# ---- review validation -----------------------------------------------------------------


def validated_results(sections: list[dict[str, Any]], review: ReviewIn, min_feedback_chars: int) -> list[SectionResult]:
    """The review's section results in rubric order, or a 422 problem naming what is wrong."""
    rubric = {section["id"]: section for section in sections}
    results: dict[str, SectionResult] = {}
    for score in review.sections:
        section = rubric.get(score.section_id)
        if section is None:
            raise _refused(
                "review-unknown-section",
                "Unknown rubric section",
                f"the rubric has no section {score.section_id!r}",
                score.section_id,
            )
        if score.section_id in results:
            raise _refused(
                "review-duplicate-section",
                "Section scored twice",
                f"section {score.section_id!r} is given more than once",
                score.section_id,
            )
        levels = _level_ids(section)
        if score.level not in levels:
            raise _refused(
                "review-unknown-level",
                "Unknown level",
                f"section {score.section_id!r} has no level {score.level!r}; its levels are {', '.join(levels)}",
                score.section_id,
            )
        feedback = score.feedback.strip()
        if len(feedback) < min_feedback_chars:
            raise _refused(
                "review-feedback-too-short",
                "Feedback missing or too short",
                f"section {score.section_id!r} needs feedback of at least {min_feedback_chars} characters",
                score.section_id,
            )
        results[score.section_id] = SectionResult(section_id=score.section_id, level=score.level, feedback=feedback)
    missing = [section_id for section_id in rubric if section_id not in results]
    if missing:
        raise _refused(
            "review-section-missing",
            "Section not scored",
            f"every rubric section needs a level and feedback; missing: {', '.join(missing)}",
            missing[0],
            missing_section_ids=missing,
        )
    _check_recommendation(rubric, results, review.recommendation)
    return [results[section_id] for section_id in rubric]


def _check_recommendation(
    rubric: dict[str, dict[str, Any]], results: dict[str, SectionResult], recommendation: str
) -> None:
    """Award exactly when every section reaches its passing level (levels lowest first)."""
    below = [section_id for section_id, section in rubric.items() if _below_passing(section, results[section_id].level)]
    if recommendation == "award" and below:
        detail = f"award needs every section at its passing level; below it: {', '.join(below)}"
    elif recommendation == "resubmit" and not below:
        detail = "every section reaches its passing level, so the recommendation is award"
    else:
        return
    raise unprocessable(
        "review-recommendation-contradicts-levels",
        "Recommendation contradicts the levels",
        detail,
        sections_below_passing=below,
    )


def _level_ids(section: dict[str, Any]) -> list[str]:
    return [level["id"] for level in section["levels"]]


def _below_passing(section: dict[str, Any], level: str) -> bool:
    levels = _level_ids(section)
    return levels.index(level) < levels.index(section["passing_level"])


def _refused(slug: str, title: str, detail: str, section_id: str, **extensions: Any) -> Problem:
    return unprocessable(slug, title, detail, section_id=section_id, **extensions)


# ---- ids and cursors -------------------------------------------------------------------


def _is_wellformed_id(value: str) -> bool:
    # Anything else cannot exist here, and some of it (NUL) PostgreSQL would refuse outright.
    return _WELLFORMED_ID.fullmatch(value) is not None
