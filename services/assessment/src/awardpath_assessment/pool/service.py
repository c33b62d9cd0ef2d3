"""The assessor pool (admins): assessors, their capacity and qualifications, pausing, and
the share of each micro-credential's attempts that is double scored. Any change that makes
room lets waiting attempts in."""

from dataclasses import dataclass

from awardpath_assessment.assignment.models import AssignmentState
from awardpath_assessment.assignment.service import AssignmentService
from awardpath_assessment.pool.models import Assessor, AssessorQualification, QualificationStatus, ScoringPolicy
from awardpath_assessment.pool.schemas import AssessorCreate, AssessorUpdate, ScoringPolicyUpdate
from awardpath_assessment.settings import AssessmentSettings
from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared.errors import Conflict, Forbidden, NotFound
from awardpath_shared.ids import utcnow
from awardpath_shared.pagination import Paged, fetch_page
from awardpath_shared.privacy import conflict_hash


@dataclass(frozen=True)
class ScoringPolicySetting:
    micro_credential_id: str
    double_score_share: float
    configured: bool  # False: no policy was set, the service default applies


class PoolService:
    def __init__(self, uow: AssessmentUnitOfWork, settings: AssessmentSettings) -> None:
        self.uow = uow
        self.settings = settings
        self.assignment = AssignmentService(uow, settings)

    async def create(self, body: AssessorCreate) -> Assessor:
        # The assignment lock also serialises creations: no race to the same id.
        await self.uow.take_assignment_lock()
        if await self.uow.assessors.get(body.id) is not None:
            raise Conflict("assessor-exists", "Assessor exists", f"an assessor with id {body.id!r} exists already")
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
                await self._grant(body.id, micro_credential_id)
                for micro_credential_id in dict.fromkeys(body.micro_credential_ids)
            ],
        )
        self.uow.assessors.add(assessor)
        await self.uow.flush()
        await self.assignment.assign_waiting(assessor)
        return assessor

    async def get(self, assessor_id: str) -> Assessor:
        assessor = await self.uow.assessors.get(assessor_id)
        if assessor is None:
            raise NotFound("assessor", assessor_id)
        return assessor

    async def list_assessors(self, *, cursor: str | None, limit: int) -> Paged[Assessor]:
        """The whole pool, by id."""
        return await fetch_page(
            lambda after, size: self.uow.assessors.list_assessors(after_id=after, limit=size),
            cursor=cursor,
            limit=limit,
            position=lambda assessor: assessor.id,
        )

    async def registered(self, assessor_id: str) -> Assessor:
        """The calling assessor; 403 when nobody is registered under the token's subject."""
        assessor = await self.uow.assessors.get(assessor_id)
        if assessor is None:
            raise Forbidden(f"no assessor is registered with id {assessor_id!r}")
        return assessor

    async def update(self, assessor_id: str, body: AssessorUpdate) -> Assessor:
        await self.uow.take_assignment_lock()
        assessor = await self.get(assessor_id)
        if body.capacity is not None:
            assessor.capacity = body.capacity
        if body.micro_credential_ids is not None:
            wanted = list(dict.fromkeys(body.micro_credential_ids))
            kept = [q for q in assessor.qualifications if q.micro_credential_id in wanted]
            held = {q.micro_credential_id for q in kept}
            assessor.qualifications = kept + [await self._grant(assessor.id, m) for m in wanted if m not in held]
        if body.paused is not None and body.paused != assessor.paused:
            assessor.paused = body.paused
            await self.uow.flush()
            if body.paused:
                # On leave: whatever they hold goes to others now rather than waiting.
                for assignment in await self.uow.attempts.open_assignments_of(assessor.id):
                    await self.assignment.return_to_pool(assignment, AssignmentState.WITHDRAWN)
        await self.uow.flush()
        # Unpausing, more capacity or a new qualification may each let waiting attempts in.
        await self.assignment.assign_waiting(assessor)
        return assessor

    async def scoring_policy(self, micro_credential_id: str) -> ScoringPolicySetting:
        policy = await self.uow.assessors.scoring_policy(micro_credential_id)
        share = await self.assignment.double_score_share(micro_credential_id)
        return ScoringPolicySetting(micro_credential_id, share, configured=policy is not None)

    async def set_scoring_policy(self, micro_credential_id: str, body: ScoringPolicyUpdate) -> ScoringPolicySetting:
        """Applies to attempts arriving from now on."""
        policy = await self.uow.assessors.scoring_policy(micro_credential_id)
        if policy is None:
            policy = ScoringPolicy(micro_credential_id=micro_credential_id)
            self.uow.assessors.add(policy)
        policy.double_score_share = body.double_score_share
        policy.updated_at = utcnow()
        await self.uow.flush()
        return await self.scoring_policy(micro_credential_id)

    async def _grant(self, assessor_id: str, micro_credential_id: str) -> AssessorQualification:
        """A new grant: calibrating when the micro-credential has a calibration set (the
        assessor scores the newest one before any live work), qualified otherwise."""
        calibration = await self.uow.calibration.latest_set(micro_credential_id)
        if calibration is None:
            return AssessorQualification(micro_credential_id=micro_credential_id, status=QualificationStatus.QUALIFIED)
        await self.uow.calibration.forget_reviews(assessor_id, calibration.id)  # a fresh start
        return AssessorQualification(
            micro_credential_id=micro_credential_id,
            status=QualificationStatus.CALIBRATING,
            calibration_set_id=calibration.id,
        )
