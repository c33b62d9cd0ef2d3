"""Issuers of record: registered by an admin; their `id` is the subject of their issuer tokens."""

from awardpath_award.issuers.models import Issuer
from awardpath_award.issuers.schemas import IssuerCreate
from awardpath_award.uow import AwardUnitOfWork
from awardpath_shared.errors import NotFound
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.pagination import Paged, fetch_page


class IssuerService:
    def __init__(self, uow: AwardUnitOfWork) -> None:
        self.uow = uow

    async def create(self, request: IssuerCreate) -> Issuer:
        issuer = Issuer(id=new_id(), name=request.name, url=str(request.url), email=request.email, created_at=utcnow())
        self.uow.issuers.add(issuer)
        await self.uow.flush()
        return issuer

    async def list_issuers(self, *, cursor: str | None, limit: int) -> Paged[Issuer]:
        """Every issuer of record, oldest first."""
        return await fetch_page(
            lambda after, size: self.uow.issuers.list_issuers(after_id=after, limit=size),
            cursor=cursor,
            limit=limit,
            position=lambda issuer: issuer.id,
        )

    async def get(self, issuer_id: str) -> Issuer:
        issuer = await self.uow.issuers.get(issuer_id)
        if issuer is None:
            raise NotFound("issuer", issuer_id)
        return issuer
