"""The submission service's handler map: which events it consumes and what each does."""

from awardpath_shared.events import (
    AssessmentAssigned,
    AssessmentCompleted,
    AwardDecided,
    CredentialIssued,
    CredentialRevoked,
    MicroCredentialPublished,
)
from awardpath_shared.messaging.inbox import HandlerMap
from awardpath_submission.catalog.service import CatalogService
from awardpath_submission.progress.service import ProgressService
from awardpath_submission.settings import SubmissionSettings
from awardpath_submission.uow import SubmissionUnitOfWork as UoW


async def on_micro_credential_published(uow: UoW, event: MicroCredentialPublished) -> None:
    await CatalogService(uow).record(event)


async def on_assessment_assigned(uow: UoW, event: AssessmentAssigned) -> None:
    await ProgressService(uow).record_assignment(event)


async def on_assessment_completed(uow: UoW, event: AssessmentCompleted) -> None:
    await ProgressService(uow).record_review(event)


async def on_award_decided(uow: UoW, event: AwardDecided) -> None:
    await ProgressService(uow).record_decision(event)


async def on_credential_issued(uow: UoW, event: CredentialIssued) -> None:
    await ProgressService(uow).record_credential(event)


async def on_credential_revoked(uow: UoW, event: CredentialRevoked) -> None:
    await ProgressService(uow).record_revocation(event)


def handlers(settings: SubmissionSettings) -> HandlerMap[UoW]:
    return {
        MicroCredentialPublished: on_micro_credential_published,
        AssessmentAssigned: on_assessment_assigned,
        AssessmentCompleted: on_assessment_completed,
        AwardDecided: on_award_decided,
        CredentialIssued: on_credential_issued,
        CredentialRevoked: on_credential_revoked,
    }
