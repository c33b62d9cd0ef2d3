"""The assessment service's handler map: which events it consumes and what each does."""

from functools import partial

from awardpath_assessment.assignment.service import AssignmentService
from awardpath_assessment.rubrics.service import RubricService
from awardpath_assessment.settings import AssessmentSettings
from awardpath_assessment.uow import AssessmentUnitOfWork as UoW
from awardpath_shared.events import (
    AttemptSubmitted,
    MicroCredentialPublished,
    SubmissionResubmitted,
    SubmissionSubmitted,
    SubmissionWithdrawn,
)
from awardpath_shared.messaging.inbox import HandlerMap


async def on_micro_credential_published(uow: UoW, event: MicroCredentialPublished) -> None:
    await RubricService(uow).record(event)


async def on_attempt_submitted(uow: UoW, event: AttemptSubmitted, *, settings: AssessmentSettings) -> None:
    await AssignmentService(uow, settings).receive(event)


async def on_submission_withdrawn(uow: UoW, event: SubmissionWithdrawn, *, settings: AssessmentSettings) -> None:
    await AssignmentService(uow, settings).withdraw(event)


def handlers(settings: AssessmentSettings) -> HandlerMap[UoW]:
    return {
        MicroCredentialPublished: on_micro_credential_published,
        SubmissionSubmitted: partial(on_attempt_submitted, settings=settings),
        SubmissionResubmitted: partial(on_attempt_submitted, settings=settings),
        SubmissionWithdrawn: partial(on_submission_withdrawn, settings=settings),
    }
