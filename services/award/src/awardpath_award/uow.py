"""The award service's unit of work: its outbox and its repositories, one transaction."""

import zlib
from functools import cached_property

from awardpath_award.catalog.repository import CatalogRepository
from awardpath_award.credentials.repository import CredentialRepository
from awardpath_award.database import OutboxMessage
from awardpath_award.decisions.repository import DecisionRepository
from awardpath_award.issuers.repository import IssuerRepository
from awardpath_award.keys.repository import KeyRepository
from awardpath_award.recipients.repository import RecipientRepository
from awardpath_award.webhooks.repository import WebhookRepository
from awardpath_shared.db import take_advisory_lock
from awardpath_shared.unit_of_work import UnitOfWork

# Namespace of the PostgreSQL advisory locks on one submission (any fixed number).
SUBMISSION_LOCK_NAMESPACE = 4_127_002


class AwardUnitOfWork(UnitOfWork):
    outbox_model = OutboxMessage

    async def lock_submission(self, submission_id: str) -> None:
        """Make this transaction the only one, until it ends, acting on the submission's
        withdrawal, assessment or credential: events on different topics may be handled at
        once, and neither would see the other's uncommitted rows. SQLite's transactions
        already run one at a time."""
        key = zlib.crc32(submission_id.encode()) - 2**31  # the lock's int4 key
        await take_advisory_lock(self.session, SUBMISSION_LOCK_NAMESPACE, key)

    @cached_property
    def issuers(self) -> IssuerRepository:
        return IssuerRepository(self.session)

    @cached_property
    def catalog(self) -> CatalogRepository:
        return CatalogRepository(self.session)

    @cached_property
    def decisions(self) -> DecisionRepository:
        return DecisionRepository(self.session)

    @cached_property
    def keys(self) -> KeyRepository:
        return KeyRepository(self.session)

    @cached_property
    def recipients(self) -> RecipientRepository:
        return RecipientRepository(self.session)

    @cached_property
    def credentials(self) -> CredentialRepository:
        return CredentialRepository(self.session)

    @cached_property
    def webhooks(self) -> WebhookRepository:
        return WebhookRepository(self.session)
