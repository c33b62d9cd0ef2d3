"""Sign-in through the organisation's identity provider: OpenID Connect, the authorization
code flow with PKCE (authlib). The ID token's claims name the person: `AWARDPATH_OIDC_ROLE_CLAIM`
their role (assessor, issuer or admin) and `AWARDPATH_OIDC_SUBJECT_CLAIM` who they are (their
assessor, issuer or admin id). Someone the provider knows but gives no such role gets no
session."""

from typing import Any

from authlib.integrations.starlette_client import OAuth, OAuthError, StarletteOAuth2App
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from awardpath.workspace.pages import problem_page
from awardpath.workspace.sessions import ROLE_PAGES, Person, start_session
from awardpath.workspace.settings import WorkspaceSettings

# Included only when an identity provider is set up (`identity_provider` on the app state).
router = APIRouter()


def identity_provider(settings: WorkspaceSettings) -> StarletteOAuth2App:
    assert settings.oidc_issuer is not None  # only called when configured
    oauth = OAuth()
    client: StarletteOAuth2App = oauth.register(
        "identity_provider",
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        client_kwargs={"scope": settings.oidc_scopes, "code_challenge_method": "S256"},
    )
    return client


@router.get("/sign-in/oidc")
async def start(request: Request) -> Response:
    callback = request.app.state.settings.workspace_public_url.rstrip("/") + "/sign-in/oidc/callback"
    redirect: Response = await request.app.state.identity_provider.authorize_redirect(request, callback)
    return redirect


@router.get("/sign-in/oidc/callback")
async def callback(request: Request) -> Response:
    try:
        token = await request.app.state.identity_provider.authorize_access_token(request)
    except OAuthError as error:
        return problem_page(request, 400, "You were not signed in", f"The identity provider said: {error.error}.")
    settings: WorkspaceSettings = request.app.state.settings
    person = person_of(token.get("userinfo") or {}, settings)
    if person is None:
        return problem_page(
            request, 403, "Your account has no Awardpath role", "Ask your administrator to give your account a role."
        )
    start_session(request, person, settings.session_hours)
    return RedirectResponse("/", status_code=303)


def person_of(claims: dict[str, Any], settings: WorkspaceSettings) -> Person | None:
    role, subject = claims.get(settings.oidc_role_claim), claims.get(settings.oidc_subject_claim)
    if role not in ROLE_PAGES or not isinstance(subject, str) or not subject:
        return None
    return Person(role=role, subject=subject)
