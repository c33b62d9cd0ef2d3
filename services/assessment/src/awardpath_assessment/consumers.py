"""The assessment service's handler map: which events it consumes and what each does."""

from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_assessment.service import AssessmentService
from awardpath_assessment.settings import AssessmentSettings
from awardpath_shared.events import (
    AttemptSubmitted,
    MicroCredentialPublished,
    SubmissionResubmitted,
    SubmissionSubmitted,
)
from awardpath_shared.messaging.inbox import HandlerMap


def handlers(settings: AssessmentSettings) -> HandlerMap:
    def service(session: AsyncSession) -> AssessmentService:
        return AssessmentService(session, settings)

    async def on_micro_credential_published(session: AsyncSession, event: MicroCredentialPublished) -> None:
        await service(session).record_rubric(event)

    async def on_attempt_submitted(session: AsyncSession, event: AttemptSubmitted) -> None:
        await service(session).receive_attempt(event)

    return {
        MicroCredentialPublished: on_micro_credential_published,
        SubmissionSubmitted: on_attempt_submitted,
        SubmissionResubmitted: on_attempt_submitted,
    }
