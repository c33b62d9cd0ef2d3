"""Issuer signing keys: one active Ed25519 key per issuer, made on first use, rotated on
request; every key stays published (did:web document, JWKS) so earlier credentials keep
verifying. Verifiers resolve verification methods to keys here, offline."""

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from awardpath_award.keys import did, encodings, sealing
from awardpath_award.keys.models import IssuerKey
from awardpath_award.settings import AwardSettings
from awardpath_award.uow import AwardUnitOfWork
from awardpath_shared.errors import Forbidden, NotFound
from awardpath_shared.ids import new_id, utcnow


@dataclass(frozen=True)
class PublishedKey:
    """An issuer key as verifiers find it: a verification method of the issuer's did:web."""

    key: IssuerKey
    did: str

    @property
    def id(self) -> str:
        return self.key.id

    @property
    def public_key_multibase(self) -> str:
        return self.key.public_key_multibase

    @property
    def created_at(self) -> datetime:
        return self.key.created_at

    @property
    def retired_at(self) -> datetime | None:
        return self.key.retired_at

    @property
    def verification_method(self) -> str:
        return did.verification_method_id(self.did, self.key.public_key_multibase)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return encodings.public_key_from_multikey(self.key.public_key_multibase)


@dataclass(frozen=True)
class Signer(PublishedKey):
    """An issuer's active key, opened for signing."""

    private_key: Ed25519PrivateKey


@dataclass(frozen=True)
class Resealed:
    """How many sealed values `reseal_all` moved to the current master key."""

    issuer_keys: int
    webhook_secrets: int


class KeyService:
    def __init__(self, uow: AwardUnitOfWork, settings: AwardSettings) -> None:
        self.uow = uow
        self.settings = settings

    def did_of(self, issuer_id: str) -> str:
        return did.issuer_did(self.settings.public_url, issuer_id)

    async def signer(self, issuer_id: str) -> Signer:
        """The issuer's active key, made on first use (issuers get one key each, then rotate)."""
        key = await self.uow.keys.active(issuer_id)
        if key is None:
            if await self.uow.issuers.locked(issuer_id) is None:
                raise NotFound("issuer", issuer_id)
            key = await self.uow.keys.active(issuer_id) or self._new_key(issuer_id)
            await self.uow.flush()
        private_key = sealing.unseal_private_key(key.sealed_private_key, self.settings.master_keys, key.id)
        return Signer(key=key, did=self.did_of(issuer_id), private_key=private_key)

    async def rotate(self, issuer_id: str, *, acting_issuer_id: str | None) -> PublishedKey:
        """Retire the active key and make a new one; retired keys stay published. An issuer
        (`acting_issuer_id`) rotates only its own key; an admin (None) any issuer's."""
        if acting_issuer_id is not None and acting_issuer_id != issuer_id:
            raise Forbidden("an issuer can rotate only its own key")
        if await self.uow.issuers.locked(issuer_id) is None:
            raise NotFound("issuer", issuer_id)
        retiring = await self.uow.keys.active(issuer_id)
        if retiring is not None:
            retiring.retired_at = utcnow()
        key = self._new_key(issuer_id)
        await self.uow.flush()
        return PublishedKey(key=key, did=self.did_of(issuer_id))

    async def did_document(self, issuer_id: str) -> dict[str, Any]:
        published = await self._published(issuer_id)
        return did.did_document(self.did_of(issuer_id), [item.public_key_multibase for item in published])

    async def jwks(self, issuer_id: str) -> dict[str, Any]:
        published = await self._published(issuer_id)
        return {"keys": [encodings.jwk(item.public_key_multibase, item.verification_method) for item in published]}

    async def resolve(self, verification_method: str) -> PublishedKey | None:
        """The key a verification method names, if it is a key of one of this service's
        issuers under its did:web (other DIDs are not resolved: nothing is fetched)."""
        method_did, _, fragment = verification_method.partition("#")
        key = await self.uow.keys.by_multikey(fragment) if fragment else None
        if key is None or self.did_of(key.issuer_id) != method_did:
            return None
        return PublishedKey(key=key, did=method_did)

    async def _published(self, issuer_id: str) -> list[PublishedKey]:
        if await self.uow.issuers.get(issuer_id) is None:
            raise NotFound("issuer", issuer_id)
        issuer_did = self.did_of(issuer_id)
        return [PublishedKey(key=key, did=issuer_did) for key in await self.uow.keys.of_issuer(issuer_id)]

    async def reseal_all(self) -> Resealed:
        """After a master key rotation: seal every secret at rest (issuer private keys,
        webhook secrets) under the current master key. Values under it already are left as
        they are, so running it again changes nothing; once it has run, the previous keys
        can be removed from the settings."""
        keys = self.settings.master_keys
        issuer_keys = 0
        for key in await self.uow.keys.every_key_locked():
            if (resealed := sealing.reseal(key.sealed_private_key, keys, key.id)) is not None:
                key.sealed_private_key = resealed
                issuer_keys += 1
        webhook_secrets = 0
        for endpoint in await self.uow.webhooks.every_endpoint_locked():
            webhook_secrets += endpoint.reseal(partial(sealing.reseal, master_keys=keys, bound_to=endpoint.id))
        await self.uow.flush()
        return Resealed(issuer_keys=issuer_keys, webhook_secrets=webhook_secrets)

    def _new_key(self, issuer_id: str) -> IssuerKey:
        private_key = Ed25519PrivateKey.generate()
        key_id = new_id()
        key = IssuerKey(
            id=key_id,
            issuer_id=issuer_id,
            public_key_multibase=encodings.multikey(private_key.public_key()),
            sealed_private_key=sealing.seal_private_key(private_key, self.settings.master_key, key_id),
            created_at=utcnow(),
        )
        self.uow.keys.add(key)
        return key
