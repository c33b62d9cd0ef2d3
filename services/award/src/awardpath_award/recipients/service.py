"""Recipients: the earner of each submission as a credential names them, and the platform
that made it (for its webhooks), from `recipient.identified`."""

from awardpath_award.uow import AwardUnitOfWork
from awardpath_shared.events import RecipientIdentified


class RecipientService:
    def __init__(self, uow: AwardUnitOfWork) -> None:
        self.uow = uow

    async def record(self, event: RecipientIdentified) -> None:
        """Once per submission: a later copy of the event changes nothing."""
        await self.uow.recipients.add_unless_present(
            {
                "submission_id": event.submission_id,
                "platform_id": event.platform_id,
                "identity_type": event.identity_type,
                "identity_hash": event.identity_hash,
                "salt": event.salt,
                "identified_at": event.identified_at,
            }
        )
