"""Business rules of blind review: rubrics, the assessor pool, assignment, the queue and
reviews. The service flushes and stages events; its caller owns the transaction."""

import re
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_assessment.assignment import AttemptToAssign, CandidateAssessor, choose_assessor
from awardpath_assessment.models import (
    Assessor,
    AssessorQualification,
    Assignment,
    Attempt,
    OutboxMessage,
    Review,
    Rubric,
)
from awardpath_assessment.repository import AssessmentRepository
from awardpath_assessment.schemas import (
    AssessorCreate,
    AssessorOut,
    AssessorUpdate,
    BlindAssignmentView,
    ClaimOut,
    EarlierFeedback,
    MicroCredentialOut,
    QueueItem,
    ReviewIn,
    ReviewOut,
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
from awardpath_shared.validation import ID_PATTERN
from awardpath_shared.pagination import Page, decode_cursor, next_cursor
from awardpath_shared.privacy import conflict_hash
from awardpath_shared.problems import Problem, conflict, not_found, unprocessable

# How many waiting attempts are looked at per query when capacity appears.
WAITING_BATCH = 100

_WELLFORMED_ID = re.compile(ID_PATTERN)


class RubricNotYetKnown(Exception):
    """An attempt arrived before its micro-credential version did: failing the handler makes
    the transport deliver it again later, so the attempt is never dropped."""


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
        attempt = Attempt(
            id=new_id(),
            submission_id=event.submission_id,
            number=event.attempt,
            micro_credential_id=event.micro_credential_id,
            micro_credential_version=event.micro_credential_version,
            evidence=[section.model_dump(mode="json") for section in event.evidence],
            conflict_hashes=sorted(set(event.conflict_hashes)),
            state="unassigned",
            submitted_at=event.submitted_at,
            received_at=utcnow(),
        )
        self.session.add(attempt)
        await self.session.flush()
        await self.assign(attempt)

    # ---- assignment ------------------------------------------------------------------

    async def assign(self, attempt: Attempt) -> None:
        """Give the attempt to the assessor the rule picks; None leaves it waiting.
        The caller holds the assignment lock."""
        assessors = await self.repository.qualified_assessors(attempt.micro_credential_id)
        counts = await self.repository.open_assignment_counts([assessor.id for assessor in assessors])
        earlier_assessor_id = (
            await self.repository.latest_earlier_reviewer(attempt.submission_id, attempt.number)
            if attempt.number > 1
            else None
        )
        chosen = choose_assessor(
            AttemptToAssign(
                micro_credential_id=attempt.micro_credential_id,
                conflict_hashes=frozenset(attempt.conflict_hashes),
                earlier_assessor_id=earlier_assessor_id,
            ),
            [_candidate(assessor, counts[assessor.id]) for assessor in assessors],
        )
        if chosen is None or not await self.repository.mark_attempt_assigned(attempt.id):
            return
        now = utcnow()
        assignment = Assignment(
            id=new_id(), attempt_id=attempt.id, assessor_id=chosen.id, state="assigned", assigned_at=now
        )
        self.session.add(assignment)
        next(assessor for assessor in assessors if assessor.id == chosen.id).last_assigned_at = now
        record_event(
            self.session,
            OutboxMessage,
            AssessmentAssigned(submission_id=attempt.submission_id, attempt=attempt.number, assigned_at=now),
        )
        await self.session.flush()

    async def assign_waiting(self, assessor: Assessor) -> None:
        """Capacity appeared at `assessor`: assign the attempts that were waiting for someone.

        Only this assessor changed, so only attempts it could take are looked at, oldest
        first, until it is full; each still goes through the whole rule."""
        after_id: str | None = None
        while True:
            batch = await self.repository.waiting_attempts(
                assessor.micro_credential_ids, after_id=after_id, limit=WAITING_BATCH
            )
            for attempt in batch:
                if not await self._has_room(assessor):
                    return
                if assessor.all_conflict_hashes.isdisjoint(attempt.conflict_hashes):
                    await self.assign(attempt)
            if len(batch) < WAITING_BATCH:
                return
            after_id = batch[-1].id

    async def _has_room(self, assessor: Assessor) -> bool:
        if assessor.paused:
            return False
        counts = await self.repository.open_assignment_counts([assessor.id])
        return counts[assessor.id] < assessor.capacity

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
            organization_hash=conflict_hash(key, body.organization_id) if body.organization_id else None,
            conflict_hashes=sorted({conflict_hash(key, value) for value in body.conflict_ids}),
            created_at=utcnow(),
            qualifications=[
                AssessorQualification(micro_credential_id=micro_credential_id)
                for micro_credential_id in dict.fromkeys(body.micro_credential_ids)
            ],
        )
        # No race to the same id: the assignment lock taken above serialises creations.
        self.session.add(assessor)
        await self.session.flush()
        await self.assign_waiting(assessor)
        return await self._assessor_out(assessor)

    async def get_assessor(self, assessor_id: str) -> AssessorOut:
        return await self._assessor_out(await self._assessor_or_404(assessor_id))

    async def update_assessor(self, assessor_id: str, body: AssessorUpdate) -> AssessorOut:
        await self.repository.take_assignment_lock()
        assessor = await self._assessor_or_404(assessor_id)
        if body.paused is not None:
            assessor.paused = body.paused
        if body.capacity is not None:
            assessor.capacity = body.capacity
        if body.micro_credential_ids is not None:
            wanted = list(dict.fromkeys(body.micro_credential_ids))
            kept = [q for q in assessor.qualifications if q.micro_credential_id in wanted]
            held = {q.micro_credential_id for q in kept}
            assessor.qualifications = kept + [
                AssessorQualification(micro_credential_id=m) for m in wanted if m not in held
            ]
        await self.session.flush()
        # Unpausing, more capacity or a new qualification may each let waiting attempts in.
        await self.assign_waiting(assessor)
        return await self._assessor_out(assessor)

    async def list_unassigned(self, *, limit: int, cursor: str | None) -> UnassignedPage:
        attempts = await self.repository.unassigned_page(after_id=_after_id(cursor), limit=limit + 1)
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
                for attempt in attempts[:limit]
            ],
            next_cursor=next_cursor([attempt.id for attempt in attempts], limit),
            count=await self.repository.count_unassigned(),
        )

    async def _assessor_or_404(self, assessor_id: str) -> Assessor:
        assessor = await self.repository.assessor(assessor_id) if _is_wellformed_id(assessor_id) else None
        if assessor is None:
            raise not_found("assessor", assessor_id)
        return assessor

    async def _assessor_out(self, assessor: Assessor) -> AssessorOut:
        counts = await self.repository.open_assignment_counts([assessor.id])
        return AssessorOut(
            id=assessor.id,
            display_name=assessor.display_name,
            micro_credential_ids=assessor.micro_credential_ids,
            capacity=assessor.capacity,
            paused=assessor.paused,
            open_assignments=counts[assessor.id],
        )

    # ---- the assessor's work ---------------------------------------------------------

    async def queue(self, assessor_id: str, *, limit: int, cursor: str | None) -> Page[QueueItem]:
        await self._registered_assessor(assessor_id)
        rows = await self.repository.queue_page(assessor_id, after_id=_after_id(cursor), limit=limit + 1)
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
                for assignment, attempt, title in rows[:limit]
            ],
            next_cursor=next_cursor([assignment.id for assignment, _, _ in rows], limit),
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

    async def blind_view(self, assessor_id: str, assignment_id: str) -> BlindAssignmentView:
        assignment = await self._own_assignment(assessor_id, assignment_id)
        attempt = assignment.attempt
        rubric = attempt.rubric
        earlier = await self.repository.earlier_reviews(attempt.submission_id, attempt.number)
        return BlindAssignmentView(
            assignment_id=assignment.id,
            state=assignment.state,
            attempt=attempt.number,
            lease_expires_at=assignment.lease_expires_at,
            micro_credential=MicroCredentialOut(
                id=rubric.micro_credential_id,
                version=rubric.version,
                title=rubric.title,
                competency=rubric.competency,
                key_method=rubric.key_method,
            ),
            rubric=rubric.sections,
            evidence=attempt.evidence,
            earlier_feedback=[
                EarlierFeedback(attempt=number, sections=review.sections, recommendation=review.recommendation)
                for number, review in earlier
            ],
        )

    async def submit_review(self, assessor_id: str, assignment_id: str, body: ReviewIn) -> ReviewOut:
        await self.repository.take_assignment_lock()  # the review frees a place to fill
        assignment = await self._own_assignment(assessor_id, assignment_id, for_update=True)
        if assignment.state == "completed":
            raise conflict("assignment-completed", "Assignment completed", "this assignment was reviewed already")
        attempt = assignment.attempt
        results = validated_results(attempt.rubric.sections, body, self.settings.min_feedback_chars)
        now = utcnow()
        # Reviewing an unclaimed assignment claims it on the way.
        assignment.claimed_at = assignment.claimed_at or now
        assignment.state = "completed"
        assignment.completed_at = now
        attempt.state = "completed"
        review = Review(
            id=new_id(),
            assignment_id=assignment.id,
            attempt_id=attempt.id,
            assessor_id=assessor_id,
            sections=[result.model_dump() for result in results],
            recommendation=body.recommendation,
            completed_at=now,
        )
        self.session.add(review)
        record_event(
            self.session,
            OutboxMessage,
            AssessmentCompleted(
                review_id=review.id,
                submission_id=attempt.submission_id,
                attempt=attempt.number,
                micro_credential_id=attempt.micro_credential_id,
                micro_credential_version=attempt.micro_credential_version,
                sections=results,
                recommendation=body.recommendation,
                completed_at=now,
            ),
        )
        await self.session.flush()
        # The review freed a place in this assessor's queue.
        await self.assign_waiting(await self._assessor_or_404(assessor_id))
        return ReviewOut(review_id=review.id, assignment_id=assignment.id, recommendation=body.recommendation)

    async def _registered_assessor(self, assessor_id: str) -> Assessor:
        assessor = await self.repository.assessor(assessor_id) if _is_wellformed_id(assessor_id) else None
        if assessor is None:
            raise forbidden(f"no assessor is registered with id {assessor_id!r}")
        return assessor

    async def _own_assignment(
        self, assessor_id: str, assignment_id: str, *, for_update: bool = False
    ) -> Assignment:
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


