"""Short-lived capabilities carried in a URL (an evidence file for an assessor, a part of an
upload for a platform's client): a signed token naming what it opens and until when.

A token is a JWT whose audience is the link's purpose, so it is never taken for a bearer
token (nor a bearer token for it), and a link for one purpose opens nothing else.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from awardpath_shared.errors import Forbidden
from awardpath_shared.ids import utcnow


@dataclass(frozen=True)
class SignedLink:
    token: str
    expires_at: datetime


def sign(secret: str, purpose: str, claims: dict[str, str | int], ttl: timedelta) -> SignedLink:
    expires_at = utcnow() + ttl
    payload: dict[str, Any] = {**claims, "aud": purpose, "exp": int(expires_at.timestamp())}
    return SignedLink(jwt.encode(payload, secret, algorithm="HS256"), expires_at.replace(microsecond=0))


def verify(secret: str, purpose: str, token: str) -> dict[str, Any]:
    """The claims of a valid, unexpired link for `purpose`; Forbidden otherwise."""
    try:
        claims: dict[str, Any] = jwt.decode(token, secret, algorithms=["HS256"], audience=purpose)
    except jwt.ExpiredSignatureError as error:
        raise Forbidden("this link has expired: ask for a fresh one") from error
    except jwt.PyJWTError as error:
        raise Forbidden("this link is not valid") from error
    return claims
