"""The assessment service layer for service-level tests: events and bodies to feed it, and
`AssessmentCalls`, which calls the services the way the endpoints do and answers with the
views the API shows, so tests read results as a client would."""

from datetime import datetime

import pytest
from pydantic import TypeAdapter
from sqlalchemy import select

from awardpath_assessment.assignment.models import Assignment, Attempt
from awardpath_assessment.assignment.schemas import UnassignedPage
from awardpath_assessment.assignment.service import AssignmentService
from awardpath_assessment.calibration.schemas import (
    CalibrationItemView,
    CalibrationProgressView,
    CalibrationSetCreate,
    CalibrationSetView,
)
from awardpath_assessment.calibration.service import CalibrationService
from awardpath_assessment.pool.schemas import (
    AssessorCreate,
    AssessorUpdate,
    AssessorView,
    ScoringPolicyUpdate,
    ScoringPolicyView,
)
from awardpath_assessment.pool.service import PoolService
from awardpath_assessment.queue.schemas import BlindAssignmentView, ClaimView, QueueItemView, ReleaseView
from awardpath_assessment.queue.service import QueueService
from awardpath_assessment.reports.schemas import ReliabilityReportView
from awardpath_assessment.reports.service import ReportService
from awardpath_assessment.review.schemas import ReviewCreate, ReviewView
from awardpath_assessment.review.service import ReviewService
from awardpath_assessment.rubrics.service import RubricService
from awardpath_assessment.settings import AssessmentSettings
from awardpath_assessment.turnaround.schemas import OverduePage
from awardpath_assessment.turnaround.service import TurnaroundService
from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared.errors import DomainError
from awardpath_shared.events import (
    AttemptSubmitted,
    MicroCredentialPublished,
    SubmissionResubmitted,
    SubmissionSubmitted,
    SubmissionWithdrawn,
)
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.pagination import Page
from awardpath_shared.privacy import conflict_hash
from awardpath_shared.rubrics import RubricLevel, RubricSection, SectionEvidence
from tests.support.refusals import refusal

KEY = "test-conflict-key"
SETTINGS = AssessmentSettings(conflict_hash_key=KEY, lease_seconds=3600, min_feedback_chars=10)
FEEDBACK = "Specific, growth-oriented feedback."
TITLE = "Belonging and Caring Classroom Climate"


def published(micro_credential_id: str, **fields) -> MicroCredentialPublished:
    """Version 1 of a micro-credential; `fields` override the event's (say a turnaround target)."""
    return MicroCredentialPublished(
        micro_credential_id=micro_credential_id,
        version=1,
        issuer_id="issuer-1",
        title=TITLE,
        competency="Students feel cared for and that they belong.",
        key_method="Student check-in circles",
        max_attempts=3,
        decision_policy="manual",
        sections=[
            RubricSection(
                id="overview",
                title="Overview",
                prompt="Describe your classroom.",
                levels=[
                    RubricLevel(id="not_yet", name="Not yet"),
                    RubricLevel(id="developing", name="Developing"),
                    RubricLevel(id="proficient", name="Proficient"),
                ],
                passing_level="developing",
            ),
            RubricSection(
                id="reflection",
                title="Reflection",
                prompt="What did you learn?",
                levels=[RubricLevel(id="not_yet", name="Not yet"), RubricLevel(id="proficient", name="Proficient")],
                passing_level="proficient",
            ),
        ],
        published_at=utcnow(),
        **fields,
    )


def attempt_event(
    micro_credential_id: str,
    submission_id: str | None = None,
    attempt: int = 1,
    conflicts: tuple[str, ...] = (),
    submitted_at: datetime | None = None,
) -> AttemptSubmitted:
    event_class = SubmissionSubmitted if attempt == 1 else SubmissionResubmitted
    return event_class(
        submission_id=submission_id or new_id(),
        attempt_id=new_id(),
        attempt=attempt,
        micro_credential_id=micro_credential_id,
        micro_credential_version=1,
        evidence=[
            SectionEvidence(section_id="overview", text=f"Evidence of attempt {attempt}"),
            SectionEvidence(section_id="reflection", text="I learned to listen."),
        ],
        conflict_hashes=[conflict_hash(KEY, value) for value in conflicts],
        submitted_at=submitted_at or utcnow(),
    )


