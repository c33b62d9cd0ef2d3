"""Which configurations a process refuses to start on outside development (`unsafe_settings`),
each named with the variable to set."""

import pytest

from awardpath.workspace.settings import WorkspaceSettings
from awardpath_assessment.settings import AssessmentSettings
from awardpath_award.settings import AwardSettings
from awardpath_submission.settings import SubmissionSettings

JWT = "AWARDPATH_JWT_SECRET"
CONFLICT = "AWARDPATH_CONFLICT_HASH_KEY"
MASTER = "AWARDPATH_AWARD_MASTER_KEY"
URL = "AWARDPATH_AWARD_PUBLIC_URL"
FILE_LINK = "AWARDPATH_FILE_LINK_SECRET"
FIT = {
    FILE_LINK: "f1L3l1nK5s1gN1nGk3y0fAtl3aSt32ch",
    JWT: "Jf3y0Zq8nB2LwVt6sXk1eR9uPa4cHm7d",
    CONFLICT: "p0Q9r8S7t6U5v4W3x2Y1z0A9b8C7d6E5",
    MASTER: "M1n2B3v4C5x6Z7l8K9j0H1g2F3d4S5a6",
    URL: "https://badges.example.org",
}


@pytest.fixture
def environment(monkeypatch):
    for name in [*FIT, "AWARDPATH_JWKS_URL", "AWARDPATH_AWARD_PREVIOUS_MASTER_KEYS"]:
        monkeypatch.delenv(name, raising=False)

    def given(**variables: str) -> None:
        for name, value in {**FIT, **variables}.items():
            monkeypatch.setenv(name, value)

    return given


def problems_of_every_service() -> list[str]:
    return [
        problem
        for settings in (SubmissionSettings(), AssessmentSettings(), AwardSettings())
        for problem in settings.unsafe_settings()
    ]


def test_a_production_configuration_has_no_problems(environment):
    environment()
    assert problems_of_every_service() == []


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        (JWT, "awardpath-local-development-secret-change-me", "not set"),
        (JWT, "CHANGE-ME-jwt-secret-at-least-32-bytes-long", "placeholder"),
        (JWT, "short-but-random-Zq8nB2", "shorter than 32"),
        (CONFLICT, "awardpath-local-conflict-hash-key-change-me", "not set"),
        (CONFLICT, "change-me-conflict-hash-key-for-the-demo", "placeholder"),
        (FILE_LINK, "awardpath-local-file-link-secret-change-me", "not set"),
        (MASTER, "awardpath-local-master-key-change-me", "not set"),
        (MASTER, "", "not set"),
        (MASTER, "replace-me-with-a-long-random-master-key", "placeholder"),
        (URL, "http://127.0.0.1:8003", "loopback"),
        (URL, "https://localhost/awardpath", "loopback"),
        (URL, "https://localhost./awardpath", "loopback"),
        (URL, "https://127.0.0.2", "loopback"),
        (URL, "https://0.0.0.0:8003", "loopback"),
        (URL, "https://[::ffff:127.0.0.1]", "loopback"),
        (URL, "http://badges.example.org", "not https"),
    ],
)
def test_each_placeholder_is_refused_naming_what_to_set(environment, variable, value, says):
    environment(**{variable: value})
    problems = problems_of_every_service()
    assert problems and all(problem.startswith(variable) for problem in problems)
    assert says in problems[0] and "set " + variable in problems[0]


def test_a_missing_master_key_is_the_development_one_and_refused(environment, monkeypatch):
    environment()
    monkeypatch.delenv(MASTER)
    assert [problem.split(" ")[0] for problem in AwardSettings().unsafe_settings()] == [MASTER]


def test_with_an_identity_provider_the_shared_secret_is_not_needed(environment, monkeypatch):
    environment(**{JWT: "awardpath-local-development-secret-change-me"})
    monkeypatch.setenv("AWARDPATH_JWKS_URL", "https://idp.example.org/.well-known/jwks.json")
    assert problems_of_every_service() == []


def test_previous_master_keys_are_read_comma_separated_after_the_current_one(environment, monkeypatch):
    environment()
    monkeypatch.setenv("AWARDPATH_AWARD_PREVIOUS_MASTER_KEYS", "older-key-one, older-key-two")
    assert AwardSettings().master_keys == (FIT[MASTER], "older-key-one", "older-key-two")


def test_the_workspaces_refuse_the_development_session_secret_and_a_plain_http_address(environment, monkeypatch):
    """Over plain http the session cookie would not be Secure."""
    environment()
    monkeypatch.delenv("AWARDPATH_WORKSPACE_SESSION_SECRET", raising=False)
    assert [problem.split(" ")[0] for problem in WorkspaceSettings().unsafe_settings()] == [
        "AWARDPATH_WORKSPACE_SESSION_SECRET",
        "AWARDPATH_WORKSPACE_PUBLIC_URL",
    ]
    monkeypatch.setenv("AWARDPATH_WORKSPACE_SESSION_SECRET", "w0rK5pAc3s3ss10nS3cr3tAtl3aSt32ch")
    monkeypatch.setenv("AWARDPATH_WORKSPACE_PUBLIC_URL", "https://workspace.example.org")
    assert WorkspaceSettings().unsafe_settings() == []


def test_the_workspaces_need_the_shared_secret_even_beside_an_identity_provider(environment, monkeypatch):
    """They sign each person's API tokens with it, which the services verify beside the
    provider's only when it is fit for production."""
    environment(**{JWT: "awardpath-local-development-secret-change-me"})
    monkeypatch.setenv("AWARDPATH_JWKS_URL", "https://idp.example.org/.well-known/jwks.json")
    monkeypatch.setenv("AWARDPATH_WORKSPACE_SESSION_SECRET", "w0rK5pAc3s3ss10nS3cr3tAtl3aSt32ch")
    monkeypatch.setenv("AWARDPATH_WORKSPACE_PUBLIC_URL", "https://workspace.example.org")
    assert [problem.split(" ")[0] for problem in WorkspaceSettings().unsafe_settings()] == ["AWARDPATH_JWT_SECRET"]


def test_an_identity_provider_without_a_client_id_is_refused_naming_what_to_set(environment, monkeypatch):
    environment()
    monkeypatch.setenv("AWARDPATH_OIDC_ISSUER", "https://login.example.org")
    with pytest.raises(ValueError, match="AWARDPATH_OIDC_ISSUER needs AWARDPATH_OIDC_CLIENT_ID"):
        WorkspaceSettings()
    monkeypatch.setenv("AWARDPATH_OIDC_CLIENT_ID", "awardpath")
    assert WorkspaceSettings().oidc_client_id == "awardpath"
