"""Queries of the award service. Lists are keyset-paginated on time-ordered ids."""

from sqlalchemy import Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from awardpath_award.models import Award, Decision, Issuer, MicroCredential, MicroCredentialVersion


async def get_issuer(session: AsyncSession, issuer_id: str) -> Issuer | None:
    return await session.get(Issuer, issuer_id)


async def get_micro_credential_for_update(session: AsyncSession, micro_credential_id: str) -> MicroCredential | None:
    """The catalog entry, locked: concurrent publications of a new version queue up."""
    query = select(MicroCredential).where(MicroCredential.id == micro_credential_id).with_for_update()
    return await session.scalar(query)


async def get_version(
    session: AsyncSession, micro_credential_id: str, version: int | None = None
) -> MicroCredentialVersion | None:
    """One version of a micro-credential's definition; the latest when `version` is None."""
    if version is None:
        return await session.scalar(_latest_versions().where(MicroCredential.id == micro_credential_id))
    query = (
        select(MicroCredentialVersion)
        .where(
            MicroCredentialVersion.micro_credential_id == micro_credential_id,
            MicroCredentialVersion.version == version,
        )
        .options(joinedload(MicroCredentialVersion.micro_credential))
    )
    return await session.scalar(query)


async def list_latest_versions(
    session: AsyncSession, *, issuer_id: str | None, after: str | None, limit: int
) -> list[MicroCredentialVersion]:
    query = _latest_versions().order_by(MicroCredential.id).limit(limit)
    if issuer_id is not None:
        query = query.where(MicroCredential.issuer_id == issuer_id)
    if after is not None:
        query = query.where(MicroCredential.id > after)
    return list(await session.scalars(query))


def _latest_versions() -> Select[tuple[MicroCredentialVersion]]:
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


async def find_decision(session: AsyncSession, submission_id: str, attempt: int) -> Decision | None:
    query = select(Decision).where(Decision.submission_id == submission_id, Decision.attempt == attempt)
    return await session.scalar(query)


async def get_decision(session: AsyncSession, decision_id: str, *, for_update: bool = False) -> Decision | None:
    """A decision with its definition; `for_update` locks it so two deciders cannot both win."""
    query = select(Decision).where(Decision.id == decision_id).options(selectinload(Decision.definition))
    if for_update:
        query = query.with_for_update(of=Decision).execution_options(populate_existing=True)
    return await session.scalar(query)


async def list_decisions(
    session: AsyncSession, *, issuer_id: str, state: str | None, after: str | None, limit: int
) -> list[Decision]:
    query = (
        select(Decision)
        .where(Decision.issuer_id == issuer_id)
        .options(selectinload(Decision.definition))
        .order_by(Decision.id)
        .limit(limit)
    )
    if state is not None:
        query = query.where(Decision.state == state)
    if after is not None:
        query = query.where(Decision.id > after)
    return list(await session.scalars(query))


async def award_exists_for(session: AsyncSession, submission_id: str) -> bool:
    found = await session.scalar(select(Award.id).where(Award.submission_id == submission_id))
    return found is not None
