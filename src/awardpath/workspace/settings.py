from urllib.parse import urlsplit

from pydantic import Field, model_validator

from awardpath_shared.settings import DEV_JWT_SECRET, ServiceSettings, per_service, secret_problems

DEV_SESSION_SECRET = "awardpath-local-workspace-session-secret-change-me"


class WorkspaceSettings(ServiceSettings):
    port: int = per_service("workspace", "port", 8004)
    # Where people reach the workspaces: sign-in links point here; https makes cookies Secure.
    workspace_public_url: str = "http://127.0.0.1:8004"
    # The APIs the pages call, as this process reaches them.
    submission_url: str = "http://127.0.0.1:8001"
    assessment_url: str = "http://127.0.0.1:8002"
    award_url: str = "http://127.0.0.1:8003"
    # Signs session cookies and sign-in links.
    workspace_session_secret: str = DEV_SESSION_SECRET
    session_hours: float = Field(default=8, gt=0, le=24 * 7)
    # How many rows a list page shows before its "next" link.
    workspace_page_size: int = Field(default=50, ge=1, le=200)
    # Where the replicas remember which sign-in links were taken (each works once): a Redis
    # URL (redis:// or rediss://). Unset: in this process, which suits one replica only.
    workspace_redis_url: str | None = None
    sign_in_link_minutes: float = Field(default=15, gt=0, le=24 * 60)
    # OpenID Connect sign-in, when an issuer is set: its discovery document is read from
    # <issuer>/.well-known/openid-configuration; the callback is <public url>/sign-in/oidc/callback.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scopes: str = "openid email"
    # The ID token's claims naming the person's role (assessor, issuer, admin) and their id.
    oidc_role_claim: str = "awardpath_role"
    oidc_subject_claim: str = "sub"

    # E-mailed sign-in links, when a server and a sender are set.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    # STARTTLS after connecting (port 587); false only for a server on the same host.
    smtp_starttls: bool = True
    smtp_from: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> "WorkspaceSettings":
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("AWARDPATH_OIDC_ISSUER needs AWARDPATH_OIDC_CLIENT_ID")
        if self.smtp_host and not self.smtp_from:
            raise ValueError("AWARDPATH_SMTP_HOST needs AWARDPATH_SMTP_FROM, the sender's address")
        return self

    @property
    def sends_mail(self) -> bool:
        return bool(self.smtp_host)

    def unsafe_settings(self) -> list[str]:
        return [
            # It signs each person's API tokens with it, identity provider or not.
            *secret_problems("AWARDPATH_JWT_SECRET", self.jwt_secret, DEV_JWT_SECRET),
            *secret_problems("AWARDPATH_WORKSPACE_SESSION_SECRET", self.workspace_session_secret, DEV_SESSION_SECRET),
            *self._public_url_problems(),
        ]

    @property
    def served_over_https(self) -> bool:
        """People reach the workspace by https: its session cookie is then Secure."""
        return urlsplit(self.workspace_public_url).scheme == "https"

    def _public_url_problems(self) -> list[str]:
        if self.served_over_https:
            return []
        url = self.workspace_public_url
        return [f"AWARDPATH_WORKSPACE_PUBLIC_URL is {url!r}, not https: set it to the https URL people open"]
