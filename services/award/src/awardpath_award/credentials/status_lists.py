"""Bitstring Status List (revocation): the bits, their `encodedList`, and the unsigned
BitstringStatusListCredential that publishes them."""

import base64
import gzip
from datetime import datetime
from typing import Any

from awardpath_award.credentials.standards import VC_V2_CONTEXT
from awardpath_award.credentials.timestamps import iso


def encode_status_list(bits: bytes) -> str:
    """`encodedList`: multibase base64url (no padding) of the GZIP-compressed bitstring."""
    compressed = gzip.compress(bits, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode()


def decode_status_list(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url ('u')")
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def bit_at(bits: bytes, index: int) -> bool:
    """Index 0 is the first (most significant) bit of the first byte."""
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"status index {index} is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def with_bit_set(bits: bytes, index: int) -> bytes:
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"status index {index} is outside the list")
    changed = bytearray(bits)
    changed[index // 8] |= 0x80 >> (index % 8)
    return bytes(changed)


def status_list_credential(url: str, did: str, bits: bytes, valid_from: datetime) -> dict[str, Any]:
    return {
        "@context": [VC_V2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": iso(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_status_list(bits),
        },
    }


def status_entry(status_list_url: str, index: int) -> dict[str, Any]:
    """A credential's `credentialStatus`: its index in the list."""
    return {
        "id": f"{status_list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": status_list_url,
    }