def _candidate(assessor: Assessor, open_assignments: int) -> CandidateAssessor:
    return CandidateAssessor(
        id=assessor.id,
        micro_credential_ids=frozenset(assessor.micro_credential_ids),
        capacity=assessor.capacity,
        open_assignments=open_assignments,
        paused=assessor.paused,
        conflict_hashes=assessor.all_conflict_hashes,
        last_assigned_at=assessor.last_assigned_at,
    )


def _assessor_exists(assessor_id: str) -> Problem:
    return conflict("assessor-exists", "Assessor exists", f"an assessor with id {assessor_id!r} exists already")


# ---- review validation -----------------------------------------------------------------


def validated_results(
    sections: list[dict[str, Any]], review: ReviewIn, min_feedback_chars: int
) -> list[SectionResult]:
    """The review's section results in rubric order, or a 422 problem naming what is wrong."""
    rubric = {section["id"]: section for section in sections}
    results: dict[str, SectionResult] = {}
    for score in review.sections:
        section = rubric.get(score.section_id)
        if section is None:
            raise _refused("review-unknown-section", "Unknown rubric section",
                           f"the rubric has no section {score.section_id!r}", score.section_id)
        if score.section_id in results:
            raise _refused("review-duplicate-section", "Section scored twice",
                           f"section {score.section_id!r} is given more than once", score.section_id)
        levels = _level_ids(section)
        if score.level not in levels:
            raise _refused("review-unknown-level", "Unknown level",
                           f"section {score.section_id!r} has no level {score.level!r}; "
                           f"its levels are {', '.join(levels)}", score.section_id)
        feedback = score.feedback.strip()
        if len(feedback) < min_feedback_chars:
            raise _refused("review-feedback-too-short", "Feedback missing or too short",
                           f"section {score.section_id!r} needs feedback of at least "
                           f"{min_feedback_chars} characters", score.section_id)
        results[score.section_id] = SectionResult(section_id=score.section_id, level=score.level, feedback=feedback)
    missing = [section_id for section_id in rubric if section_id not in results]
    if missing:
        raise _refused("review-section-missing", "Section not scored",
                       f"every rubric section needs a level and feedback; missing: {', '.join(missing)}",
                       missing[0], missing_section_ids=missing)
    _check_recommendation(rubric, results, review.recommendation)
    return [results[section_id] for section_id in rubric]


def _check_recommendation(
    rubric: dict[str, dict[str, Any]], results: dict[str, SectionResult], recommendation: str
) -> None:
    """Award exactly when every section reaches its passing level (levels lowest first)."""
    below = [
        section_id for section_id, section in rubric.items() if _below_passing(section, results[section_id].level)
    ]
    if recommendation == "award" and below:
        detail = f"award needs every section at its passing level; below it: {', '.join(below)}"
    elif recommendation == "resubmit" and not below:
        detail = "every section reaches its passing level, so the recommendation is award"
    else:
        return
    raise unprocessable(
        "review-recommendation-contradicts-levels", "Recommendation contradicts the levels", detail,
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


def _after_id(cursor: str | None) -> str | None:
    return decode_cursor(cursor)
