"""Issuer signing keys: Ed25519 pairs generated per issuer, the private half encrypted at rest
with the configured master key, published as a did:web document and a JWKS.

Rotation retires the active key and makes a new one; retired keys stay published, so every
credential ever signed keeps verifying.
"""

import base64
import os
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# Multicodec prefix of an Ed25519 public key (0xed, varint-encoded).
ED25519_MULTICODEC = b"\xed\x01"


# ---- encodings -------------------------------------------------------------------------


def base58btc_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    encoded = ""
    while number:
        number, remainder = divmod(number, 58)
        encoded = BASE58_ALPHABET[remainder] + encoded
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return BASE58_ALPHABET[0] * leading_zeros + encoded


def base58btc_decode(text: str) -> bytes:
    number = 0
    for character in text:
        digit = BASE58_ALPHABET.find(character)
        if digit < 0:
            raise ValueError(f"{character!r} is not a base58btc character")
        number = number * 58 + digit
    leading_zeros = len(text) - len(text.lstrip(BASE58_ALPHABET[0]))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * leading_zeros + body


def base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def multikey(public_key: Ed25519PublicKey) -> str:
    """The Multikey `publicKeyMultibase` of an Ed25519 key (`z6Mk...`)."""
    return "z" + base58btc_encode(ED25519_MULTICODEC + public_key.public_bytes_raw())


def public_key_from_multikey(value: str) -> Ed25519PublicKey:
    if not value.startswith("z"):
        raise ValueError("a Multikey starts with 'z' (base58btc)")
    decoded = base58btc_decode(value[1:])
    if not decoded.startswith(ED25519_MULTICODEC) or len(decoded) != 34:
        raise ValueError("not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(decoded[2:])


def jwk(public_key_multibase: str, key_id: str) -> dict[str, str]:
    raw = public_key_from_multikey(public_key_multibase).public_bytes_raw()
    return {"kty": "OKP", "crv": "Ed25519", "x": base64url(raw), "kid": key_id, "alg": "EdDSA", "use": "sig"}


# ---- identifiers -----------------------------------------------------------------------


def issuer_did(public_url: str, issuer_id: str) -> str:
    """did:web of an issuer: resolves to `{public_url}/v1/issuers/{id}/did.json`."""
    parts = urlsplit(public_url)
    segments = [segment for segment in parts.path.split("/") if segment]
    return ":".join(["did:web", quote(parts.netloc, safe=""), *segments, "v1", "issuers", issuer_id])


def verification_method_id(did: str, public_key_multibase: str) -> str:
    return f"{did}#{public_key_multibase}"


def did_document(did: str, public_keys: list[str]) -> dict[str, Any]:
    """The did:web document: every key the issuer ever signed with, newest first."""
    methods = [
        {
            "id": verification_method_id(did, key),
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key,
        }
        for key in public_keys
    ]
    ids = [method["id"] for method in methods]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }


# ---- keys at rest ----------------------------------------------------------------------


def _wrapping_key(master_key: str) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"awardpath sealed values").derive(
        master_key.encode()
    )
    return AESGCM(derived)


def seal(plaintext: bytes, master_key: str, bound_to: str) -> str:
    """AES-256-GCM under a key derived from the master key; `bound_to` (the row's id) is
    associated data, so a sealed value copied onto another row does not open."""
    nonce = os.urandom(12)
    return "v1." + base64url(nonce + _wrapping_key(master_key).encrypt(nonce, plaintext, bound_to.encode()))


def unseal(sealed: str, master_key: str, bound_to: str) -> bytes:
    version, _, body = sealed.partition(".")
    if version != "v1":
        raise ValueError(f"unknown sealed value version {version!r}")
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return _wrapping_key(master_key).decrypt(data[:12], data[12:], bound_to.encode())


def seal_private_key(private_key: Ed25519PrivateKey, master_key: str, key_id: str) -> str:
    return seal(private_key.private_bytes_raw(), master_key, key_id)


def unseal_private_key(sealed: str, master_key: str, key_id: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(unseal(sealed, master_key, key_id))
