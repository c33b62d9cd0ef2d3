"""The words of the award path that events carry and services share: who decides, how a
submission stands, what a decision came to. (The rubric's words are in `rubrics`.)"""

from enum import StrEnum


class DecisionPolicy(StrEnum):
    """Who decides on an assessed attempt: the issuer (`manual`) or its policy at once (`auto`)."""

    MANUAL = "manual"
    AUTO = "auto"


# Business days (Monday to Friday) an attempt's assessment should take where a definition
# names no target: the 14 Digital Promise states, the longer of the field's commitments.
DEFAULT_TURNAROUND_BUSINESS_DAYS = 14


class SubmissionStatus(StrEnum):
    """A submission's status, as the submission service (its only owner) records it."""

    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    AWAITING_DECISION = "awaiting_decision"
    RESUBMISSION_OPEN = "resubmission_open"
    AWARDED = "awarded"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"

    @property
    def is_final(self) -> bool:
        return self in (SubmissionStatus.AWARDED, SubmissionStatus.DENIED, SubmissionStatus.WITHDRAWN)


class DecisionOutcome(StrEnum):
    AWARDED = "awarded"
    RESUBMISSION_OPEN = "resubmission_open"
    DENIED = "denied"


class DecidedBy(StrEnum):
    ISSUER = "issuer"
    POLICY = "policy"
