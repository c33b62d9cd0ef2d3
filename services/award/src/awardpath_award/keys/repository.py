from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award.keys.models import IssuerKey
from awardpath_shared.validation import is_wellformed_id


class KeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, key: IssuerKey) -> None:
        self.session.add(key)

    async def active(self, issuer_id: str) -> IssuerKey | None:
        query = select(IssuerKey).where(IssuerKey.issuer_id == issuer_id, IssuerKey.retired_at.is_(None))
        return await self.session.scalar(query.order_by(IssuerKey.created_at.desc()))

    async def of_issuer(self, issuer_id: str) -> list[IssuerKey]:
        """Every key the issuer ever had, newest first."""
        query = select(IssuerKey).where(IssuerKey.issuer_id == issuer_id).order_by(IssuerKey.created_at.desc())
        return list(await self.session.scalars(query))

    async def by_multikey(self, public_key_multibase: str) -> IssuerKey | None:
        if not is_wellformed_id(public_key_multibase):
            return None  # no Multikey looks like this
        return await self.session.scalar(
            select(IssuerKey).where(IssuerKey.public_key_multibase == public_key_multibase)
        )

    async def every_key_locked(self) -> list[IssuerKey]:
        """Every issuer key, locked until the transaction ends (resealing after a rotation)."""
        return list(await self.session.scalars(select(IssuerKey).order_by(IssuerKey.id).with_for_update()))
