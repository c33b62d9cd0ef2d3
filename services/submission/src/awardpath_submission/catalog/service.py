"""The catalog read model: what a platform may submit for, and against which rubric."""

from awardpath_shared.errors import Invalid
from awardpath_shared.events import MicroCredentialPublished
from awardpath_submission.catalog.models import MicroCredential
from awardpath_submission.uow import SubmissionUnitOfWork


class CatalogService:
    def __init__(self, uow: SubmissionUnitOfWork) -> None:
        self.uow = uow

    async def record(self, event: MicroCredentialPublished) -> None:
        entry = await self.uow.catalog.get(event.micro_credential_id)
        if entry is not None and entry.version >= event.version:
            return  # an older version arriving late never replaces a newer one
        if entry is None:
            entry = MicroCredential(id=event.micro_credential_id)
            self.uow.catalog.add(entry)
        entry.version = event.version
        entry.issuer_id = event.issuer_id
        entry.title = event.title
        entry.max_attempts = event.max_attempts
        entry.restart_after_days = event.restart_after_days
        entry.sections = event.sections
        entry.published_at = event.published_at
        await self.uow.flush()

    async def published(self, micro_credential_id: str) -> MicroCredential:
        """The micro-credential, or Invalid when it is not (yet) published here."""
        entry = await self.uow.catalog.get(micro_credential_id)
        if entry is None:
            raise Invalid(
                "unknown-micro-credential",
                "Unknown micro-credential",
                f"no published micro-credential with id {micro_credential_id!r}",
            )
        return entry
