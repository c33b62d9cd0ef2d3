"""What leaves intake about an earner: a blind copy of each attempt for assessment (evidence
with every form of the earner's name, e-mail and ids redacted, keyed hashes of organisations;
artifact URLs that identify the earner are refused at intake, files named by id with their
identifying metadata removed when they were uploaded), and for the award service only
the salted hash a credential names its earner by."""

import secrets

from awardpath_shared.events import AttemptSubmitted, RecipientIdentified
from awardpath_shared.privacy import conflict_hash, identity_hash
from awardpath_submission.intake.identity import EarnerIdentity
from awardpath_submission.intake.models import Attempt, Earner, Submission


def conflict_hashes(key: str, organization_id: str | None, conflict_ids: list[str]) -> list[str]:
    organizations = [organization_id] if organization_id else []
    return sorted({conflict_hash(key, value) for value in [*organizations, *conflict_ids]})


def attempt_event(
    event_class: type[AttemptSubmitted], submission: Submission, attempt: Attempt, identity: EarnerIdentity
) -> AttemptSubmitted:
    """The blind copy of an attempt: evidence with `identity` redacted, keyed hashes, no identity."""
    return event_class(
        submission_id=submission.id,
        attempt_id=attempt.id,
        attempt=attempt.number,
        micro_credential_id=submission.micro_credential_id,
        micro_credential_version=attempt.micro_credential_version,
        # Files go as stored: named by id, their identifying metadata removed at upload.
        evidence=[item.model_copy(update={"text": identity.redact(item.text)}) for item in attempt.evidence],
        conflict_hashes=submission.conflict_hashes,
        submitted_at=attempt.submitted_at,
    )


def recipient_event(submission: Submission, earner: Earner) -> RecipientIdentified:
    """The earner as a credential names them (a salted hash of the email), for the award
    service only; a fresh salt per submission keeps credentials unlinkable."""
    salt = secrets.token_hex(16)
    return RecipientIdentified(
        submission_id=submission.id,
        platform_id=submission.platform_id,
        identity_hash=identity_hash(earner.email, salt),
        salt=salt,
        identified_at=submission.created_at,
    )
