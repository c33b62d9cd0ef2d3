"""What platforms are told by webhook: a message staged in the transaction of the change it
reports (or of the event relayed), keyed by submission; the delivery worker fans it out once
the submission's platform is known, in the order the messages were made. Statuses are the
submission service's (`submission.status_changed` events), relayed as they come: a
submission's come in its timeline's order. Payloads are ids and statuses only."""

from typing import Any

from awardpath_award.uow import AwardUnitOfWork
from awardpath_award.webhooks.models import WebhookEventType, WebhookMessage
from awardpath_shared.events import FeedbackRecorded, SubmissionStatusChanged
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.vocabulary import SubmissionStatus


class WebhookNotifier:
    def __init__(self, uow: AwardUnitOfWork) -> None:
        self.uow = uow

    def relay_status(self, change: SubmissionStatusChanged) -> None:
        """A status change as the submission service recorded it (with its `sequence`), and
        right after a final denial what it means: `submission.denied`."""
        data = {"status": change.status.value, "attempt": change.attempt, "sequence": change.sequence}
        self._notify(change.submission_id, WebhookEventType.STATUS_CHANGED, data)
        if change.status == SubmissionStatus.DENIED:
            self._notify(change.submission_id, WebhookEventType.DENIED, {"attempt": change.attempt})

    def feedback_available(self, recorded: FeedbackRecorded) -> None:
        """The feedback is stored with the submission: a platform reading it now finds it."""
        self._notify(recorded.submission_id, WebhookEventType.FEEDBACK_AVAILABLE, {"attempt": recorded.attempt})

    def awarded(self, submission_id: str, award_id: str, credential_id: str, credential_url: str) -> None:
        self._notify(
            submission_id,
            WebhookEventType.AWARDED,
            {"award_id": award_id, "credential_id": credential_id, "credential_url": credential_url},
        )

    def revoked(self, submission_id: str, credential_id: str) -> None:
        self._notify(submission_id, WebhookEventType.CREDENTIAL_REVOKED, {"credential_id": credential_id})

    def _notify(self, submission_id: str, event_type: WebhookEventType, data: dict[str, Any]) -> None:
        self.uow.webhooks.add(
            WebhookMessage(
                id="msg_" + new_id().replace("-", ""),
                submission_id=submission_id,
                event_type=event_type,
                data={"submission_id": submission_id, **data},
                created_at=utcnow(),
            )
        )
