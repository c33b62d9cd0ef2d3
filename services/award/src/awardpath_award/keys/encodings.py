"""Encodings of Ed25519 public keys: base58btc, Multikey (`z6Mk...`) and JWK."""

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# Multicodec prefix of an Ed25519 public key (0xed, varint-encoded).
ED25519_MULTICODEC = b"\xed\x01"


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
