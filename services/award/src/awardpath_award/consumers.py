"""Event handlers of the award service, as an explicit map of contract to handler.

Besides its own decisions, the award service follows the submission's status from the events
it can read, to tell the platform by webhook (ids and statuses only)."""

from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award import issuance, service, webhooks
from awardpath_award.settings import AwardSettings
from awardpath_shared.events import (
    AssessmentAssigned,
    AssessmentCompleted,
    AwardDecided,
    AwardGranted,
    RecipientIdentified,
    SubmissionResubmitted,
)
from awardpath_shared.messaging.inbox import HandlerMap


async def on_assessment_completed(session: AsyncSession, event: AssessmentCompleted) -> None:
    await service.record_assessment(session, event)
    webhooks.notify(session, event.submission_id, "submission.feedback_available", {"attempt": event.attempt})
    webhooks.status_changed(session, event.submission_id, "awaiting_decision", event.attempt)


async def on_recipient_identified(session: AsyncSession, event: RecipientIdentified) -> None:
    await issuance.record_recipient(session, event)
    webhooks.status_changed(session, event.submission_id, "submitted", 1)


async def on_submission_resubmitted(session: AsyncSession, event: SubmissionResubmitted) -> None:
    webhooks.status_changed(session, event.submission_id, "submitted", event.attempt)


async def on_assessment_assigned(session: AsyncSession, event: AssessmentAssigned) -> None:
    webhooks.status_changed(session, event.submission_id, "in_review", event.attempt)


async def on_award_decided(session: AsyncSession, event: AwardDecided) -> None:
    webhooks.status_changed(session, event.submission_id, event.outcome, event.attempt)
    if event.outcome == "denied":
        webhooks.notify(session, event.submission_id, "submission.denied", {"attempt": event.attempt})


def handlers(settings: AwardSettings) -> HandlerMap:
    async def on_award_granted(session: AsyncSession, event: AwardGranted) -> None:
        await issuance.issue_credential(session, settings, event)

    return {
        AssessmentCompleted: on_assessment_completed,
        RecipientIdentified: on_recipient_identified,
        SubmissionResubmitted: on_submission_resubmitted,
        AssessmentAssigned: on_assessment_assigned,
        AwardDecided: on_award_decided,
        AwardGranted: on_award_granted,
    }
