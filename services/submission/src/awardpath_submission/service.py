"""Business rules of intake: validate evidence, keep status and timeline, stay the only
holder of earner identity (events carry redacted evidence and keyed hashes only)."""

import re
import secrets
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_shared.auth import forbidden
from awardpath_shared.events import (
    AssessmentAssigned,
    AssessmentCompleted,
    AttemptSubmitted,
    AwardDecided,
    CredentialIssued,
    CredentialRevoked,
    MicroCredentialPublished,
    RecipientIdentified,
    SectionEvidence,
    SubmissionResubmitted,
    SubmissionSubmitted,
)
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.messaging.outbox import record_event
from awardpath_shared.privacy import conflict_hash, identity_hash
from awardpath_shared.problems import conflict, not_found, unprocessable
from awardpath_submission.models import (
    Attempt,
    Earner,
    MicroCredential,
    OutboxMessage,
    Review,
    StatusChange,
    Submission,
)
from awardpath_submission.repository import SubmissionRepository
from awardpath_submission.schemas import AttemptCreate, EarnerIn, EvidenceIn, SubmissionCreate
from awardpath_submission.settings import SubmissionSettings

REDACTION_MARKER = "[earner]"
FINAL_STATUSES = frozenset({"awarded", "denied", "withdrawn"})
DECISION_STATUS = {"awarded": "awarded", "resubmission_open": "resubmission_open", "denied": "denied"}


