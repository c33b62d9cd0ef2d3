from sqlalchemy import Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload

from awardpath_award.catalog.models import MicroCredential, MicroCredentialVersion
from awardpath_shared.db import keyset_page
from awardpath_shared.validation import is_wellformed_id


class CatalogRepository:
    """Micro-credentials and their versions. Lists are keyset-paginated on time-ordered ids."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, *rows: MicroCredential | MicroCredentialVersion) -> None:
        self.session.add_all(rows)

    async def entry_for_update(self, micro_credential_id: str) -> MicroCredential | None:
        """The catalog entry, locked: concurrent publications of a new version queue up."""
        if not is_wellformed_id(micro_credential_id):
            return None
        query = select(MicroCredential).where(MicroCredential.id == micro_credential_id).with_for_update()
        return await self.session.scalar(query)

    async def version(self, micro_credential_id: str, version: int | None = None) -> MicroCredentialVersion | None:
        """One version of a micro-credential's definition; the latest when `version` is None."""
        if not is_wellformed_id(micro_credential_id):
            return None
        if version is None:
            return await self.session.scalar(_latest_versions().where(MicroCredential.id == micro_credential_id))
        query = (
            select(MicroCredentialVersion)
            .where(
                MicroCredentialVersion.micro_credential_id == micro_credential_id,
                MicroCredentialVersion.version == version,
            )
            .options(joinedload(MicroCredentialVersion.micro_credential))
        )
        return await self.session.scalar(query)

    async def latest_versions(
        self, *, issuer_id: str | None, after: str | None, limit: int
    ) -> list[MicroCredentialVersion]:
        query = _latest_versions()
        if issuer_id is not None:
            query = query.where(MicroCredential.issuer_id == issuer_id)
        return list(await self.session.scalars(keyset_page(query, MicroCredential.id, after, limit)))


def _latest_versions() -> Select[MicroCredentialVersion]:
    return (
        select(MicroCredentialVersion)
        .join(
            MicroCredential,
            and_(
                MicroCredential.id == MicroCredentialVersion.micro_credential_id,
                MicroCredential.latest_version == MicroCredentialVersion.version,
            ),
        )
        .options(contains_eager(MicroCredentialVersion.micro_credential))
    )
