"""Intake: a platform submits an earner's evidence, resubmits when resubmission is open, and
may withdraw the submission until it is final. An earner has one open submission per
micro-credential, and attempts are counted across their submissions (`attempt_rule`).
The evidence must fit the rubric and its artifacts must not identify the earner; what leaves
is a blind copy (`blind_copy`)."""

from collections.abc import Sequence

from awardpath_shared.errors import Forbidden, Invalid, NotFound
from awardpath_shared.events import SubmissionResubmitted, SubmissionSubmitted, SubmissionWithdrawn
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.logs import note_submission
from awardpath_shared.rubrics import ArtifactRef, SectionEvidence
from awardpath_submission.catalog.models import MicroCredential
from awardpath_submission.catalog.service import CatalogService
from awardpath_submission.files.service import attach_files
from awardpath_submission.intake import attempt_rule, blind_copy
from awardpath_submission.intake.identity import EarnerIdentity
from awardpath_submission.intake.models import Attempt, Earner, StatusChange, Submission
from awardpath_submission.intake.schemas import (
    AttemptCreate,
    EarnerCreate,
    EvidenceCreate,
    SubmissionCreate,
    WithdrawRequest,
)
from awardpath_submission.settings import SubmissionSettings
from awardpath_submission.uow import SubmissionUnitOfWork


class IntakeService:
    def __init__(self, uow: SubmissionUnitOfWork, settings: SubmissionSettings) -> None:
        self.uow = uow
        self.settings = settings

    async def submit(self, platform_id: str, request: SubmissionCreate) -> Submission:
        micro_credential = await CatalogService(self.uow).published(request.micro_credential_id)
        self._check_evidence(micro_credential, request.evidence)
        identity = EarnerIdentity.of(request.earner)  # the earner row takes these values below
        check_artifacts(identity, request.evidence)
        earner = await self._upsert_earner(platform_id, request.earner)  # locked until the commit
        latest = await self.uow.submissions.latest_of(earner.id, micro_credential.id)
        now = utcnow()
        number = attempt_rule.first_attempt(latest, micro_credential, now)
        given = request.earner
        hashes = blind_copy.conflict_hashes(self.settings.conflict_hash_key, given.organization_id, given.conflict_ids)
        submission, first_status = Submission.start(platform_id, earner, micro_credential.id, hashes, number, now)
        note_submission(submission.id)  # the rest of the request's log lines (and its span) name it
        if not await self.uow.submissions.add_open(submission):
            # Another transaction opened one after all (the lock is the rule, the index its proof).
            open_one = await self.uow.submissions.latest_of(earner.id, micro_credential.id)
            assert open_one is not None and not open_one.status.is_final
            raise attempt_rule.open_submission(open_one)
        attempt = await self._attempt(platform_id, submission, micro_credential, request.evidence)
        self.uow.submissions.add(attempt)
        self.uow.publish(blind_copy.attempt_event(SubmissionSubmitted, submission, attempt, identity))
        self.uow.publish(blind_copy.recipient_event(submission, earner))
        record_status(self.uow, first_status)
        await self.uow.flush()
        return submission

    async def resubmit(self, platform_id: str, submission_id: str, request: AttemptCreate) -> Submission:
        submission = owned_by(
            platform_id, submission_id, await self.uow.submissions.submission(submission_id, for_update=True)
        )
        micro_credential = await CatalogService(self.uow).published(submission.micro_credential_id)
        submission.check_resubmittable(micro_credential.max_attempts)
        self._check_evidence(micro_credential, request.evidence)
        identity = EarnerIdentity.of(await self.uow.submissions.earner_of(submission))
        check_artifacts(identity, request.evidence)
        status_change = submission.open_next_attempt(micro_credential.max_attempts, utcnow())
        attempt = await self._attempt(platform_id, submission, micro_credential, request.evidence)
        self.uow.submissions.add(attempt)
        self.uow.publish(blind_copy.attempt_event(SubmissionResubmitted, submission, attempt, identity))
        record_status(self.uow, status_change)
        await self.uow.flush()
        return submission

    async def withdraw(self, platform_id: str, submission_id: str, request: WithdrawRequest | None) -> Submission:
        """The platform withdraws its submission in any state that is not final: the
        assessment work on it is dropped and a pending decision cancelled (their services
        follow `submission.withdrawn`); later reviews and decisions change nothing here."""
        submission = owned_by(
            platform_id, submission_id, await self.uow.submissions.submission(submission_id, for_update=True)
        )
        now = utcnow()
        change = submission.withdraw(request.reason if request else None, now)
        self.uow.publish(
            SubmissionWithdrawn(submission_id=submission.id, attempt=submission.current_attempt, withdrawn_at=now)
        )
        record_status(self.uow, change)
        await self.uow.flush()
        return submission

    def _check_evidence(self, micro_credential: MicroCredential, evidence: Sequence[EvidenceCreate]) -> None:
        sections = {section.id: section for section in micro_credential.sections}
        given = [item.section_id for item in evidence]
        problems = []
        unknown = sorted(set(given) - set(sections))
        if unknown:
            problems.append(f"unknown sections: {', '.join(unknown)}")
        repeated = sorted({section_id for section_id in given if given.count(section_id) > 1})
        if repeated:
            problems.append(f"sections given more than once: {', '.join(repeated)}")
        missing = sorted(
            section_id for section_id, section in sections.items() if section.required and section_id not in given
        )
        if missing:
            problems.append(f"missing required sections: {', '.join(missing)}")
        for item in evidence:
            if len(item.text) > self.settings.max_evidence_text_chars:
                problems.append(
                    f"section {item.section_id}: text over {self.settings.max_evidence_text_chars} characters"
                )
            limit = self.settings.max_artifacts_per_section
            if len(item.artifacts) + len(item.files) > limit:
                problems.append(f"section {item.section_id}: more than {limit} artifacts and files")
        named = [file.file_id for item in evidence for file in item.files]
        if len(set(named)) != len(named):
            problems.append("a file is named more than once")
        if problems:
            raise Invalid(
                "invalid-evidence",
                "Evidence does not match the rubric",
                "; ".join(problems),
                errors=problems,
                sections=sorted(sections),
            )

    async def _upsert_earner(self, platform_id: str, given: EarnerCreate) -> Earner:
        identity = {"name": given.name, "email": str(given.email), "organization_id": given.organization_id}
        return await self.uow.submissions.earner(platform_id, given.external_id, identity=identity)

    async def _attempt(
        self,
        platform_id: str,
        submission: Submission,
        micro_credential: MicroCredential,
        evidence: Sequence[EvidenceCreate],
    ) -> Attempt:
        """The attempt, its evidence naming stored files by what assessors will receive."""
        named = [file.file_id for item in evidence for file in item.files]
        files = await attach_files(self.uow, platform_id, submission.id, submission.current_attempt, named)
        return Attempt(
            id=new_id(),
            submission_id=submission.id,
            number=submission.current_attempt,
            micro_credential_version=micro_credential.version,
            evidence=[
                SectionEvidence(
                    section_id=item.section_id,
                    text=item.text,
                    artifacts=[ArtifactRef.model_validate(a.model_dump(mode="json")) for a in item.artifacts],
                    files=[files[file.file_id] for file in item.files],
                )
                for item in evidence
            ],
            submitted_at=utcnow(),
        )


