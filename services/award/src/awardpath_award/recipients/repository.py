from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award.recipients.models import Recipient
from awardpath_shared.validation import is_wellformed_id


class RecipientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, recipient: Recipient) -> None:
        self.session.add(recipient)

    async def get(self, submission_id: str) -> Recipient | None:
        if not is_wellformed_id(submission_id):
            return None
        return await self.session.get(Recipient, submission_id)
