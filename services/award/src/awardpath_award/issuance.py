"""Credentials of awards: issuer keys, recipients, issuing once per award, the status list
and revocation. Functions flush, never commit: the request or event handler owns the
transaction, and staged events and webhook messages commit with it."""

import logging
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award import credentials, keys, repository, webhooks
from awardpath_award.models import (
    Award,
    Credential,
    IssuerKey,
    MicroCredentialVersion,
    OutboxMessage,
    Recipient,
    StatusList,
)
from awardpath_award.proofs import add_data_integrity_proof, encode_vc_jwt
from awardpath_award.settings import AwardSettings
from awardpath_shared.auth import forbidden
from awardpath_shared.events import AwardGranted, CredentialIssued, CredentialRevoked, RecipientIdentified
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.messaging.outbox import record_event
from awardpath_shared.problems import conflict, not_found

logger = logging.getLogger(__name__)


class RecipientNotYetKnown(LookupError):
    """The award's `recipient.identified` has not arrived yet; raised so the award is retried."""


@dataclass(frozen=True)
class Signer:
    """An issuer's active key, opened for signing."""

    key: IssuerKey
    private_key: Ed25519PrivateKey
    did: str

    @property
    def verification_method(self) -> str:
        return keys.verification_method_id(self.did, self.key.public_key_multibase)

    def sign(self, unsecured: dict[str, Any], created: str) -> dict[str, Any]:
        return add_data_integrity_proof(unsecured, self.private_key, self.verification_method, created)


# ---- issuer keys -----------------------------------------------------------------------


async def signer(session: AsyncSession, settings: AwardSettings, issuer_id: str) -> Signer:
    """The issuer's active key, made on first use (issuers get one key each, then rotate)."""
    key = await repository.active_key(session, issuer_id)
    if key is None:
        if await repository.lock_issuer(session, issuer_id) is None:
            raise not_found("issuer", issuer_id)
        key = await repository.active_key(session, issuer_id) or _new_key(session, settings, issuer_id)
        await session.flush()
    private_key = keys.unseal_private_key(key.sealed_private_key, settings.master_key, key.id)
    return Signer(key=key, private_key=private_key, did=keys.issuer_did(settings.public_url, issuer_id))


def _new_key(session: AsyncSession, settings: AwardSettings, issuer_id: str) -> IssuerKey:
    private_key = Ed25519PrivateKey.generate()
    key_id = new_id()
    key = IssuerKey(
        id=key_id,
        issuer_id=issuer_id,
        public_key_multibase=keys.multikey(private_key.public_key()),
        sealed_private_key=keys.seal_private_key(private_key, settings.master_key, key_id),
        created_at=utcnow(),
    )
    session.add(key)
    return key


async def rotate_key(session: AsyncSession, settings: AwardSettings, issuer_id: str) -> IssuerKey:
    """Retire the active key and make a new one; retired keys stay published."""
    if await repository.lock_issuer(session, issuer_id) is None:
        raise not_found("issuer", issuer_id)
    retiring = await repository.active_key(session, issuer_id)
    if retiring is not None:
        retiring.retired_at = utcnow()
    key = _new_key(session, settings, issuer_id)
    await session.flush()
    return key


async def did_document(session: AsyncSession, settings: AwardSettings, issuer_id: str) -> dict[str, Any]:
    published = await _published_keys(session, issuer_id)
    return keys.did_document(
        keys.issuer_did(settings.public_url, issuer_id), [key.public_key_multibase for key in published]
    )


async def jwks(session: AsyncSession, settings: AwardSettings, issuer_id: str) -> dict[str, Any]:
    did = keys.issuer_did(settings.public_url, issuer_id)
    published = await _published_keys(session, issuer_id)
    return {
        "keys": [
            keys.jwk(key.public_key_multibase, keys.verification_method_id(did, key.public_key_multibase))
            for key in published
        ]
    }


async def _published_keys(session: AsyncSession, issuer_id: str) -> list[IssuerKey]:
    if await repository.get_issuer(session, issuer_id) is None:
        raise not_found("issuer", issuer_id)
    return await repository.issuer_keys(session, issuer_id)


# ---- recipients ------------------------------------------------------------------------


async def record_recipient(session: AsyncSession, event: RecipientIdentified) -> None:
    if await session.get(Recipient, event.submission_id) is not None:
        return
    session.add(
        Recipient(
            submission_id=event.submission_id,
            platform_id=event.platform_id,
            identity_type=event.identity_type,
            identity_hash=event.identity_hash,
            salt=event.salt,
            identified_at=event.identified_at,
        )
    )
    await session.flush()


# ---- issuing ---------------------------------------------------------------------------


