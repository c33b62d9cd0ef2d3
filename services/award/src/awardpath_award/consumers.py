"""The award service's handler map: which events it consumes and what each does.

Besides its own decisions and credentials, the award service follows the submission's status
from the events it can read, to tell the platform by webhook (ids and statuses only)."""

from functools import partial

from awardpath_award.credentials.service import CredentialService
from awardpath_award.decisions.service import DecisionService
from awardpath_award.recipients.service import RecipientService
from awardpath_award.settings import AwardSettings
from awardpath_award.uow import AwardUnitOfWork as UoW
from awardpath_award.webhooks.notifier import WebhookNotifier
from awardpath_shared.events import (
    AssessmentAssigned,
    AssessmentCompleted,
    AwardDecided,
    AwardGranted,
    DecisionOutcome,
    RecipientIdentified,
    SubmissionResubmitted,
)
from awardpath_shared.messaging.inbox import HandlerMap


async def on_assessment_completed(uow: UoW, event: AssessmentCompleted) -> None:
    await DecisionService(uow).record_assessment(event)
    notifier = WebhookNotifier(uow)
    notifier.feedback_available(event.submission_id, event.attempt)
    notifier.status_changed(event.submission_id, "awaiting_decision", event.attempt)


async def on_recipient_identified(uow: UoW, event: RecipientIdentified) -> None:
    await RecipientService(uow).record(event)
    WebhookNotifier(uow).status_changed(event.submission_id, "submitted", 1)


async def on_submission_resubmitted(uow: UoW, event: SubmissionResubmitted) -> None:
    WebhookNotifier(uow).status_changed(event.submission_id, "submitted", event.attempt)


async def on_assessment_assigned(uow: UoW, event: AssessmentAssigned) -> None:
    WebhookNotifier(uow).status_changed(event.submission_id, "in_review", event.attempt)


async def on_award_decided(uow: UoW, event: AwardDecided) -> None:
    notifier = WebhookNotifier(uow)
    notifier.status_changed(event.submission_id, event.outcome, event.attempt)
    if event.outcome == DecisionOutcome.DENIED:
        notifier.denied(event.submission_id, event.attempt)


async def on_award_granted(uow: UoW, event: AwardGranted, *, settings: AwardSettings) -> None:
    await CredentialService(uow, settings).issue(event)


def handlers(settings: AwardSettings) -> HandlerMap[UoW]:
    return {
        AssessmentCompleted: on_assessment_completed,
        RecipientIdentified: on_recipient_identified,
        SubmissionResubmitted: on_submission_resubmitted,
        AssessmentAssigned: on_assessment_assigned,
        AwardDecided: on_award_decided,
        AwardGranted: partial(on_award_granted, settings=settings),
    }
