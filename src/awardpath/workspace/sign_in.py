"""One-time sign-in links (`awardpath login-link ROLE SUBJECT`): a signed token naming the
person, valid for minutes and taken once. Which links were taken is remembered by this process
or, with several replicas, in Redis (`AWARDPATH_WORKSPACE_REDIS_URL`), which all of them ask."""

import secrets
from datetime import timedelta
from typing import Any, Protocol

import jwt
from redis.asyncio import Redis

from awardpath.workspace.sessions import Person
from awardpath.workspace.settings import WorkspaceSettings
from awardpath_shared.auth import ROLES
from awardpath_shared.ids import utcnow

SIGN_IN = "awardpath-workspace-sign-in"
TAKEN_KEY = "awardpath:workspace:sign-in-link-taken:"


def sign_in_link(settings: WorkspaceSettings, role: str, subject: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    expires = utcnow() + timedelta(minutes=settings.sign_in_link_minutes)
    claims = {"aud": SIGN_IN, "sub": subject, "role": role, "exp": int(expires.timestamp())}
    token = jwt.encode({**claims, "jti": secrets.token_urlsafe(16)}, settings.workspace_session_secret, "HS256")
    return f"{settings.workspace_public_url.rstrip('/')}/sign-in?token={token}"


class TakenLinks(Protocol):
    async def take_once(self, link_id: str, expires_at: int) -> bool:
        """True the first time a link is taken, False ever after (until it expires)."""
        ...


class TakenInThisProcess:
    """For one replica: the links taken, kept until they expire."""

    def __init__(self) -> None:
        self._taken: dict[str, int] = {}

    async def take_once(self, link_id: str, expires_at: int) -> bool:
        now = utcnow().timestamp()
        self._taken = {taken: ends for taken, ends in self._taken.items() if ends > now}
        if link_id in self._taken:
            return False
        self._taken[link_id] = expires_at
        return True


class TakenInRedis:
    """For several replicas: one key per taken link, set only if absent, gone when the link expires."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def take_once(self, link_id: str, expires_at: int) -> bool:
        return bool(await self._redis.set(TAKEN_KEY + link_id, "1", nx=True, exat=expires_at))


class SignInLinks:
    """Verifies links and takes each once."""

    def __init__(self, settings: WorkspaceSettings, taken: TakenLinks) -> None:
        self._secret = settings.workspace_session_secret
        self._taken = taken

    async def take(self, token: str) -> Person | None:
        try:
            claims: dict[str, Any] = jwt.decode(token, self._secret, algorithms=["HS256"], audience=SIGN_IN)
        except jwt.PyJWTError:
            return None
        if claims.get("role") not in ROLES or not await self._taken.take_once(str(claims["jti"]), int(claims["exp"])):
            return None
        return Person(role=claims["role"], subject=str(claims["sub"]))
