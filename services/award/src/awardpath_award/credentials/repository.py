from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award.credentials.models import Credential, StatusList
from awardpath_shared.db import keyset_page
from awardpath_shared.validation import is_wellformed_id


class CredentialRepository:
    """Credentials and status lists; the locking reads keep issuance and revocation serial."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: Credential | StatusList) -> None:
        self.session.add(row)

    async def for_award(self, award_id: str) -> Credential | None:
        return await self.session.scalar(select(Credential).where(Credential.award_id == award_id))

    async def for_submission(self, submission_id: str) -> Credential | None:
        return await self.session.scalar(select(Credential).where(Credential.submission_id == submission_id))

    async def issued_by(self, issuer_id: str, *, after_id: str | None, limit: int) -> list[Credential]:
        query = select(Credential).where(Credential.issuer_id == issuer_id)
        return list(await self.session.scalars(keyset_page(query, Credential.id, after_id, limit)))

    async def get(self, credential_id: str, *, for_update: bool = False) -> Credential | None:
        if not is_wellformed_id(credential_id):
            return None
        query = select(Credential).where(Credential.id == credential_id)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(query)

    async def open_status_list(self, issuer_id: str) -> StatusList | None:
        """The issuer's status list with room left, locked so two issuances never share an index."""
        query = (
            select(StatusList)
            .where(StatusList.issuer_id == issuer_id, StatusList.next_index < StatusList.size)
            .order_by(StatusList.id)
            .limit(1)
            .with_for_update()
        )
        return await self.session.scalar(query)

    async def status_list(self, status_list_id: str, *, for_update: bool = False) -> StatusList | None:
        if not is_wellformed_id(status_list_id):
            return None
        query = select(StatusList).where(StatusList.id == status_list_id)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(query)
