"""Credentials of awards: signed once per award (Data Integrity and VC-JWT), read by anyone,
revoked by their issuer through the status list; and hosted as Open Badges 2.0 documents for
older displayers (the Assertion of a credential, the BadgeClass of a micro-credential version,
its Issuer, a badge image)."""

import logging
from datetime import datetime
from typing import Any

from awardpath_award.catalog.service import CatalogService
from awardpath_award.credentials import documents, ob2
from awardpath_award.credentials.models import Credential, StatusList
from awardpath_award.credentials.proofs import add_data_integrity_proof, encode_vc_jwt
from awardpath_award.credentials.status_lists import status_list_credential
from awardpath_award.credentials.timestamps import iso
from awardpath_award.credentials.urls import Urls
from awardpath_award.issuers.service import IssuerService
from awardpath_award.keys.service import KeyService, Signer
from awardpath_award.settings import AwardSettings
from awardpath_award.uow import AwardUnitOfWork
from awardpath_award.webhooks.notifier import WebhookNotifier
from awardpath_shared.errors import Forbidden, NotFound
from awardpath_shared.events import AwardGranted, CredentialIssued, CredentialRevoked
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.pagination import Paged, fetch_page

logger = logging.getLogger(__name__)

WITHDRAWN_REASON = "The submission was withdrawn before this award reached it."


class RecipientNotYetKnown(LookupError):
    """The award's `recipient.identified` has not arrived yet (another topic): raised so the
    award is tried again, and dead-lettered for an operator to replay if it never comes."""


