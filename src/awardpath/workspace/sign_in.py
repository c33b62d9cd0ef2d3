"""One-time sign-in links (`awardpath login-link ROLE SUBJECT`): a signed token naming the
person, valid for minutes and taken once by this process. Identity-provider sign-in (OpenID
Connect) is the next step (README, Workspaces)."""

import secrets
from datetime import timedelta
from typing import Any

import jwt

from awardpath.workspace.sessions import Person
from awardpath.workspace.settings import WorkspaceSettings
from awardpath_shared.auth import ROLES
from awardpath_shared.ids import utcnow

SIGN_IN = "awardpath-workspace-sign-in"


def sign_in_link(settings: WorkspaceSettings, role: str, subject: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    expires = utcnow() + timedelta(minutes=settings.sign_in_link_minutes)
    claims = {"aud": SIGN_IN, "sub": subject, "role": role, "exp": int(expires.timestamp())}
    token = jwt.encode({**claims, "jti": secrets.token_urlsafe(16)}, settings.workspace_session_secret, "HS256")
    return f"{settings.workspace_public_url.rstrip('/')}/sign-in?token={token}"


class SignInLinks:
    """Verifies links and remembers the ones taken until they expire."""

    def __init__(self, settings: WorkspaceSettings) -> None:
        self._secret = settings.workspace_session_secret
        self._taken: dict[str, float] = {}

    def take(self, token: str) -> Person | None:
        try:
            claims: dict[str, Any] = jwt.decode(token, self._secret, algorithms=["HS256"], audience=SIGN_IN)
        except jwt.PyJWTError:
            return None
        now = utcnow().timestamp()
        self._taken = {jti: ends for jti, ends in self._taken.items() if ends > now}
        if claims.get("role") not in ROLES or claims.get("jti") in self._taken:
            return None
        self._taken[str(claims["jti"])] = float(claims["exp"])
        return Person(role=claims["role"], subject=str(claims["sub"]))