class SubmissionService:
    def __init__(self, session: AsyncSession, settings: SubmissionSettings) -> None:
        self.session = session
        self.settings = settings
        self.repository = SubmissionRepository(session)

    # ---- platform calls --------------------------------------------------------------

    async def submit(self, platform_id: str, request: SubmissionCreate) -> Submission:
        micro_credential = await self._published(request.micro_credential_id)
        self._check_evidence(micro_credential, request.evidence)
        earner = await self._upsert_earner(platform_id, request.earner)
        now = utcnow()
        submission = Submission(
            id=new_id(),
            platform_id=platform_id,
            earner_id=earner.id,
            micro_credential_id=micro_credential.id,
            status="submitted",
            current_attempt=1,
            conflict_hashes=self._conflict_hashes(request.earner),
            created_at=now,
            updated_at=now,
        )
        self.session.add(submission)
        await self.session.flush()
        attempt = self._add_attempt(submission, micro_credential, request.evidence, 1)
        self._change_status(submission, "submitted", "first attempt submitted")
        record_event(
            self.session,
            OutboxMessage,
            self._attempt_event(SubmissionSubmitted, submission, attempt, earner),
        )
        record_event(self.session, OutboxMessage, self._recipient_event(submission, earner))
        await self.session.flush()
        return submission

    async def resubmit(self, platform_id: str, submission_id: str, request: AttemptCreate) -> Attempt:
        submission = await self._owned(platform_id, submission_id, for_update=True)
        if submission.status != "resubmission_open":
            raise conflict(
                "resubmission-not-open",
                "Resubmission is not open",
                f"submission {submission_id} is {submission.status}; a resubmission is accepted "
                "only after the issuer denied an attempt with resubmission open",
                submission_status=submission.status,
            )
        micro_credential = await self._published(submission.micro_credential_id)
        if submission.current_attempt >= micro_credential.max_attempts:
            raise conflict(
                "attempts-exhausted",
                "No attempts left",
                f"this micro-credential allows {micro_credential.max_attempts} attempts",
            )
        self._check_evidence(micro_credential, request.evidence)
        number = submission.current_attempt + 1
        attempt = self._add_attempt(submission, micro_credential, request.evidence, number)
        submission.current_attempt = number
        submission.decision_outcome = None
        submission.decision_note = None
        self._change_status(submission, "submitted", f"attempt {number} submitted")
        earner = await self.session.get(Earner, submission.earner_id)
        record_event(
            self.session,
            OutboxMessage,
            self._attempt_event(SubmissionResubmitted, submission, attempt, earner),
        )
        await self.session.flush()
        return attempt

    async def get(self, platform_id: str, submission_id: str) -> Submission:
        submission = await self.repository.submission_with_details(submission_id)
        return _owned_by(platform_id, submission_id, submission)

    async def timeline(self, platform_id: str, submission_id: str) -> list[StatusChange]:
        await self._owned(platform_id, submission_id)
        return await self.repository.timeline(submission_id)

    async def max_attempts(self, micro_credential_id: str) -> int:
        micro_credential = await self.repository.micro_credential(micro_credential_id)
        return micro_credential.max_attempts if micro_credential else 1

    # ---- consumed events -------------------------------------------------------------

    async def record_catalog_entry(self, event: MicroCredentialPublished) -> None:
        entry = await self.repository.micro_credential(event.micro_credential_id)
        if entry is not None and entry.version >= event.version:
            return  # an older version arriving late never replaces a newer one
        if entry is None:
            entry = MicroCredential(id=event.micro_credential_id)
            self.session.add(entry)
        entry.version = event.version
        entry.issuer_id = event.issuer_id
        entry.title = event.title
        entry.max_attempts = event.max_attempts
        entry.sections = [section.model_dump(mode="json") for section in event.sections]
        entry.published_at = event.published_at
        await self.session.flush()

    async def mark_assigned(self, event: AssessmentAssigned) -> None:
        submission = await self._for_event(event.submission_id)
        if submission.current_attempt == event.attempt and submission.status == "submitted":
            self._change_status(submission, "in_review", "an assessor is reviewing the evidence")
            await self.session.flush()

    async def record_review(self, event: AssessmentCompleted) -> None:
        submission = await self._for_event(event.submission_id)
        attempt = await self.repository.attempt(event.submission_id, event.attempt)
        if attempt is None:
            raise LookupError(f"attempt {event.attempt} of {event.submission_id} is not known")
        if await self.session.get(Review, event.review_id) is None:
            self.session.add(
                Review(
                    id=event.review_id,
                    attempt_id=attempt.id,
                    sections=[section.model_dump(mode="json") for section in event.sections],
                    recommendation=event.recommendation,
                    completed_at=event.completed_at,
                )
            )
        # The decision may have overtaken the review (different topics): never step back.
        if submission.current_attempt == event.attempt and submission.status in ("submitted", "in_review"):
            self._change_status(submission, "awaiting_decision", "feedback available; awaiting the issuer's decision")
        await self.session.flush()

    async def apply_decision(self, event: AwardDecided) -> None:
        submission = await self._for_event(event.submission_id)
        if submission.current_attempt != event.attempt or submission.status in FINAL_STATUSES:
            return
        if submission.status == "resubmission_open" and event.outcome == "resubmission_open":
            return
        submission.decision_outcome = event.outcome
        submission.decision_note = event.note
        submission.award_id = event.award_id
        self._change_status(submission, DECISION_STATUS[event.outcome], event.note)
        await self.session.flush()

    async def record_credential(self, event: CredentialIssued) -> None:
        submission = await self._for_event(event.submission_id)
        submission.credential_id = event.credential_id
        submission.credential_url = event.credential_url
        submission.updated_at = utcnow()
        await self.session.flush()

    async def record_revocation(self, event: CredentialRevoked) -> None:
        submission = await self._for_event(event.submission_id)
        submission.credential_revoked_at = event.revoked_at
        submission.updated_at = utcnow()
        await self.session.flush()

    # ---- helpers ---------------------------------------------------------------------

    async def _published(self, micro_credential_id: str) -> MicroCredential:
        micro_credential = await self.repository.micro_credential(micro_credential_id)
        if micro_credential is None:
            raise unprocessable(
                "unknown-micro-credential",
                "Unknown micro-credential",
                f"no published micro-credential with id {micro_credential_id!r}",
            )
        return micro_credential

    async def _owned(self, platform_id: str, submission_id: str, *, for_update: bool = False) -> Submission:
        submission = await self.repository.submission(submission_id, for_update=for_update)
        return _owned_by(platform_id, submission_id, submission)

    async def _for_event(self, submission_id: str) -> Submission:
        submission = await self.repository.submission(submission_id, for_update=True)
        if submission is None:
            raise LookupError(f"submission {submission_id} is not known")
        return submission

    def _check_evidence(self, micro_credential: MicroCredential, evidence: Sequence[EvidenceIn]) -> None:
        sections = {section["id"]: section for section in micro_credential.sections}
        given = [item.section_id for item in evidence]
        problems = []
        unknown = sorted(set(given) - set(sections))
        if unknown:
            problems.append(f"unknown sections: {', '.join(unknown)}")
        repeated = sorted({section_id for section_id in given if given.count(section_id) > 1})
        if repeated:
            problems.append(f"sections given more than once: {', '.join(repeated)}")
        missing = sorted(
            section_id
            for section_id, section in sections.items()
            if section.get("required", True) and section_id not in given
        )
        if missing:
            problems.append(f"missing required sections: {', '.join(missing)}")
        for item in evidence:
            if len(item.text) > self.settings.max_evidence_text_chars:
                problems.append(
                    f"section {item.section_id}: text over {self.settings.max_evidence_text_chars} characters"
                )
            if len(item.artifacts) > self.settings.max_artifacts_per_section:
                problems.append(
                    f"section {item.section_id}: more than {self.settings.max_artifacts_per_section} artifacts"
                )
        if problems:
            raise unprocessable(
                "invalid-evidence",
                "Evidence does not match the rubric",
                "; ".join(problems),
                errors=problems,
                sections=sorted(sections),
            )

    async def _upsert_earner(self, platform_id: str, given: EarnerIn) -> Earner:
        earner = await self.repository.earner(platform_id, given.external_id)
        if earner is None:
            earner = Earner(id=new_id(), platform_id=platform_id, external_id=given.external_id)
            self.session.add(earner)
        earner.name = given.name
        earner.email = str(given.email)
        earner.organization_id = given.organization_id
        await self.session.flush()
        return earner

    def _add_attempt(
        self, submission: Submission, micro_credential: MicroCredential, evidence: Sequence[EvidenceIn], number: int
    ) -> Attempt:
        attempt = Attempt(
            id=new_id(),
            submission_id=submission.id,
            number=number,
            micro_credential_version=micro_credential.version,
            evidence=[item.model_dump(mode="json") for item in evidence],
            submitted_at=utcnow(),
        )
        self.session.add(attempt)
        return attempt

    def _conflict_hashes(self, earner: EarnerIn) -> list[str]:
        organizations = [earner.organization_id] if earner.organization_id else []
        key = self.settings.conflict_hash_key
        return sorted({conflict_hash(key, value) for value in [*organizations, *earner.conflict_ids]})

    def _change_status(self, submission: Submission, status: str, detail: str | None) -> None:
        now = utcnow()
        submission.status = status
        submission.updated_at = now
        self.session.add(
            StatusChange(
                id=new_id(),
                submission_id=submission.id,
                status=status,
                attempt=submission.current_attempt,
                detail=detail,
                at=now,
            )
        )

    def _attempt_event(
        self,
        event_class: type[AttemptSubmitted],
        submission: Submission,
        attempt: Attempt,
        earner: Earner,
    ) -> AttemptSubmitted:
        """The blind copy of an attempt: redacted evidence and keyed hashes, no identity."""
        return event_class(
            submission_id=submission.id,
            attempt_id=attempt.id,
            attempt=attempt.number,
            micro_credential_id=submission.micro_credential_id,
            micro_credential_version=attempt.micro_credential_version,
            evidence=[
                SectionEvidence(
                    section_id=item["section_id"],
                    text=redact(item["text"], earner),
                    artifacts=item["artifacts"],
                )
                for item in attempt.evidence
            ],
            conflict_hashes=submission.conflict_hashes,
            submitted_at=attempt.submitted_at,
        )

    def _recipient_event(self, submission: Submission, earner: Earner) -> RecipientIdentified:
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


def _owned_by(platform_id: str, submission_id: str, submission: Submission | None) -> Submission:
    if submission is None:
        raise not_found("submission", submission_id)
    if submission.platform_id != platform_id:
        raise forbidden("this submission belongs to another platform")
    return submission


def redact(text: str, earner: Earner) -> str:
    """Replace exact (case-insensitive) occurrences of the earner's name and email."""
    for value in sorted({earner.email, earner.name}, key=len, reverse=True):
        if value.strip():
            text = re.sub(re.escape(value), REDACTION_MARKER, text, flags=re.IGNORECASE)
    return text
