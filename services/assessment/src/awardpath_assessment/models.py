"""Every table of the assessment service, in one place: what migrations and checks read."""

from awardpath_assessment.assignment.models import Assignment, Attempt, Withdrawal
from awardpath_assessment.calibration.models import CalibrationExample, CalibrationReview, CalibrationSet
from awardpath_assessment.database import Base, DeadLetter, IdempotencyKey, OutboxMessage, ProcessedEvent
from awardpath_assessment.pool.models import Assessor, AssessorQualification, ScoringPolicy
from awardpath_assessment.review.models import Review
from awardpath_assessment.rubrics.models import Rubric

__all__ = [
    "Assessor",
    "AssessorQualification",
    "Assignment",
    "Attempt",
    "Base",
    "CalibrationExample",
    "CalibrationReview",
    "CalibrationSet",
    "DeadLetter",
    "IdempotencyKey",
    "OutboxMessage",
    "ProcessedEvent",
    "Review",
    "Rubric",
    "ScoringPolicy",
    "Withdrawal",
]
