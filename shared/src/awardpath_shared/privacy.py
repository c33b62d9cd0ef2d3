"""Privacy helpers shared by the services that must agree on them."""

import hashlib
import hmac


def conflict_hash(key: str, value: str) -> str:
    """Keyed hash of an organisation (or other conflict) id: comparable by equality,
    meaningless without the key, so the plain id never leaves the submission service."""
    return hmac.new(key.encode(), value.strip().lower().encode(), hashlib.sha256).hexdigest()
