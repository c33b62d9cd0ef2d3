"""Secrets at rest (issuer private keys, webhook secrets): AES-256-GCM under a key derived
from the configured master key, each value bound to the row it belongs to.

The master key rotates: values open under the current key or any previous one
(`AWARDPATH_AWARD_PREVIOUS_MASTER_KEYS`), new values are sealed under the current one, and
`reseal` moves an old value to it."""

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from awardpath_award.keys.encodings import base64url


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


def unseal(sealed: str, master_keys: tuple[str, ...], bound_to: str) -> bytes:
    """The value, opened under the first of `master_keys` (current first) that seals it;
    InvalidTag when none does."""
    return _open(sealed, master_keys, bound_to)[0]


def reseal(sealed: str, master_keys: tuple[str, ...], bound_to: str) -> str | None:
    """The value sealed again under the current key (the first), or None when it is under it
    already."""
    plaintext, position = _open(sealed, master_keys, bound_to)
    return seal(plaintext, master_keys[0], bound_to) if position > 0 else None


def _open(sealed: str, master_keys: tuple[str, ...], bound_to: str) -> tuple[bytes, int]:
    version, _, body = sealed.partition(".")
    if version != "v1":
        raise ValueError(f"unknown sealed value version {version!r}")
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    for position, master_key in enumerate(master_keys):
        try:
            return _wrapping_key(master_key).decrypt(data[:12], data[12:], bound_to.encode()), position
        except InvalidTag:
            continue
    raise InvalidTag(f"no configured master key opens the value sealed for {bound_to}")


def seal_private_key(private_key: Ed25519PrivateKey, master_key: str, key_id: str) -> str:
    return seal(private_key.private_bytes_raw(), master_key, key_id)


def unseal_private_key(sealed: str, master_keys: tuple[str, ...], key_id: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(unseal(sealed, master_keys, key_id))
