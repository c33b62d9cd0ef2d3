"""The award service's handler map: which events it consumes and what each does.

Besides its own decisions and credentials, the award service relays the submission service's
status changes and recorded feedback to the platform by webhook (ids and statuses only); it never derives a status."""

from functools import partial

from awardpath_award.credentials.service import CredentialService
from awardpath_award.decisions.service import DecisionService
from awardpath_award.recipients.service import RecipientService
from awardpath_award.settings import AwardSettings
from awardpath_award.uow import AwardUnitOfWork as UoW
from awardpath_award.webhooks.notifier import WebhookNotifier
from awardpath_shared.events import (
    AssessmentCompleted,
    AwardGranted,
    FeedbackRecorded,
    RecipientIdentified,
    SubmissionStatusChanged,
    SubmissionWithdrawn,
)
from awardpath_shared.messaging.inbox import HandlerMap


async def on_assessment_completed(uow: UoW, event: AssessmentCompleted) -> None:
    await DecisionService(uow).record_assessment(event)


async def on_recipient_identified(uow: UoW, event: RecipientIdentified) -> None:
    await RecipientService(uow).record(event)


async def on_submission_status_changed(uow: UoW, event: SubmissionStatusChanged) -> None:
    WebhookNotifier(uow).relay_status(event)


async def on_feedback_recorded(uow: UoW, event: FeedbackRecorded) -> None:
    WebhookNotifier(uow).feedback_available(event)


async def on_submission_withdrawn(uow: UoW, event: SubmissionWithdrawn, *, settings: AwardSettings) -> None:
    await DecisionService(uow).record_withdrawal(event)
    await CredentialService(uow, settings).revoke_withdrawn(event.submission_id)


async def on_award_granted(uow: UoW, event: AwardGranted, *, settings: AwardSettings) -> None:
    await CredentialService(uow, settings).issue(event)


def handlers(settings: AwardSettings) -> HandlerMap[UoW]:
    return {
        AssessmentCompleted: on_assessment_completed,
        RecipientIdentified: on_recipient_identified,
        SubmissionStatusChanged: on_submission_status_changed,
        FeedbackRecorded: on_feedback_recorded,
        SubmissionWithdrawn: partial(on_submission_withdrawn, settings=settings),
        AwardGranted: partial(on_award_granted, settings=settings),
    }
