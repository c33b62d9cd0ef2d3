"""Demo data for `make run`: an issuer, a micro-credential and an assessor, made through the
public APIs, plus ready-to-use tokens written to `var/demo.env`."""

from pathlib import Path
from typing import Any

import httpx

from awardpath_shared.auth import mint_token
from awardpath_shared.settings import ServiceSettings

DEMO_PLATFORM = "demo-platform"
DEMO_ASSESSOR = "demo-assessor"

DEMO_MICRO_CREDENTIAL = {
    "title": "Belonging and Caring Classroom Climate",
    "competency": "The educator creates a classroom climate where students feel cared for and that they belong.",
    "key_method": "Student check-in circles held regularly, with follow-up on what students share.",
    "max_attempts": 3,
    "decision_policy": "manual",
    "sections": [
        {
            "id": "overview",
            "title": "Overview questions",
            "prompt": "Describe your students and why belonging matters in your classroom.",
            "evidence": "text",
            "levels": [{"id": "not_yet", "name": "Not yet"}, {"id": "proficient", "name": "Proficient"}],
            "passing_level": "proficient",
        },
        {
            "id": "artifacts",
            "title": "Classroom evidence",
            "prompt": "Share a check-in circle plan and student reflections, with your annotations.",
            "evidence": "text",
            "levels": [{"id": "not_yet", "name": "Not yet"}, {"id": "proficient", "name": "Proficient"}],
            "passing_level": "proficient",
        },
        {
            "id": "reflection",
            "title": "Reflection",
            "prompt": "What changed for your students, and what will you do next?",
            "evidence": "text",
            "levels": [{"id": "not_yet", "name": "Not yet"}, {"id": "proficient", "name": "Proficient"}],
            "passing_level": "proficient",
        },
    ],
}


async def seed_demo(settings: ServiceSettings, urls: dict[str, str], env_file: Path) -> dict[str, str]:
    """Create the demo records unless `env_file` names ones that still exist; returns the env."""
    existing = _read_env(env_file)
    admin = mint_token(settings, "admin", "demo-admin")
    async with httpx.AsyncClient(timeout=10) as client:
        if (
            existing
            and (await client.get(f"{urls['award']}/v1/micro-credentials/{existing['MICRO_CREDENTIAL_ID']}")).is_success
        ):
            return existing
        issuer = await _post(
            client,
            f"{urls['award']}/v1/issuers",
            admin,
            {
                "name": "Awardpath Demo Issuer",
                "url": "https://issuer.example.org",
                "email": "badges@example.org",
            },
        )
        issuer_token = mint_token(settings, "issuer", issuer["id"])
        micro_credential = await _post(
            client,
            f"{urls['award']}/v1/micro-credentials",
            issuer_token,
            {**DEMO_MICRO_CREDENTIAL, "issuer_id": issuer["id"]},
        )
        await _post(
            client,
            f"{urls['assessment']}/v1/assessors",
            admin,
            {
                "id": DEMO_ASSESSOR,
                "display_name": "Demo Assessor",
                "micro_credential_ids": [micro_credential["id"]],
                "capacity": 10,
                "organization_id": "demo-assessor-university",
            },
        )
    env = {
        "SUBMISSION_URL": urls["submission"],
        "ASSESSMENT_URL": urls["assessment"],
        "AWARD_URL": urls["award"],
        "ISSUER_ID": issuer["id"],
        "MICRO_CREDENTIAL_ID": micro_credential["id"],
        "ADMIN_TOKEN": admin,
        "PLATFORM_TOKEN": mint_token(settings, "platform", DEMO_PLATFORM),
        "ASSESSOR_TOKEN": mint_token(settings, "assessor", DEMO_ASSESSOR),
        "ISSUER_TOKEN": issuer_token,
    }
    _write_env(env_file, env)
    return env


async def _post(client: httpx.AsyncClient, url: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    created: dict[str, Any] = response.json()
    return created


def _read_env(env_file: Path) -> dict[str, str]:
    if not env_file.exists():
        return {}
    pairs = (line.removeprefix("export ").split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    return dict(pairs)


def _write_env(env_file: Path, env: dict[str, str]) -> None:
    env_file.parent.mkdir(parents=True, exist_ok=True)
    env_file.write_text("".join(f"export {key}={value}\n" for key, value in env.items()))
