from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_shared.validation import is_wellformed_id
from awardpath_submission.catalog.models import MicroCredential


class CatalogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, micro_credential_id: str) -> MicroCredential | None:
        if not is_wellformed_id(micro_credential_id):
            return None
        return await self.session.get(MicroCredential, micro_credential_id)

    def add(self, entry: MicroCredential) -> None:
        self.session.add(entry)
