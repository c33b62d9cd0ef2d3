"""The award service layer for service-level tests: an issuer, a published micro-credential,
an assessed attempt to decide on, the recipient of a submission."""

from typing import Any

from awardpath_award.catalog.schemas import MicroCredentialCreate
from awardpath_award.catalog.service import CatalogService
from awardpath_award.issuers.schemas import IssuerCreate
from awardpath_award.issuers.service import IssuerService
from awardpath_award.models import Issuer, MicroCredentialVersion
from awardpath_award.uow import AwardUnitOfWork
from awardpath_shared.events import AssessmentCompleted, RecipientIdentified
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.privacy import identity_hash
from awardpath_shared.rubrics import SectionResult


async def an_issuer(uow: AwardUnitOfWork, name: str = "Center for Educator Growth") -> Issuer:
    return await IssuerService(uow).create(
        IssuerCreate(name=name, url="https://growth.example.org", email="badges@growth.example.org")
    )


def a_definition(issuer_id: str, **overrides: Any) -> MicroCredentialCreate:
    fields = {
        "title": "Belonging and Caring Classroom Climate",
        "competency": "The educator creates a classroom climate where students feel they belong.",
        "key_method": "Student check-in circles",
        "issuer_id": issuer_id,
        "max_attempts": 3,
        "decision_policy": "manual",
        "sections": [
            {
                "id": "overview",
                "title": "Overview questions",
                "prompt": "Describe your classroom.",
                "levels": [{"id": "not_yet", "name": "Not yet"}, {"id": "proficient", "name": "Proficient"}],
                "passing_level": "proficient",
            }
        ],
    }
    return MicroCredentialCreate.model_validate(fields | overrides)


async def a_micro_credential(uow: AwardUnitOfWork, **overrides: Any) -> MicroCredentialVersion:
    issuer = await an_issuer(uow)
    return await CatalogService(uow).publish(issuer.id, a_definition(issuer.id, **overrides))


def an_assessment(
    published: MicroCredentialVersion,
    *,
    attempt: int = 1,
    recommendation: str = "award",
    submission_id: str | None = None,
) -> AssessmentCompleted:
    return AssessmentCompleted(
        review_id=new_id(),
        submission_id=submission_id or new_id(),
        attempt=attempt,
        micro_credential_id=published.micro_credential_id,
        micro_credential_version=published.version,
        sections=[SectionResult(section_id="overview", level="proficient", feedback="Clear routines.")],
        recommendation=recommendation,
        completed_at=utcnow(),
    )


def a_recipient(
    submission_id: str, email: str = "ada@school.example.org", platform_id: str = "platform-1"
) -> RecipientIdentified:
    return RecipientIdentified(
        submission_id=submission_id,
        platform_id=platform_id,
        identity_hash=identity_hash(email, "salt-1"),
        salt="salt-1",
        identified_at=utcnow(),
    )
