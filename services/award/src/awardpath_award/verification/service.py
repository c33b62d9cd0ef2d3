"""The verifier: any posted credential, JSON-LD with a Data Integrity proof or a VC-JWT.

Checks, each reported with why it failed: the proof (signature by a key of the credential's
issuer, resolved from this service's issuer keys; nothing is fetched), the OB 3.0 JSON schema,
the revocation status (this service's status lists), and the validity dates.
"""

from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from awardpath_award.credentials.proofs import (
    ProofError,
    credential_of_jwt_payload,
    decode_vc_jwt,
    verify_data_integrity_proof,
)
from awardpath_award.credentials.standards import schema_errors
from awardpath_award.credentials.status_lists import bit_at, decode_status_list
from awardpath_award.keys.service import KeyService
from awardpath_award.settings import AwardSettings
from awardpath_award.uow import AwardUnitOfWork
from awardpath_award.verification.result import Verification
from awardpath_shared.errors import Invalid
from awardpath_shared.ids import utcnow
from awardpath_shared.input_checks import MAX_JSON_DEPTH, UnacceptableInput, check_json

# A verification method's public key, or why it cannot be used.
ResolvedKey = Ed25519PublicKey | str


class VerificationService:
    def __init__(self, uow: AwardUnitOfWork, settings: AwardSettings) -> None:
        self.uow = uow
        self.keys = KeyService(uow, settings)

    async def verify(self, presented: object) -> Verification:
        """Verify a JSON-LD credential (an object) or a VC-JWT (a string)."""
        if isinstance(presented, str):
            result = Verification(format="vc+jwt")
            credential = await self._jwt_proof(presented.strip(), result)
        elif isinstance(presented, dict):
            result = Verification(format="json-ld")
            await self._data_integrity_proof(presented, result)
            credential = presented
        else:
            raise Invalid("not-a-credential", "Not a credential", "post a JSON object (JSON-LD) or a string (VC-JWT)")
        # The other checks run even when the proof failed: the answer says everything wrong.
        if credential is None:
            return result
        result.credential = credential
        errors = schema_errors(credential)
        result.add(
            "schema",
            not errors,
            "valid Open Badges 3.0 AchievementCredential" if not errors else "; ".join(errors[:10]),
        )
        await self._status(credential, result)
        _validity(credential, result)
        return result

    async def _data_integrity_proof(self, document: dict[str, Any], result: Verification) -> bool:
        proofs = document.get("proof")
        proof_list = proofs if isinstance(proofs, list) else [proofs]
        methods = [item.get("verificationMethod") for item in proof_list if isinstance(item, dict)]
        resolved = {method: await self._issuer_key(document, method) for method in methods if isinstance(method, str)}
        try:
            proof = verify_data_integrity_proof(document, lambda method: _resolved(resolved, method))
        except ProofError as error:
            return result.add("proof", False, str(error))
        return result.add("proof", True, f"eddsa-rdfc-2022 signature by {proof['verificationMethod']}")

    async def _jwt_proof(self, token: str, result: Verification) -> dict[str, Any] | None:
        """Check the JWS; returns the credential it carries (even unverified, for the other
        checks) or None when the token cannot be read at all."""
        try:
            # Read unverified first, only to know which issuer key to look up.
            kid = jwt.get_unverified_header(token).get("kid")
            payload = jwt.decode(token, options={"verify_signature": False})
            check_json(payload)
        except (jwt.PyJWTError, UnacceptableInput) as error:
            result.add("proof", False, f"not a readable VC-JWT: {error}")
            return None
        except RecursionError:
            result.add("proof", False, f"not a readable VC-JWT: its payload nests deeper than {MAX_JSON_DEPTH} levels")
            return None
        if not isinstance(payload, dict):
            result.add("proof", False, "the JWT payload is not a credential")
            return None
        credential = credential_of_jwt_payload(payload)
        resolved = {kid: await self._issuer_key(payload, kid)} if isinstance(kid, str) else {}
        try:
            header, verified = decode_vc_jwt(token, lambda method: _resolved(resolved, method))
        except ProofError as error:
            result.add("proof", False, str(error))
            return credential
        if verified.get("iss") not in (None, _issuer_id(credential)) or verified.get("jti") not in (
            None,
            credential.get("id"),
        ):
            result.add("proof", False, "the JWT's iss or jti disagrees with the credential's issuer or id")
        else:
            result.add("proof", True, f"EdDSA JWS by {header['kid']}")
        return credential

    async def _issuer_key(self, credential: dict[str, Any], method: str) -> ResolvedKey:
        """The public key of a verification method of one of this service's issuers, provided
        it belongs to the credential's issuer; otherwise why not."""
        published = await self.keys.resolve(method)
        if published is None:
            return f"{method!r} is not a key of an issuer of this service (other DIDs are not resolved offline)"
        if published.did != _issuer_id(credential):
            return f"{method!r} is not a key of the credential's issuer {_issuer_id(credential)!r}"
        return published.public_key

    async def _status(self, credential: dict[str, Any], result: Verification) -> None:
        entry = credential.get("credentialStatus")
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            result.add("status", False, "no BitstringStatusListEntry to check revocation against")
            return
        list_url = str(entry.get("statusListCredential", ""))
        status_list_id = list_url.rsplit("/", 1)[-1]
        status_list = await self.uow.credentials.status_list(status_list_id) if status_list_id else None
        if status_list is None or status_list.document.get("id") != list_url:
            result.add("status", False, f"status list {list_url!r} is not one of this service's lists")
            return
        try:
            bits = decode_status_list(status_list.document["credentialSubject"]["encodedList"])
            revoked = bit_at(bits, int(entry.get("statusListIndex", "")))
        except (ValueError, IndexError) as error:
            result.add("status", False, f"unreadable status entry: {error}")
            return
        result.add("status", not revoked, "revoked by the issuer" if revoked else "not revoked")


def _resolved(resolved: dict[str, ResolvedKey], method: str) -> Ed25519PublicKey:
    found = resolved.get(method)
    if found is None:
        raise LookupError(f"unknown verification method {method!r}")
    if isinstance(found, str):
        raise LookupError(found)
    return found


def _issuer_id(credential: dict[str, Any]) -> Any:
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _validity(credential: dict[str, Any], result: Verification) -> None:
    now = utcnow()
    try:
        valid_from = _moment(credential.get("validFrom"))
        valid_until = _moment(credential.get("validUntil"))
    except ValueError as error:
        result.add("validity", False, f"unreadable date: {error}")
        return
    if valid_from is not None and valid_from > now:
        result.add("validity", False, f"not valid before {credential['validFrom']}")
    elif valid_until is not None and valid_until <= now:
        result.add("validity", False, f"expired at {credential['validUntil']}")
    else:
        result.add("validity", True, "within its validity period")


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment
