"""The catalog: issuers publish micro-credentials, every publication a new immutable
version; anyone reads the latest version or an exact one."""

from awardpath_award.catalog.models import MicroCredential, MicroCredentialVersion
from awardpath_award.catalog.schemas import MicroCredentialCreate
from awardpath_award.uow import AwardUnitOfWork
from awardpath_shared.errors import Forbidden, Invalid, NotFound
from awardpath_shared.events import MicroCredentialPublished
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.pagination import Paged, fetch_page


class CatalogService:
    def __init__(self, uow: AwardUnitOfWork) -> None:
        self.uow = uow

    async def publish(self, caller_issuer_id: str, definition: MicroCredentialCreate) -> MicroCredentialVersion:
        """Publish a new micro-credential as version 1."""
        await self._ensure_may_publish_as(caller_issuer_id, definition.issuer_id)
        entry = MicroCredential(id=new_id(), issuer_id=definition.issuer_id, latest_version=0, created_at=utcnow())
        self.uow.catalog.add(entry)
        return await self._publish_version(entry, definition)

    async def publish_version(
        self, caller_issuer_id: str, micro_credential_id: str, definition: MicroCredentialCreate
    ) -> MicroCredentialVersion:
        """Publish the next version of an existing micro-credential; earlier versions stay."""
        entry = await self.uow.catalog.entry_for_update(micro_credential_id)
        if entry is None:
            raise NotFound("micro-credential", micro_credential_id)
        if entry.issuer_id != caller_issuer_id:
            raise Forbidden("only the micro-credential's issuer can publish a new version of it")
        await self._ensure_may_publish_as(caller_issuer_id, definition.issuer_id)
        return await self._publish_version(entry, definition)

    async def get(self, micro_credential_id: str, version: int | None = None) -> MicroCredentialVersion:
        """The latest version, or the exact `version`."""
        published = await self.uow.catalog.version(micro_credential_id, version)
        if published is None:
            what = "micro-credential" if version is None else f"micro-credential version {version}"
            raise NotFound(what, micro_credential_id)
        return published

    async def list_latest(
        self, *, issuer_id: str | None, cursor: str | None, limit: int
    ) -> Paged[MicroCredentialVersion]:
        """The latest version of each micro-credential, oldest entry first."""
        return await fetch_page(
            lambda after, size: self.uow.catalog.latest_versions(issuer_id=issuer_id, after=after, limit=size),
            cursor=cursor,
            limit=limit,
            position=lambda item: item.micro_credential_id,
        )

    async def _ensure_may_publish_as(self, caller_issuer_id: str, issuer_id: str) -> None:
        if issuer_id != caller_issuer_id:
            raise Forbidden("issuer_id must be the issuer the token was issued to")
        if await self.uow.issuers.get(issuer_id) is None:
            raise Invalid("unknown-issuer", "Unknown issuer", f"no issuer with id {issuer_id!r}")

    async def _publish_version(
        self, entry: MicroCredential, definition: MicroCredentialCreate
    ) -> MicroCredentialVersion:
        entry.latest_version += 1
        published = MicroCredentialVersion(
            micro_credential_id=entry.id,
            version=entry.latest_version,
            title=definition.title,
            competency=definition.competency,
            key_method=definition.key_method,
            max_attempts=definition.max_attempts,
            restart_after_days=definition.restart_after_days,
            decision_policy=definition.decision_policy,
            turnaround_business_days=definition.turnaround_business_days,
            sections=definition.rubric(),
            published_at=utcnow(),
        )
        published.micro_credential = entry
        self.uow.catalog.add(published)
        self.uow.publish(
            MicroCredentialPublished(
                micro_credential_id=entry.id,
                version=published.version,
                issuer_id=entry.issuer_id,
                title=published.title,
                competency=published.competency,
                key_method=published.key_method,
                max_attempts=published.max_attempts,
                restart_after_days=published.restart_after_days,
                decision_policy=published.decision_policy,
                turnaround_business_days=published.turnaround_business_days,
                sections=published.sections,
                published_at=published.published_at,
            )
        )
        await self.uow.flush()
        return published