def record_status(uow: SubmissionUnitOfWork, change: StatusChange) -> None:
    """Store a status change in the timeline and tell the other services, in one transaction:
    every status change goes through here, so the events follow the timeline one for one."""
    uow.submissions.add(change)
    uow.publish(change.event())


def check_artifacts(identity: EarnerIdentity, evidence: Sequence[EvidenceCreate]) -> None:
    """Artifacts go to the assessor as given, and a redacted URL would be a silently broken
    link: one whose URL or media type identifies the earner is refused, naming the field."""
    problems, fields = [], []
    for index, item in enumerate(evidence):
        for position, artifact in enumerate(item.artifacts):
            for field, value in (("url", str(artifact.url)), ("media_type", artifact.media_type)):
                kinds = identity.found_in(value)
                if kinds:
                    path = f"evidence[{index}].artifacts[{position}].{field}"
                    fields.append(path)
                    problems.append(f"{path} (section {item.section_id}) contains the earner's {' and '.join(kinds)}")
    if problems:
        raise Invalid(
            "identifying-artifact",
            "An artifact identifies the earner",
            "; ".join(problems) + "; assessment is blind: give artifact URLs that do not identify the earner",
            errors=problems,
            fields=fields,
        )


def owned_by(platform_id: str, submission_id: str, submission: Submission | None) -> Submission:
    """The submission if the platform made it: 404 when unknown, 403 when another's."""
    if submission is None:
        raise NotFound("submission", submission_id)
    if submission.platform_id != platform_id:
        raise Forbidden("this submission belongs to another platform")
    return submission
