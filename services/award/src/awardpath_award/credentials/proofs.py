"""The two proof formats of a credential, both Ed25519.

Data Integrity `eddsa-rdfc-2022`: the document (without proof) and the proof options are
each canonicalized with RDFC-1.0, hashed with SHA-256, and the signature covers
hash(proof options) || hash(document); `proofValue` is the base58btc signature.

VC-JWT (VC-JOSE-COSE, `application/vc+jwt`): a JWS whose payload is the credential itself,
EdDSA, with `kid` naming the verification method in the issuer's did:web document.
"""

import hashlib
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from awardpath_award.credentials.standards import UnsignableTerm, canonicalize
from awardpath_award.keys.encodings import base58btc_decode, base58btc_encode

CRYPTOSUITE = "eddsa-rdfc-2022"
VC_JWT_MEDIA_TYPE = "application/vc+jwt"
# Registered JWT claims mirrored from the credential; not part of the credential itself.
JWT_CLAIMS = ("iss", "jti", "sub", "iat", "nbf", "exp")

KeyResolver = Callable[[str], Ed25519PublicKey]
"""Finds the public key of a verification method id; raises LookupError when unknown."""


class ProofError(ValueError):
    """The proof is missing, malformed or does not verify; the message says which."""


# ---- Data Integrity --------------------------------------------------------------------


def _hash_data(unsecured: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    options = {"@context": unsecured["@context"], **proof_options}
    return (
        hashlib.sha256(canonicalize(options).encode()).digest()
        + hashlib.sha256(canonicalize(unsecured).encode()).digest()
    )


def add_data_integrity_proof(
    unsecured: dict[str, Any], private_key: Ed25519PrivateKey, verification_method: str, created: str
) -> dict[str, Any]:
    """`unsecured` with an `eddsa-rdfc-2022` proof (as a one-element array, as OB 3.0 wants)."""
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = private_key.sign(_hash_data(unsecured, options))
    return {**unsecured, "proof": [{**options, "proofValue": "z" + base58btc_encode(signature)}]}


def verify_data_integrity_proof(secured: dict[str, Any], resolve_key: KeyResolver) -> dict[str, Any]:
    """Verify the document's `eddsa-rdfc-2022` proof; returns that proof, raises ProofError."""
    proofs = secured.get("proof")
    if isinstance(proofs, dict):
        proofs = [proofs]
    if not isinstance(proofs, list) or not proofs:
        raise ProofError("the credential has no proof")
    proof = next((item for item in proofs if isinstance(item, dict) and item.get("cryptosuite") == CRYPTOSUITE), None)
    if proof is None or proof.get("type") != "DataIntegrityProof":
        raise ProofError(f"no DataIntegrityProof with cryptosuite {CRYPTOSUITE}")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("the proof's purpose is not assertionMethod")
    proof_value, method = proof.get("proofValue"), proof.get("verificationMethod")
    if not isinstance(proof_value, str) or not proof_value.startswith("z") or not isinstance(method, str):
        raise ProofError("the proof lacks a base58btc proofValue or a verificationMethod")
    try:
        signature = base58btc_decode(proof_value[1:])
        public_key = resolve_key(method)
    except (ValueError, LookupError) as error:
        raise ProofError(str(error)) from error
    unsecured = {key: value for key, value in secured.items() if key != "proof"}
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    try:
        public_key.verify(signature, _hash_data(unsecured, options))
    except InvalidSignature as error:
        raise ProofError("the Data Integrity signature does not match the credential") from error
    except UnsignableTerm as error:
        raise ProofError(f"the credential has content no signature can cover: {error}") from error
    except Exception as error:  # any other JSON-LD failure on a hostile document
        raise ProofError(f"the credential cannot be canonicalized: {error}") from error
    return proof


# ---- VC-JWT ----------------------------------------------------------------------------


def encode_vc_jwt(
    credential: dict[str, Any], private_key: Ed25519PrivateKey, verification_method: str, claims: dict[str, Any]
) -> str:
    """The credential (no embedded proof) as the payload of an EdDSA JWS."""
    payload = {**{key: value for key, value in credential.items() if key != "proof"}, **claims}
    return jwt.encode(
        payload,
        private_key,
        algorithm="EdDSA",
        headers={"typ": "vc+jwt", "cty": "vc", "kid": verification_method},
    )


def decode_vc_jwt(token: str, resolve_key: KeyResolver) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify a VC-JWT's signature; returns (header, payload). Dates are checked by the
    verifier against the credential, so here only the signature is."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise ProofError(f"not a JWS: {error}") from error
    if header.get("alg") != "EdDSA":
        raise ProofError(f"unsupported alg {header.get('alg')!r}; expected EdDSA")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise ProofError("the JWT header names no kid")
    try:
        public_key = resolve_key(kid)
    except (ValueError, LookupError) as error:
        raise ProofError(str(error)) from error
    try:
        payload = jwt.decode(
            token,
            public_key,
            algorithms=["EdDSA"],
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False},
        )
    except jwt.InvalidSignatureError as error:
        raise ProofError("the JWT signature does not match its payload") from error
    except jwt.PyJWTError as error:
        raise ProofError(f"the JWT cannot be verified: {error}") from error
    return header, payload


def credential_of_jwt_payload(payload: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if key not in JWT_CLAIMS}
