"""Every table of the submission service, in one place: what migrations and checks read."""

from awardpath_submission.catalog.models import MicroCredential
from awardpath_submission.database import Base, DeadLetter, IdempotencyKey, OutboxMessage, ProcessedEvent
from awardpath_submission.files.models import EvidenceFile
from awardpath_submission.intake.models import Attempt, Earner, StatusChange, Submission
from awardpath_submission.progress.models import Review

__all__ = [
    "Attempt",
    "Base",
    "DeadLetter",
    "Earner",
    "EvidenceFile",
    "IdempotencyKey",
    "MicroCredential",
    "OutboxMessage",
    "ProcessedEvent",
    "Review",
    "StatusChange",
    "Submission",
]