async def issue_credential(session: AsyncSession, settings: AwardSettings, event: AwardGranted) -> Credential:
    """Sign the award's OpenBadgeCredential, once per award (the unique award id backs this up).

    Waits for the recipient: raises RecipientNotYetKnown until `recipient.identified` is in,
    whichever of the two events arrived first."""
    existing = await repository.credential_for_award(session, event.award_id)
    if existing is not None:
        return existing
    recipient = await session.get(Recipient, event.submission_id)
    if recipient is None:
        raise RecipientNotYetKnown(f"no recipient for submission {event.submission_id} yet")
    award = await session.get(Award, event.award_id)
    definition = await repository.get_version(session, event.micro_credential_id, event.micro_credential_version)
    issuer = await repository.get_issuer(session, event.issuer_id)
    if award is None or definition is None or issuer is None:
        raise LookupError(f"award {event.award_id} or its definition or issuer is not recorded")
    active = await signer(session, settings, issuer.id)
    status_list, index = await _allocate_status_index(session, settings, active)
    urls = credentials.Urls(settings.public_url)
    credential_id = new_id()
    issued_at = utcnow()
    unsecured = credentials.open_badge_credential(
        credential_id=credential_id,
        award=award,
        definition=definition,
        issuer=issuer,
        did=active.did,
        recipient=recipient,
        status_list_url=urls.status_list(status_list.id),
        status_index=index,
        urls=urls,
    )
    credential = Credential(
        id=credential_id,
        award_id=award.id,
        submission_id=award.submission_id,
        issuer_id=issuer.id,
        key_id=active.key.id,
        status_list_id=status_list.id,
        status_list_index=index,
        document=active.sign(unsecured, credentials.iso(issued_at)),
        jwt=encode_vc_jwt(unsecured, active.private_key, active.verification_method, _jwt_claims(unsecured, issued_at)),
        issued_at=issued_at,
    )
    session.add(credential)
    record_event(
        session,
        OutboxMessage,
        CredentialIssued(
            credential_id=credential.id,
            credential_url=urls.credential(credential.id),
            award_id=award.id,
            submission_id=award.submission_id,
            issuer_id=issuer.id,
            issued_at=issued_at,
        ),
    )
    webhooks.notify(
        session,
        award.submission_id,
        "submission.awarded",
        {"award_id": award.id, "credential_id": credential.id, "credential_url": urls.credential(credential.id)},
    )
    await session.flush()
    return credential


def _jwt_claims(unsecured: dict[str, Any], issued_at) -> dict[str, Any]:
    return {
        "iss": unsecured["issuer"]["id"],
        "jti": unsecured["id"],
        "iat": int(issued_at.timestamp()),
        "nbf": int(issued_at.timestamp()),
    }


async def _allocate_status_index(
    session: AsyncSession, settings: AwardSettings, active: Signer
) -> tuple[StatusList, int]:
    """The next free index of the issuer's open status list (a new list when all are full)."""
    issuer_id = active.key.issuer_id
    status_list = await repository.open_status_list(session, issuer_id)
    if status_list is None:
        now = utcnow()
        status_list = StatusList(
            id=new_id(),
            issuer_id=issuer_id,
            size=settings.status_list_size,
            next_index=0,
            bits=bytes(settings.status_list_size // 8),
            updated_at=now,
        )
        _sign_status_list(status_list, settings, active)
        session.add(status_list)
        await session.flush()  # before the credential that refers to it
    index = status_list.next_index
    status_list.next_index += 1
    return status_list, index


def _sign_status_list(status_list: StatusList, settings: AwardSettings, active: Signer) -> None:
    url = credentials.Urls(settings.public_url).status_list(status_list.id)
    unsecured = credentials.status_list_credential(url, active.did, status_list.bits, status_list.updated_at)
    status_list.document = active.sign(unsecured, credentials.iso(status_list.updated_at))


# ---- revocation ------------------------------------------------------------------------


async def revoke(
    session: AsyncSession, settings: AwardSettings, caller_issuer_id: str, credential_id: str, reason: str
) -> Credential:
    """Set the credential's bit in its status list and re-sign the list; revoked once."""
    credential = await repository.get_credential(session, credential_id, for_update=True)
    if credential is None:
        raise not_found("credential", credential_id)
    if credential.issuer_id != caller_issuer_id:
        raise forbidden("only the credential's issuer can revoke it")
    if credential.revoked_at is not None:
        raise conflict("already-revoked", "Credential already revoked", f"credential {credential_id!r} was revoked")
    now = utcnow()
    credential.revoked_at = now
    credential.revocation_reason = reason
    status_list = await repository.get_status_list(session, credential.status_list_id, for_update=True)
    assert status_list is not None
    status_list.bits = credentials.with_bit_set(status_list.bits, credential.status_list_index)
    status_list.updated_at = now
    _sign_status_list(status_list, settings, await signer(session, settings, credential.issuer_id))
    record_event(
        session,
        OutboxMessage,
        CredentialRevoked(
            credential_id=credential.id, submission_id=credential.submission_id, reason=reason, revoked_at=now
        ),
    )
    webhooks.notify(session, credential.submission_id, "credential.revoked", {"credential_id": credential.id})
    await session.flush()
    return credential


# ---- reads -----------------------------------------------------------------------------


async def get_credential(session: AsyncSession, credential_id: str) -> Credential:
    credential = await repository.get_credential(session, credential_id)
    if credential is None:
        raise not_found("credential", credential_id)
    return credential


async def get_status_list(session: AsyncSession, status_list_id: str) -> StatusList:
    status_list = await repository.get_status_list(session, status_list_id)
    if status_list is None:
        raise not_found("status list", status_list_id)
    return status_list


async def definition_of(session: AsyncSession, micro_credential_id: str, version: int) -> MicroCredentialVersion:
    definition = await repository.get_version(session, micro_credential_id, version)
    if definition is None:
        raise not_found(f"micro-credential version {version}", micro_credential_id)
    return definition
