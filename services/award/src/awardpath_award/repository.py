"""Queries of the award service. Lists are keyset-paginated on time-ordered ids."""

from sqlalchemy import Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from awardpath_award.models import (
    Award,
    Credential,
    Decision,
    Issuer,
    IssuerKey,
    MicroCredential,
    MicroCredentialVersion,
    StatusList,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


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


# ---- credentials -----------------------------------------------------------------------


async def lock_issuer(session: AsyncSession, issuer_id: str) -> Issuer | None:
    """The issuer, locked: key creation and rotation for one issuer queue up."""
    return await session.scalar(select(Issuer).where(Issuer.id == issuer_id).with_for_update())


async def active_key(session: AsyncSession, issuer_id: str) -> IssuerKey | None:
    query = select(IssuerKey).where(IssuerKey.issuer_id == issuer_id, IssuerKey.retired_at.is_(None))
    return await session.scalar(query.order_by(IssuerKey.created_at.desc()))


async def issuer_keys(session: AsyncSession, issuer_id: str) -> list[IssuerKey]:
    """Every key the issuer ever had, newest first."""
    query = select(IssuerKey).where(IssuerKey.issuer_id == issuer_id).order_by(IssuerKey.created_at.desc())
    return list(await session.scalars(query))


async def key_by_multikey(session: AsyncSession, public_key_multibase: str) -> IssuerKey | None:
    return await session.scalar(select(IssuerKey).where(IssuerKey.public_key_multibase == public_key_multibase))


async def open_status_list(session: AsyncSession, issuer_id: str) -> StatusList | None:
    """The issuer's status list with room left, locked so two issuances never share an index."""
    query = (
        select(StatusList)
        .where(StatusList.issuer_id == issuer_id, StatusList.next_index < StatusList.size)
        .order_by(StatusList.id)
        .limit(1)
        .with_for_update()
    )
    return await session.scalar(query)


async def get_status_list(session: AsyncSession, status_list_id: str, *, for_update: bool = False) -> StatusList | None:
    query = select(StatusList).where(StatusList.id == status_list_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def credential_for_award(session: AsyncSession, award_id: str) -> Credential | None:
    return await session.scalar(select(Credential).where(Credential.award_id == award_id))


async def get_credential(session: AsyncSession, credential_id: str, *, for_update: bool = False) -> Credential | None:
    query = select(Credential).where(Credential.id == credential_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


# ---- webhooks --------------------------------------------------------------------------


async def list_webhook_endpoints(
    session: AsyncSession, platform_id: str, *, after: str | None, limit: int
) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.platform_id == platform_id)
    if after is not None:
        query = query.where(WebhookEndpoint.id > after)
    return list(await session.scalars(query.order_by(WebhookEndpoint.id).limit(limit)))


async def list_deliveries(
    session: AsyncSession, endpoint_id: str, *, state: str | None, after: str | None, limit: int
) -> list[WebhookDelivery]:
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .options(selectinload(WebhookDelivery.message))
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    if state is not None:
        query = query.where(WebhookDelivery.state == state)
    if after is not None:
        query = query.where(WebhookDelivery.id > after)
    return list(await session.scalars(query))


async def get_delivery(session: AsyncSession, delivery_id: str, *, for_update: bool = False) -> WebhookDelivery | None:
    query = (
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).options(selectinload(WebhookDelivery.message))
    )
    if for_update:
        query = query.with_for_update(of=WebhookDelivery).execution_options(populate_existing=True)
    return await session.scalar(query)


async def delivery_attempts(session: AsyncSession, delivery_id: str) -> list[WebhookAttempt]:
    query = select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id).order_by(WebhookAttempt.id)
    return list(await session.scalars(query))
