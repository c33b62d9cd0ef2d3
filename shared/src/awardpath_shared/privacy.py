"""Privacy helpers shared by the services that must agree on them."""

import hashlib
import hmac


def conflict_hash(key: str, value: str) -> str:
    """Keyed hash of an organisation (or other conflict) id: comparable by equality,
    meaningless without the key, so the plain id never leaves the submission service."""
    return hmac.new(key.encode(), value.strip().lower().encode(), hashlib.sha256).hexdigest()


def identity_hash(identity: str, salt: str) -> str:
    """The Open Badges salted identity hash of an email: "sha256$" + hex(sha256(email + salt)),
    email trimmed and lowercased (addresses compare case-insensitively in practice)."""
    return "sha256$" + hashlib.sha256((identity.strip().lower() + salt).encode()).hexdigest()
