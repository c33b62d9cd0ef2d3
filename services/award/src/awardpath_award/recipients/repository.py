from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award.recipients.models import Recipient
from awardpath_shared.db import insert_unless_present
from awardpath_shared.validation import is_wellformed_id


class RecipientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_unless_present(self, values: dict[str, Any]) -> None:
        """One statement: the submission's recipient is recorded once."""
        await insert_unless_present(self.session, Recipient, values, ["submission_id"])

    async def get(self, submission_id: str) -> Recipient | None:
        if not is_wellformed_id(submission_id):
            return None
        return await self.session.get(Recipient, submission_id)
