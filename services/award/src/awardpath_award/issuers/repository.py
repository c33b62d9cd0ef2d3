from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award.issuers.models import Issuer
from awardpath_shared.db import keyset_page
from awardpath_shared.validation import is_wellformed_id


class IssuerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, issuer: Issuer) -> None:
        self.session.add(issuer)

    async def get(self, issuer_id: str) -> Issuer | None:
        if not is_wellformed_id(issuer_id):
            return None
        return await self.session.get(Issuer, issuer_id)

    async def list_issuers(self, *, after_id: str | None, limit: int) -> list[Issuer]:
        return list(await self.session.scalars(keyset_page(select(Issuer), Issuer.id, after_id, limit)))

    async def locked(self, issuer_id: str) -> Issuer | None:
        """The issuer, locked: key creation and rotation for one issuer queue up."""
        if not is_wellformed_id(issuer_id):
            return None
        return await self.session.scalar(select(Issuer).where(Issuer.id == issuer_id).with_for_update())
