from pydantic import Field

from awardpath_shared.settings import ServiceSettings, per_service, secret_problems

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
    sign_in_link_minutes: float = Field(default=15, gt=0, le=24 * 60)

    def unsafe_settings(self) -> list[str]:
        return [
            *super().unsafe_settings(),
            *secret_problems("AWARDPATH_WORKSPACE_SESSION_SECRET", self.workspace_session_secret, DEV_SESSION_SECRET),
        ]
