"""The verifier: any posted credential, JSON-LD with a Data Integrity proof or a VC-JWT.

Checks, each reported with why it failed: the proof (signature by a key of the credential's
issuer, resolved from this service's issuer keys; nothing is fetched), the OB 3.0 JSON schema,
the revocation status (this service's status lists), and the validity dates.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award import credentials, keys, repository
from awardpath_award.proofs import (
    ProofError,
    credential_of_jwt_payload,
    decode_vc_jwt,
    verify_data_integrity_proof,
)
from awardpath_award.settings import AwardSettings
from awardpath_award.standards import schema_errors
from awardpath_shared.ids import utcnow


@dataclass
class Check:
    check: str
    ok: bool
    detail: str


@dataclass
class Verification:
    format: str
    checks: list[Check] = field(default_factory=list)
    credential: dict[str, Any] | None = None

    @property
    def verified(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def credential_id(self) -> str | None:
        value = (self.credential or {}).get("id")
        return value if isinstance(value, str) else None

    def add(self, check: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(check, ok, detail))
        return ok


async def verify(session: AsyncSession, settings: AwardSettings, presented: dict[str, Any] | str) -> Verification:
    """Verify a JSON-LD credential (a dict) or a VC-JWT (a string)."""
    if isinstance(presented, str):
        result = Verification(format="vc+jwt")
        credential = await _jwt_proof(session, settings, presented.strip(), result)
    else:
        result = Verification(format="json-ld")
        await _data_integrity_proof(session, settings, presented, result)
        credential = presented
    # The other checks run even when the proof failed: the answer says everything wrong.
    if credential is None:
        return result
    result.credential = credential
    errors = schema_errors(credential)
    result.add(
        "schema", not errors, "valid Open Badges 3.0 AchievementCredential" if not errors else "; ".join(errors[:10])
    )
    await _status(session, credential, result)
    _validity(credential, result)
    return result


# ---- proof -----------------------------------------------------------------------------


async def _data_integrity_proof(
    session: AsyncSession, settings: AwardSettings, document: dict[str, Any], result: Verification
) -> bool:
    proofs = document.get("proof")
    proof_list = proofs if isinstance(proofs, list) else [proofs]
    methods = [item.get("verificationMethod") for item in proof_list if isinstance(item, dict)]
    resolved = {
        method: await _issuer_key(session, settings, document, method) for method in methods if isinstance(method, str)
    }
    try:
        proof = verify_data_integrity_proof(document, lambda method: _resolved(resolved, method))
    except ProofError as error:
        return result.add("proof", False, str(error))
    return result.add("proof", True, f"eddsa-rdfc-2022 signature by {proof['verificationMethod']}")


async def _jwt_proof(
    session: AsyncSession, settings: AwardSettings, token: str, result: Verification
) -> dict[str, Any] | None:
    """Check the JWS; returns the credential it carries (even unverified, for the other
    checks) or None when the token cannot be read at all."""
    try:
        # Read unverified first, only to know which issuer key to look up.
        kid = jwt.get_unverified_header(token).get("kid")
        payload = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        result.add("proof", False, f"not a readable VC-JWT: {error}")
        return None
    if not isinstance(payload, dict):
        result.add("proof", False, "the JWT payload is not a credential")
        return None
    credential = credential_of_jwt_payload(payload)
    resolved = {kid: await _issuer_key(session, settings, payload, kid)} if isinstance(kid, str) else {}
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


def _resolved(resolved: dict[str, Ed25519PublicKey | str], method: str) -> Ed25519PublicKey:
    found = resolved.get(method)
    if found is None:
        raise LookupError(f"unknown verification method {method!r}")
    if isinstance(found, str):
        raise LookupError(found)
    return found


async def _issuer_key(
    session: AsyncSession, settings: AwardSettings, credential: dict[str, Any], method: str
) -> Ed25519PublicKey | str:
    """The public key of a verification method of one of this service's issuers, provided
    it belongs to the credential's issuer; otherwise why not (as a string)."""
    did, _, fragment = method.partition("#")
    key = await repository.key_by_multikey(session, fragment) if fragment else None
    if key is None or keys.issuer_did(settings.public_url, key.issuer_id) != did:
        return f"{method!r} is not a key of an issuer of this service (other DIDs are not resolved offline)"
    if did != _issuer_id(credential):
        return f"{method!r} is not a key of the credential's issuer {_issuer_id(credential)!r}"
    return keys.public_key_from_multikey(key.public_key_multibase)


def _issuer_id(credential: dict[str, Any]) -> Any:
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


# ---- status and dates ------------------------------------------------------------------


async def _status(session: AsyncSession, credential: dict[str, Any], result: Verification) -> None:
    entry = credential.get("credentialStatus")
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        result.add("status", False, "no BitstringStatusListEntry to check revocation against")
        return
    list_url = str(entry.get("statusListCredential", ""))
    status_list_id = list_url.rsplit("/", 1)[-1]
    status_list = await repository.get_status_list(session, status_list_id) if status_list_id else None
    if status_list is None or status_list.document.get("id") != list_url:
        result.add("status", False, f"status list {list_url!r} is not one of this service's lists")
        return
    try:
        bits = credentials.decode_status_list(status_list.document["credentialSubject"]["encodedList"])
        revoked = credentials.bit_at(bits, int(entry.get("statusListIndex", "")))
    except (ValueError, IndexError) as error:
        result.add("status", False, f"unreadable status entry: {error}")
        return
    result.add("status", not revoked, "revoked by the issuer" if revoked else "not revoked")


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
