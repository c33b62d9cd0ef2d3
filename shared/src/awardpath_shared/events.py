"""The event catalogue: every event that crosses a service boundary, in one place.

Each event is a versioned pydantic contract named `noun.past_tense`. On the wire it is a
CloudEvents 1.0 envelope whose `type` is `<name>.v<version>` (for example
`submission.submitted.v1`), whose `subject` is the submission id (or the micro-credential id
for catalog events) and whose `data` is the model as JSON. The subject is also the
partition key, so the events of one submission stay in order.

Which service produces and which consume each event, topic by topic, is generated from
these classes and the services' handler maps into docs/topics.md and docs/asyncapi.yaml
(`python -m awardpath.asyncapi`; a test fails when they are stale).

Privacy contract: no event carries earner identity (name, email, external id, organisation
id) except as keyed hashes (or, on `recipient.identified` to award only, the salted hash a
credential names its earner by), and none carries assessor identity.

Changing a contract: add optional fields freely; anything else is a new version (a new
class with `event_version = 2`) published beside the old one until every consumer moved.
"""

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from awardpath_shared.rubrics import FileRef, Recommendation, RubricSection, SectionEvidence, SectionResult
from awardpath_shared.vocabulary import (
    DEFAULT_TURNAROUND_BUSINESS_DAYS,
    DecidedBy,
    DecisionOutcome,
    DecisionPolicy,
    SubmissionStatus,
)


class Event(BaseModel):
    """Base of every contract. `event_name` and `event_version` make the CloudEvents type."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_name: ClassVar[str]
    event_version: ClassVar[int] = 1
    topic: ClassVar[str]

    @classmethod
    def event_type(cls) -> str:
        return f"{cls.event_name}.v{cls.event_version}"

    def subject(self) -> str:
        """The submission (or catalog entry) this event is about; also the partition key."""
        raise NotImplementedError


# ---- catalog ---------------------------------------------------------------------------


class MicroCredentialPublished(Event):
    """A micro-credential version was published by its issuer of record."""

    event_name = "micro_credential.published"
    topic = "awardpath.catalog"

    micro_credential_id: str
    version: int
    issuer_id: str
    title: str
    competency: str
    key_method: str
    max_attempts: int
    decision_policy: DecisionPolicy
    sections: list[RubricSection]
    published_at: datetime
    # The assessment turnaround target. Added to v1 as optional: events published before it
    # carry none and mean the default.
    turnaround_business_days: int = DEFAULT_TURNAROUND_BUSINESS_DAYS
    # Days after a final denial (or after every attempt was used) before the earner may start
    # this micro-credential again, with fresh attempts; None: never.
    restart_after_days: int | None = None

    def subject(self) -> str:
        return self.micro_credential_id


# ---- submission ------------------------------------------------------------------------


class AttemptSubmitted(Event):
    """Fields common to a first submission and a resubmission (blind: no earner identity)."""

    submission_id: str
    attempt_id: str
    attempt: int
    micro_credential_id: str
    micro_credential_version: int
    evidence: list[SectionEvidence]
    # Keyed hashes (HMAC) of the earner's organisation and declared conflicts: conflict
    # checks by equality without the assessment service ever seeing the plain ids.
    conflict_hashes: list[str] = Field(default_factory=list)
    submitted_at: datetime

    def subject(self) -> str:
        return self.submission_id


class SubmissionSubmitted(AttemptSubmitted):
    """A platform submitted evidence for a micro-credential: a new submission, at attempt 1 or
    at the earner's next attempt at the micro-credential (attempts count per earner and
    micro-credential, across submissions)."""

    event_name = "submission.submitted"
    topic = "awardpath.submission"


class SubmissionResubmitted(AttemptSubmitted):
    """A platform resubmitted evidence after a deny with resubmission open (attempt n > 1)."""

    event_name = "submission.resubmitted"
    topic = "awardpath.submission"


class SubmissionStatusChanged(Event):
    """The submission's status changed: one event per entry of its timeline, published by
    the submission service (the only owner of the status) in the transaction that wrote the
    entry. `sequence` numbers a submission's changes 1, 2, 3... in timeline order; keyed by
    the submission, they arrive in that order. Ids and statuses only (no timeline detail:
    it may quote the platform or the issuer)."""

    event_name = "submission.status_changed"
    topic = "awardpath.submission"

    submission_id: str
    status: SubmissionStatus
    attempt: int
    sequence: int
    changed_at: datetime

    def subject(self) -> str:
        return self.submission_id


class SubmissionWithdrawn(Event):
    """The platform withdrew the submission: its assessment work is dropped and a pending
    decision on it cancelled. Final: no later event of the submission reopens it."""

    event_name = "submission.withdrawn"
    topic = "awardpath.submission"

    submission_id: str
    attempt: int
    withdrawn_at: datetime

    def subject(self) -> str:
        return self.submission_id


class FeedbackRecorded(Event):
    """An attempt's feedback (levels and growth feedback per section) is stored with the
    submission, so a platform reading it now finds it. Published once per attempt, in the
    transaction that stored it, whatever the status: an issuer's decision on another topic
    may have overtaken the review, and the feedback is news all the same. Not published for
    a withdrawn submission."""

    event_name = "feedback.recorded"
    topic = "awardpath.submission"

    submission_id: str
    attempt: int
    recorded_at: datetime

    def subject(self) -> str:
        return self.submission_id


# ---- assessment ------------------------------------------------------------------------


class AssessmentAssigned(Event):
    """An attempt was assigned to an assessor (who, is never said)."""

    event_name = "assessment.assigned"
    topic = "awardpath.assessment"

    submission_id: str
    attempt: int
    assigned_at: datetime

    def subject(self) -> str:
        return self.submission_id


class AssessmentCompleted(Event):
    """An attempt was scored: a level and growth feedback per section, and a recommendation.
    `review_id` is opaque; the assessor's identity never leaves assessment.

    Exactly one per attempt. A double-scored attempt is sent once its outcome is settled:
    the deciding review (the earlier of two that agree, or the adjudicator's) is the one
    carried here, so the earner sees one consistent set of levels and feedback.

    `note_to_issuer` is the deciding assessor's private note for the issuer of record. The
    earner never sees it: the submission service ignores it and does not store it."""

    event_name = "assessment.completed"
    topic = "awardpath.assessment"

    review_id: str
    submission_id: str
    attempt: int
    micro_credential_id: str
    micro_credential_version: int
    sections: list[SectionResult]
    recommendation: Recommendation
    completed_at: datetime
    note_to_issuer: str | None = None
    # The attempt's evidence files (the stored copies), for the issuer deciding. Added to v1
    # as optional: assessments sent before evidence files carry none.
    files: list[FileRef] = Field(default_factory=list)

    def subject(self) -> str:
        return self.submission_id


# ---- award -----------------------------------------------------------------------------


class AwardDecided(Event):
    """The issuer of record (or its auto policy) decided an attempt."""

    event_name = "award.decided"
    topic = "awardpath.award"

    decision_id: str
    submission_id: str
    attempt: int
    micro_credential_id: str
    outcome: DecisionOutcome
    note: str | None = None
    decided_by: DecidedBy
    award_id: str | None = None
    decided_at: datetime

    def subject(self) -> str:
        return self.submission_id


class AwardGranted(Event):
    """An award was recorded; credential issuance turns it into a signed Open Badge."""

    event_name = "award.granted"
    topic = "awardpath.award"

    award_id: str
    submission_id: str
    attempt: int
    micro_credential_id: str
    micro_credential_version: int
    issuer_id: str
    results: list[SectionResult]
    awarded_at: datetime

    def subject(self) -> str:
        return self.submission_id


# ---- recipient and credential --------------------------------------------------------


class RecipientIdentified(Event):
    """The earner of a submission as a credential may name them: an Open Badges 3.0 salted
    `identityHash` of their email, never the email. Staged with the first submission on a
    topic only the award service reads (assessment never sees it). `platform_id` says which
    platform made the submission, for its webhooks; it is not earner identity."""

    event_name = "recipient.identified"
    topic = "awardpath.recipient"

    submission_id: str
    platform_id: str
    identity_type: Literal["emailAddress"] = "emailAddress"
    identity_hash: str  # "sha256$" + hex(sha256(email + salt))
    salt: str
    identified_at: datetime

    def subject(self) -> str:
        return self.submission_id


class CredentialIssued(Event):
    """A signed Open Badges 3.0 credential was issued for an award."""

    event_name = "credential.issued"
    topic = "awardpath.credential"

    credential_id: str
    credential_url: str
    award_id: str
    submission_id: str
    issuer_id: str
    issued_at: datetime

    def subject(self) -> str:
        return self.submission_id


class CredentialRevoked(Event):
    """The issuer revoked a credential; its status list bit is set."""

    event_name = "credential.revoked"
    topic = "awardpath.credential"

    credential_id: str
    submission_id: str
    reason: str
    revoked_at: datetime

    def subject(self) -> str:
        return self.submission_id


EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type(): cls
    for cls in (
        MicroCredentialPublished,
        SubmissionSubmitted,
        SubmissionResubmitted,
        SubmissionStatusChanged,
        SubmissionWithdrawn,
        FeedbackRecorded,
        AssessmentAssigned,
        AssessmentCompleted,
        AwardDecided,
        AwardGranted,
        RecipientIdentified,
        CredentialIssued,
        CredentialRevoked,
    )
}
