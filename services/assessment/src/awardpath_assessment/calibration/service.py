"""Calibration: admins load example submissions with agreed levels; an assessor newly
granted a micro-credential scores them under the same rules as live work and is qualified
only if their exact agreement meets the set's threshold (else not qualified; granting the
micro-credential again restarts). Assessors qualified before a set stay qualified."""

from dataclasses import dataclass

from awardpath_assessment.assignment.service import AssignmentService
from awardpath_assessment.calibration.models import (
    CalibrationExample,
    CalibrationReview,
    CalibrationSet,
    calibration_agreement,
)
from awardpath_assessment.calibration.schemas import CalibrationExampleCreate, CalibrationSetCreate
from awardpath_assessment.pool.models import QualificationStatus
from awardpath_assessment.pool.service import PoolService
from awardpath_assessment.review.schemas import ReviewCreate
from awardpath_assessment.review.validation import validated_results
from awardpath_assessment.rubrics.models import Rubric
from awardpath_assessment.settings import AssessmentSettings
from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared.errors import Conflict, Forbidden, Invalid, NotFound
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.rubrics import SectionEvidence


@dataclass(frozen=True)
class CalibrationProgress:
    example_id: str
    remaining: int
    status: QualificationStatus
    agreement: float | None
    # The example's agreed levels, {section_id: level}: shown once it is scored.
    agreed_levels: dict[str, str]


class CalibrationService:
    def __init__(self, uow: AssessmentUnitOfWork, settings: AssessmentSettings) -> None:
        self.uow = uow
        self.settings = settings

    async def create_set(self, body: CalibrationSetCreate) -> CalibrationSet:
        """New grants of the micro-credential calibrate against the newest set."""
        rubric = await self.uow.rubrics.get(body.micro_credential_id, body.micro_credential_version)
        if rubric is None:
            raise Invalid(
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
                    evidence=_evidence(rubric, example, position),
                    agreed_levels=_agreed_levels(rubric, example, position),
                )
                for position, example in enumerate(body.examples)
            ],
        )
        self.uow.calibration.add(calibration)
        await self.uow.flush()
        return calibration

    async def work(self, assessor_id: str) -> list[CalibrationExample]:
        """The calibration examples the caller still has to score, set by set."""
        assessor = await PoolService(self.uow, self.settings).registered(assessor_id)
        examples: list[CalibrationExample] = []
        for qualification in assessor.qualifications:
            if qualification.status != QualificationStatus.CALIBRATING or qualification.calibration_set_id is None:
                continue
            calibration = await self.uow.calibration.set(qualification.calibration_set_id)
            assert calibration is not None  # sets are never deleted
            scored = {review.example_id for review in await self.uow.calibration.reviews(assessor_id, calibration.id)}
            examples += [example for example in calibration.examples if example.id not in scored]
        return examples

    async def submit(self, assessor_id: str, example_id: str, body: ReviewCreate) -> CalibrationProgress:
        """Score one example; once the whole set is scored, the assessor is qualified if
        their exact agreement meets the threshold."""
        await self.uow.take_assignment_lock()  # qualifying may let waiting work in
        assessor = await PoolService(self.uow, self.settings).registered(assessor_id)
        example = await self.uow.calibration.example(example_id)
        if example is None:
            raise NotFound("calibration example", example_id)
        calibration = await self.uow.calibration.set(example.set_id)
        assert calibration is not None  # a foreign key
        qualification = next(
            (
                q
                for q in assessor.qualifications
                if q.calibration_set_id == calibration.id and q.status == QualificationStatus.CALIBRATING
            ),
            None,
        )
        if qualification is None:
            raise Forbidden("this calibration example is not part of a calibration you are doing")
        scored = await self.uow.calibration.reviews(assessor_id, calibration.id)
        if example.id in {review.example_id for review in scored}:
            raise Conflict("calibration-example-scored", "Example scored", "you scored this example already")
        review = CalibrationReview(
            id=new_id(),
            assessor_id=assessor_id,
            example_id=example.id,
            sections=validated_results(calibration.rubric.sections, body, self.settings.min_feedback_chars),
            recommendation=body.recommendation,
            completed_at=utcnow(),
            example=example,
        )
        self.uow.calibration.add(review)
        scored.append(review)
        remaining = len(calibration.examples) - len(scored)
        if remaining == 0:
            qualification.calibrated(calibration_agreement(scored), calibration.threshold)
        await self.uow.flush()
        if qualification.status == QualificationStatus.QUALIFIED:
            await AssignmentService(self.uow, self.settings).assign_waiting(assessor)
        return CalibrationProgress(
            example.id, remaining, qualification.status, qualification.calibration_agreement, example.agreed_levels
        )


def _evidence(rubric: Rubric, example: CalibrationExampleCreate, position: int) -> list[SectionEvidence]:
    given = [evidence.section_id for evidence in example.evidence]
    unknown = [section_id for section_id in given if section_id not in rubric.section_ids]
    if unknown or len(set(given)) != len(given):
        raise Invalid(
            "calibration-evidence-invalid",
            "Calibration evidence does not fit the rubric",
            f"example {position}: evidence must name each rubric section at most once; "
            f"unknown or repeated: {', '.join(unknown or given)}",
            example=position,
        )
    return [SectionEvidence(section_id=e.section_id, text=e.text) for e in example.evidence]


def _agreed_levels(rubric: Rubric, example: CalibrationExampleCreate, position: int) -> dict[str, str]:
    agreed = {level.section_id: level.level for level in example.agreed_levels}
    wrong = [section.id for section in rubric.sections if agreed.get(section.id) not in section.level_ids] + [
        section_id for section_id in agreed if section_id not in rubric.section_ids
    ]
    if wrong or len(agreed) != len(example.agreed_levels):
        raise Invalid(
            "calibration-levels-invalid",
            "Agreed levels do not fit the rubric",
            f"example {position}: every rubric section needs exactly one agreed level of its own; "
            f"wrong or missing: {', '.join(wrong) or 'a section given twice'}",
            example=position,
        )
    return agreed
