"""The submission service's handler map: which events it consumes and what each does."""

from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_shared.events import (
    AssessmentAssigned,
    AssessmentCompleted,
    AwardDecided,
    CredentialIssued,
    CredentialRevoked,
    MicroCredentialPublished,
)
from awardpath_shared.messaging.inbox import HandlerMap
from awardpath_submission.service import SubmissionService
from awardpath_submission.settings import SubmissionSettings


def handlers(settings: SubmissionSettings) -> HandlerMap:
    def service(session: AsyncSession) -> SubmissionService:
        return SubmissionService(session, settings)

    async def on_micro_credential_published(session: AsyncSession, event: MicroCredentialPublished) -> None:
        await service(session).record_catalog_entry(event)

    async def on_assessment_assigned(session: AsyncSession, event: AssessmentAssigned) -> None:
        await service(session).mark_assigned(event)

    async def on_assessment_completed(session: AsyncSession, event: AssessmentCompleted) -> None:
        await service(session).record_review(event)

    async def on_award_decided(session: AsyncSession, event: AwardDecided) -> None:
        await service(session).apply_decision(event)

    async def on_credential_issued(session: AsyncSession, event: CredentialIssued) -> None:
        await service(session).record_credential(event)

    async def on_credential_revoked(session: AsyncSession, event: CredentialRevoked) -> None:
        await service(session).record_revocation(event)

    return {
        MicroCredentialPublished: on_micro_credential_published,
        AssessmentAssigned: on_assessment_assigned,
        AssessmentCompleted: on_assessment_completed,
        AwardDecided: on_award_decided,
        CredentialIssued: on_credential_issued,
        CredentialRevoked: on_credential_revoked,
    }