def new_assessor(micro_credential_id: str, assessor_id: str, **fields) -> AssessorCreate:
    return AssessorCreate(
        id=assessor_id,
        display_name=f"Assessor {assessor_id}",
        micro_credential_ids=[micro_credential_id],
        capacity=fields.pop("capacity", 5),
        **fields,
    )


def review(recommendation: str = "award", **levels: str) -> ReviewCreate:
    chosen = {"overview": "proficient", "reflection": "proficient", **levels}
    return ReviewCreate(
        sections=[{"section_id": section, "level": level, "feedback": FEEDBACK} for section, level in chosen.items()],
        recommendation=recommendation,
    )


def refused_with(error: pytest.ExceptionInfo[DomainError], status: int, slug: str) -> None:
    assert refusal(error) == (status, slug)


LEVELS = {"overview": ("not_yet", "developing", "proficient"), "reflection": ("not_yet", "proficient")}
PASSING = {"overview": "developing", "reflection": "proficient"}


def scored(overview: str = "proficient", reflection: str = "proficient", note: str | None = None) -> ReviewCreate:
    """A review whose recommendation follows its levels, as the rules demand."""
    levels = {"overview": overview, "reflection": reflection}
    passes = all(LEVELS[s].index(level) >= LEVELS[s].index(PASSING[s]) for s, level in levels.items())
    return ReviewCreate(
        sections=[{"section_id": s, "level": level, "feedback": FEEDBACK} for s, level in levels.items()],
        recommendation="award" if passes else "resubmit",
        note_to_issuer=note,
    )


