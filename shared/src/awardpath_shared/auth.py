"""Bearer-token auth: JWTs whose claims give the caller's role and subject id.

Tokens are verified with the configured shared secret (HS256, local and small deployments)
or, when `AWARDPATH_JWKS_URL` is set, with the identity provider's published keys; beside
them, a shared secret fit for production still verifies the HS256 tokens the deployment mints
itself (the workspaces' for each person, `awardpath token`'s).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal, TypeGuard

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from awardpath_shared.errors import Forbidden, Unauthenticated
from awardpath_shared.ids import utcnow
from awardpath_shared.settings import DEV_JWT_SECRET, ServiceSettings, secret_problems

Role = Literal["platform", "assessor", "issuer", "admin"]
ROLES: tuple[Role, ...] = ("platform", "assessor", "issuer", "admin")
# The width of every column holding a caller's id (platform, issuer, assessor).
MAX_SUBJECT_LENGTH = 100


@dataclass(frozen=True)
class Principal:
    role: Role
    subject: str


def mint_token(settings: ServiceSettings, role: Role, subject: str, ttl: timedelta = timedelta(days=30)) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    now = utcnow()
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


class TokenVerifier:
    def __init__(self, settings: ServiceSettings) -> None:
        self._settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None
        # Beside an identity provider, the secret verifies the tokens the deployment mints
        # itself; the development secret verifies nothing there: anyone knows it.
        own_secret_fit = not secret_problems("AWARDPATH_JWT_SECRET", settings.jwt_secret, DEV_JWT_SECRET)
        self._own_secret = settings.jwt_secret if own_secret_fit else None

    def _key(self, token: str) -> tuple[Any, list[str]]:
        """The key and algorithms for this token: the shared secret for HS256, the identity
        provider's published key for the rest; never one key for the other's algorithms."""
        if self._jwks is None:
            return self._settings.jwt_secret, ["HS256"]
        if self._own_secret is not None and jwt.get_unverified_header(token).get("alg") == "HS256":
            return self._own_secret, ["HS256"]
        return self._jwks.get_signing_key_from_jwt(token).key, ["RS256", "ES256", "EdDSA"]

    def verify(self, token: str) -> Principal:
        try:
            key, algorithms = self._key(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                options={"require": ["exp", "sub"]},
            )
        except (jwt.PyJWTError, ValueError) as error:
            raise Unauthenticated(f"invalid token: {error}") from error
        role, subject = claims.get("role"), claims.get("sub")
        if role not in ROLES or not is_usable_subject(subject):
            raise Unauthenticated(
                f"token lacks a valid role or subject (printable text of at most {MAX_SUBJECT_LENGTH} characters)"
            )
        return Principal(role=role, subject=subject)


def is_usable_subject(subject: object) -> TypeGuard[str]:
    """A subject every service can store and compare: printable (no NUL, no control
    characters, no lone surrogates) and no longer than the columns that hold callers' ids."""
    return isinstance(subject, str) and 0 < len(subject) <= MAX_SUBJECT_LENGTH and subject.isprintable()


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send Authorization: Bearer <token>")
    return verified(request, credentials.credentials)


def verified(request: Request, token: str) -> Principal:
    """The caller `token` names, verified once per request (the idempotency key's scope and
    the role check both ask)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        verifier: TokenVerifier = request.app.state.token_verifier
        principal = request.state.principal = verifier.verify(token)
    return principal


def require_role(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency giving the caller, refusing (403) any role not in `roles`."""

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"this call is for role {' or '.join(roles)}, not {principal.role}")
        return principal

    return dependency