class CredentialService:
    """The credential of an award through its life: issued once, read, revoked."""

    def __init__(self, uow: AwardUnitOfWork, settings: AwardSettings) -> None:
        self.uow = uow
        self.settings = settings
        self.urls = Urls(settings.public_url)
        self.keys = KeyService(uow, settings)
        self.notifier = WebhookNotifier(uow)

    async def issue(self, event: AwardGranted) -> Credential | None:
        """Sign the award's OpenBadgeCredential, once per award (the unique award id backs this up).

        Waits for the recipient: raises RecipientNotYetKnown until `recipient.identified` is in,
        whichever of the two events arrived first. None for a submission withdrawn meanwhile
        (the platform withdrew it before the decision reached the submission service)."""
        await self.uow.lock_submission(event.submission_id)
        existing = await self.uow.credentials.for_award(event.award_id)
        if existing is not None:
            return existing
        if await self.uow.decisions.withdrawal(event.submission_id) is not None:
            logger.warning("award %s not issued: submission %s was withdrawn", event.award_id, event.submission_id)
            return None
        recipient = await self.uow.recipients.get(event.submission_id)
        if recipient is None:
            raise RecipientNotYetKnown(f"no recipient for submission {event.submission_id} yet")
        award = await self.uow.decisions.award(event.award_id)
        definition = await self.uow.catalog.version(event.micro_credential_id, event.micro_credential_version)
        issuer = await self.uow.issuers.get(event.issuer_id)
        if award is None or definition is None or issuer is None:
            raise LookupError(f"award {event.award_id} or its definition or issuer is not recorded")
        signer = await self.keys.signer(issuer.id)
        status_list, index = await self._allocate_status_index(signer)
        credential_id = new_id()
        issued_at = utcnow()
        unsecured = documents.open_badge_credential(
            credential_id=credential_id,
            award=award,
            definition=definition,
            issuer=issuer,
            did=signer.did,
            recipient=recipient,
            status_list_url=self.urls.status_list(status_list.id),
            status_index=index,
            urls=self.urls,
        )
        credential = Credential(
            id=credential_id,
            award_id=award.id,
            submission_id=award.submission_id,
            issuer_id=issuer.id,
            key_id=signer.key.id,
            status_list_id=status_list.id,
            status_list_index=index,
            document=_signed(signer, unsecured, issued_at),
            jwt=encode_vc_jwt(
                unsecured,
                signer.private_key,
                signer.verification_method,
                documents.jwt_claims(unsecured, issued_at),
            ),
            issued_at=issued_at,
        )
        self.uow.credentials.add(credential)
        credential_url = self.urls.credential(credential.id)
        self.uow.publish(
            CredentialIssued(
                credential_id=credential.id,
                credential_url=credential_url,
                award_id=award.id,
                submission_id=award.submission_id,
                issuer_id=issuer.id,
                issued_at=issued_at,
            )
        )
        self.notifier.awarded(award.submission_id, award.id, credential.id, credential_url)
        await self.uow.flush()
        return credential

    async def revoke(self, caller_issuer_id: str, credential_id: str, reason: str) -> Credential:
        """Set the credential's bit in its status list and re-sign the list; revoked once."""
        credential = await self.uow.credentials.get(credential_id, for_update=True)
        if credential is None:
            raise NotFound("credential", credential_id)
        if credential.issuer_id != caller_issuer_id:
            raise Forbidden("only the credential's issuer can revoke it")
        now = utcnow()
        credential.revoke(reason, now)
        status_list = await self.uow.credentials.status_list(credential.status_list_id, for_update=True)
        assert status_list is not None  # a foreign key
        status_list.set_bit(credential.status_list_index, now)
        self._sign_status_list(status_list, await self.keys.signer(credential.issuer_id))
        self.uow.publish(
            CredentialRevoked(
                credential_id=credential.id, submission_id=credential.submission_id, reason=reason, revoked_at=now
            )
        )
        self.notifier.revoked(credential.submission_id, credential.id)
        await self.uow.flush()
        return credential

    async def revoke_withdrawn(self, submission_id: str) -> None:
        """A credential issued for a submission its platform withdrew before the award reached
        the submission service (the withdrawal is final there) is revoked, saying so."""
        await self.uow.lock_submission(submission_id)
        credential = await self.uow.credentials.for_submission(submission_id)
        if credential is not None and credential.revoked_at is None:
            logger.warning("revoking credential %s: submission %s was withdrawn", credential.id, submission_id)
            await self.revoke(credential.issuer_id, credential.id, WITHDRAWN_REASON)

    async def issued_by(self, issuer_id: str, *, cursor: str | None, limit: int) -> Paged[Credential]:
        """The issuer's credentials, oldest first, revoked ones included."""
        return await fetch_page(
            lambda after, size: self.uow.credentials.issued_by(issuer_id, after_id=after, limit=size),
            cursor=cursor,
            limit=limit,
            position=lambda credential: credential.id,
        )

    async def get(self, credential_id: str) -> Credential:
        credential = await self.uow.credentials.get(credential_id)
        if credential is None:
            raise NotFound("credential", credential_id)
        return credential

    async def status_list(self, status_list_id: str) -> StatusList:
        status_list = await self.uow.credentials.status_list(status_list_id)
        if status_list is None:
            raise NotFound("status list", status_list_id)
        return status_list

    async def _allocate_status_index(self, signer: Signer) -> tuple[StatusList, int]:
        """The next free index of the issuer's open status list (a new list when all are full)."""
        issuer_id = signer.key.issuer_id
        status_list = await self.uow.credentials.open_status_list(issuer_id)
        if status_list is None:
            status_list = StatusList(
                id=new_id(),
                issuer_id=issuer_id,
                size=self.settings.status_list_size,
                next_index=0,
                bits=bytes(self.settings.status_list_size // 8),
                updated_at=utcnow(),
            )
            self._sign_status_list(status_list, signer)
            self.uow.credentials.add(status_list)
            await self.uow.flush()  # before the credential that refers to it
        return status_list, status_list.take_index()

    def _sign_status_list(self, status_list: StatusList, signer: Signer) -> None:
        url = self.urls.status_list(status_list.id)
        unsecured = status_list_credential(url, signer.did, status_list.bits, status_list.updated_at)
        status_list.document = _signed(signer, unsecured, status_list.updated_at)


class HostedBadgeService:
    """The Open Badges 2.0 documents older displayers fetch by URL."""

    def __init__(self, uow: AwardUnitOfWork, settings: AwardSettings) -> None:
        self.uow = uow
        self.urls = Urls(settings.public_url)

    async def assertion(self, credential_id: str) -> dict[str, Any]:
        """The Assertion of a credential (only `revoked: true` and why, once revoked)."""
        credential = await self.uow.credentials.get(credential_id)
        if credential is None:
            raise NotFound("credential", credential_id)
        award = await self.uow.decisions.award(credential.award_id)
        recipient = await self.uow.recipients.get(credential.submission_id)
        assert award is not None and recipient is not None  # a credential is issued for both
        return ob2.assertion(credential, award, recipient, self.urls)

    async def badge_class(self, micro_credential_id: str, version: int) -> dict[str, Any]:
        return ob2.badge_class(await CatalogService(self.uow).get(micro_credential_id, version), self.urls)

    async def badge_image(self, micro_credential_id: str, version: int) -> str:
        return ob2.badge_image_svg((await CatalogService(self.uow).get(micro_credential_id, version)).title)

    async def issuer(self, issuer_id: str) -> dict[str, Any]:
        return ob2.issuer(await IssuerService(self.uow).get(issuer_id), self.urls)


def _signed(signer: Signer, unsecured: dict[str, Any], created: datetime) -> dict[str, Any]:
    """`unsecured` with the signer's Data Integrity proof."""
    return add_data_integrity_proof(unsecured, signer.private_key, signer.verification_method, iso(created))