class AssessmentCalls:
    """The services over one unit of work, answering with the API's views."""

    def __init__(self, uow: AssessmentUnitOfWork, settings: AssessmentSettings = SETTINGS) -> None:
        self.uow = uow
        self.session = uow.session
        self.settings = settings

    async def record_rubric(self, event: MicroCredentialPublished) -> None:
        await RubricService(self.uow).record(event)

    async def receive_attempt(self, event: AttemptSubmitted) -> None:
        await AssignmentService(self.uow, self.settings).receive(event)

    async def withdraw(self, event: SubmissionWithdrawn) -> None:
        await AssignmentService(self.uow, self.settings).withdraw(event)

    async def list_unassigned(self, *, limit: int, cursor: str | None) -> UnassignedPage:
        page = await AssignmentService(self.uow, self.settings).unassigned(limit=limit, cursor=cursor)
        return UnassignedPage.model_validate(page, from_attributes=True)

    async def create_assessor(self, body: AssessorCreate) -> AssessorView:
        return AssessorView.model_validate(await self._pool.create(body))

    async def get_assessor(self, assessor_id: str) -> AssessorView:
        return AssessorView.model_validate(await self._pool.get(assessor_id))

    async def update_assessor(self, assessor_id: str, body: AssessorUpdate) -> AssessorView:
        return AssessorView.model_validate(await self._pool.update(assessor_id, body))

    async def get_scoring_policy(self, micro_credential_id: str) -> ScoringPolicyView:
        return ScoringPolicyView.model_validate(await self._pool.scoring_policy(micro_credential_id))

    async def set_scoring_policy(self, micro_credential_id: str, body: ScoringPolicyUpdate) -> ScoringPolicyView:
        return ScoringPolicyView.model_validate(await self._pool.set_scoring_policy(micro_credential_id, body))

    async def queue(self, assessor_id: str, *, limit: int, cursor: str | None) -> Page[QueueItemView]:
        page = await self._queue.open_work(assessor_id, limit=limit, cursor=cursor)
        return Page[QueueItemView].model_validate(page, from_attributes=True)

    async def claim_next(self, assessor_id: str) -> ClaimView | None:
        claimed = await self._queue.claim_next(assessor_id)
        return ClaimView.model_validate(claimed) if claimed is not None else None

    async def release(self, assessor_id: str, assignment_id: str) -> ReleaseView:
        return ReleaseView.model_validate(await self._queue.release(assessor_id, assignment_id))

    async def blind_view(self, assessor_id: str, assignment_id: str) -> BlindAssignmentView:
        return BlindAssignmentView.model_validate(await self._queue.blind_view(assessor_id, assignment_id))

    async def expire_leases(self, now: datetime | None = None) -> int:
        return await self._queue.expire_leases(now)

    async def sweep(self, now: datetime | None = None) -> int:
        """One pass of the queue sweeper the app runs, at `now`."""
        return await self._queue.sweep(now)

    async def submit_review(self, assessor_id: str, assignment_id: str, body: ReviewCreate) -> ReviewView:
        done = await ReviewService(self.uow, self.settings).submit(assessor_id, assignment_id, body)
        return ReviewView.model_validate(done)

    async def create_calibration_set(self, body: CalibrationSetCreate) -> CalibrationSetView:
        return CalibrationSetView.model_validate(await self._calibration.create_set(body))

    async def calibration_work(self, assessor_id: str) -> list[CalibrationItemView]:
        return TypeAdapter(list[CalibrationItemView]).validate_python(await self._calibration.work(assessor_id))

    async def submit_calibration_review(
        self, assessor_id: str, example_id: str, body: ReviewCreate
    ) -> CalibrationProgressView:
        progress = await self._calibration.submit(assessor_id, example_id, body)
        return CalibrationProgressView.model_validate(progress)

    async def reliability(self, micro_credential_id: str, now: datetime | None = None) -> ReliabilityReportView:
        report = await ReportService(self.uow).reliability(micro_credential_id, now)
        return ReliabilityReportView.model_validate(report)

    async def overdue(self, *, limit: int = 50, cursor: str | None = None, now: datetime | None = None) -> OverduePage:
        page = await TurnaroundService(self.uow, self.settings).overdue(limit=limit, cursor=cursor, now=now)
        return OverduePage.model_validate(page, from_attributes=True)

    @property
    def _pool(self) -> PoolService:
        return PoolService(self.uow, self.settings)

    @property
    def _queue(self) -> QueueService:
        return QueueService(self.uow, self.settings)

    @property
    def _calibration(self) -> CalibrationService:
        return CalibrationService(self.uow, self.settings)


# ---- reading what the engine did -----------------------------------------------------


async def assignments_of(assessment: AssessmentCalls, submission_id: str) -> list[Assignment]:
    return list(
        await assessment.session.scalars(
            select(Assignment).join(Attempt).where(Attempt.submission_id == submission_id).order_by(Assignment.id)
        )
    )


async def open_holder(assessment: AssessmentCalls, submission_id: str) -> Assignment:
    [holder] = [a for a in await assignments_of(assessment, submission_id) if a.state in ("assigned", "claimed")]
    return holder


async def holders(assessment: AssessmentCalls, submission_id: str) -> list[str]:
    """Who holds the submission's work open now."""
    held = await assignments_of(assessment, submission_id)
    return [assignment.assessor_id for assignment in held if assignment.state in ("assigned", "claimed")]


async def submit(assessment: AssessmentCalls, micro_credential_id: str, **fields) -> str:
    event = attempt_event(micro_credential_id, **fields)
    await assessment.receive_attempt(event)
    return event.submission_id


async def open_load(assessment: AssessmentCalls, assessor_id: str) -> int:
    return (await assessment.get_assessor(assessor_id)).open_assignments


async def pool(assessment: AssessmentCalls, micro_credential_id: str, *assessor_ids: str, **fields) -> None:
    for assessor_id in assessor_ids:
        await assessment.create_assessor(new_assessor(micro_credential_id, assessor_id, **fields))
