"""The submission service layer for service-level tests: a catalog entry, evidence and
submissions of one earner, and the other services' events that move a submission on."""

from typing import Any

from awardpath_shared.events import AssessmentCompleted, AwardDecided, MicroCredentialPublished
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.rubrics import RubricLevel, RubricSection, SectionResult
from awardpath_submission.catalog.service import CatalogService
from awardpath_submission.intake.schemas import SubmissionCreate
from awardpath_submission.intake.service import IntakeService
from awardpath_submission.uow import SubmissionUnitOfWork
from tests.support.earner_identity import ADA

EARNER = ADA
CLEAN_ARTIFACT = {"url": "https://files.example.org/practice.mp4", "media_type": "video/mp4", "sha256": "a" * 64}


def catalog_entry(micro_credential_id: str, **overrides: Any) -> MicroCredentialPublished:
    """A micro-credential as the award service publishes it: two sections, two attempts."""
    fields: dict[str, Any] = {
        "micro_credential_id": micro_credential_id,
        "version": 1,
        "issuer_id": "issuer-1",
        "title": "Climate",
        "competency": "c",
        "key_method": "k",
        "max_attempts": 2,
        "decision_policy": "manual",
        "sections": [
            RubricSection(
                id=section_id,
                title=section_id,
                prompt="p",
                levels=[RubricLevel(id="not_yet", name="Not yet"), RubricLevel(id="ok", name="OK")],
                passing_level="ok",
            )
            for section_id in ("overview", "reflection")
        ],
        "published_at": utcnow(),
    }
    return MicroCredentialPublished(**(fields | overrides))


async def in_catalog(uow: SubmissionUnitOfWork, **overrides: Any) -> str:
    """A micro-credential the submission service's catalog has; its id."""
    micro_credential_id = new_id()
    await CatalogService(uow).record(catalog_entry(micro_credential_id, **overrides))
    return micro_credential_id


def evidence(text: str = "Circles every Monday.", artifact: dict | None = None) -> list[dict]:
    return [
        {"section_id": "overview", "text": text, "artifacts": [artifact or CLEAN_ARTIFACT]},
        {"section_id": "reflection", "text": "Students talk more."},
    ]


async def submitted(
    intake: IntakeService,
    micro_credential_id: str,
    text: str = "Circles every Monday.",
    artifact: dict | None = None,
    *,
    earner: dict[str, str] = EARNER,
    platform_id: str = "platform-1",
) -> str:
    request = SubmissionCreate.model_validate(
        {"micro_credential_id": micro_credential_id, "earner": earner, "evidence": evidence(text, artifact)}
    )
    return (await intake.submit(platform_id, request)).id


def completed(submission_id: str, attempt: int = 1) -> AssessmentCompleted:
    return AssessmentCompleted(
        review_id=new_id(),
        submission_id=submission_id,
        attempt=attempt,
        micro_credential_id="mc",
        micro_credential_version=1,
        recommendation="resubmit",
        completed_at=utcnow(),
        sections=[SectionResult(section_id="overview", level="not_yet", feedback="Add student voices.")],
    )


def decided(submission_id: str, outcome: str, attempt: int = 1) -> AwardDecided:
    return AwardDecided(
        decision_id=new_id(),
        submission_id=submission_id,
        attempt=attempt,
        micro_credential_id="mc",
        outcome=outcome,
        decided_by="issuer",
        decided_at=utcnow(),
    )
