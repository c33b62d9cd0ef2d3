"""Demo data for `make run`: an issuer, a micro-credential and an assessor, made through the
public APIs, plus ready-to-use tokens written to `var/demo.env`.

Seeding is idempotent against the databases themselves: each record is looked up by its
natural key first (the demo micro-credential by its title and its issuer's name, the demo
assessor by its id) and made only when missing. `var/demo.env` is only a hint (it may name
records of another database) and is rewritten from what was found.
"""

import contextlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from awardpath_shared.auth import mint_token
from awardpath_shared.settings import ServiceSettings

DEMO_PLATFORM = "demo-platform"
DEMO_ASSESSOR = "demo-assessor"
DEMO_ADMIN = "demo-admin"
DEMO_ISSUER = {"name": "Awardpath Demo Issuer", "url": "https://issuer.example.org", "email": "badges@example.org"}
# The catalog is searched this many pages deep for the demo micro-credential (a demo database
# holds a few; a bound keeps a large catalog from stalling startup).
CATALOG_PAGES = 20

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


async def seed_demo(
    settings: ServiceSettings, urls: dict[str, str], env_file: Path, client: httpx.AsyncClient | None = None
) -> dict[str, str]:
    """Find or make the demo records through the APIs at `urls`, write `env_file` from them
    (fresh tokens included) and return what it holds."""
    admin = mint_token(settings, "admin", DEMO_ADMIN)
    async with contextlib.AsyncExitStack() as stack:
        if client is None:
            client = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
        api = _Api(client, admin)
        issuer_id, micro_credential_id = await _issuer_and_micro_credential(
            api, settings, urls["award"], _read_env(env_file).get("ISSUER_ID")
        )
        await _assessor(api, urls["assessment"], micro_credential_id)
    env = {
        "SUBMISSION_URL": urls["submission"],
        "ASSESSMENT_URL": urls["assessment"],
        "AWARD_URL": urls["award"],
        "ISSUER_ID": issuer_id,
        "MICRO_CREDENTIAL_ID": micro_credential_id,
        "ADMIN_TOKEN": admin,
        "PLATFORM_TOKEN": mint_token(settings, "platform", DEMO_PLATFORM),
        "ASSESSOR_TOKEN": mint_token(settings, "assessor", DEMO_ASSESSOR),
        "ISSUER_TOKEN": mint_token(settings, "issuer", issuer_id),
    }
    _write_env(env_file, env)
    return env


class _Api:
    """JSON calls with a bearer token (the admin's unless another is given)."""

    def __init__(self, client: httpx.AsyncClient, admin: str) -> None:
        self._client = client
        self._admin = admin

    async def get(self, url: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The resource, or None when there is none (404)."""
        response = await self._client.get(url, params=params, headers=self._auth(None))
        if response.status_code == 404:
            return None
        return self._json(response)

    async def send(self, method: str, url: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        return self._json(await self._client.request(method, url, json=body, headers=self._auth(token)))

    def _auth(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self._admin}"}

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        response.raise_for_status()
        found: dict[str, Any] = response.json()
        return found


async def _issuer_and_micro_credential(
    api: _Api, settings: ServiceSettings, award: str, hinted_issuer: str | None
) -> tuple[str, str]:
    """The demo issuer and micro-credential: found in the catalog, else made (the issuer
    `demo.env` names is reused when it is still the demo issuer, e.g. after a crash between
    the two)."""
    hinted = await api.get(f"{award}/v1/issuers/{quote(hinted_issuer, safe='')}") if hinted_issuer else None
    issuer_id = hinted["id"] if hinted and hinted["name"] == DEMO_ISSUER["name"] else None
    found = await _demo_micro_credential(api, award, issuer_id)
    if found is not None:
        return found["issuer_id"], found["id"]
    if issuer_id is None:
        issuer_id = (await api.send("POST", f"{award}/v1/issuers", DEMO_ISSUER))["id"]
    issuer_token = mint_token(settings, "issuer", issuer_id)
    body = {**DEMO_MICRO_CREDENTIAL, "issuer_id": issuer_id}
    created = await api.send("POST", f"{award}/v1/micro-credentials", body, issuer_token)
    return issuer_id, created["id"]


async def _demo_micro_credential(api: _Api, award: str, issuer_id: str | None) -> dict[str, Any] | None:
    """The oldest catalog entry with the demo title published by the demo issuer (by
    `issuer_id` when given, else any issuer of the demo issuer's name)."""
    params: dict[str, Any] = {"limit": 200, **({"issuer_id": issuer_id} if issuer_id else {})}
    for _ in range(CATALOG_PAGES):
        page = await api.get(f"{award}/v1/micro-credentials", params) or {}
        entries: list[dict[str, Any]] = page.get("items", [])
        for entry in entries:
            if entry["title"] == DEMO_MICRO_CREDENTIAL["title"] and (
                issuer_id is not None or await _is_demo_issuer(api, award, entry["issuer_id"])
            ):
                return entry
        if not page.get("next_cursor"):
            return None
        params["cursor"] = page["next_cursor"]
    return None


async def _is_demo_issuer(api: _Api, award: str, issuer_id: str) -> bool:
    issuer = await api.get(f"{award}/v1/issuers/{quote(issuer_id, safe='')}")
    return issuer is not None and issuer["name"] == DEMO_ISSUER["name"]


async def _assessor(api: _Api, assessment: str, micro_credential_id: str) -> None:
    """The demo assessor, made once; when it exists (seeded before, maybe for a micro-credential
    of another award database) it is also granted this micro-credential."""
    url = f"{assessment}/v1/assessors/{DEMO_ASSESSOR}"
    existing = await api.get(url)
    if existing is None:
        body = {
            "id": DEMO_ASSESSOR,
            "display_name": "Demo Assessor",
            "micro_credential_ids": [micro_credential_id],
            "capacity": 10,
            "organization_id": "demo-assessor-university",
        }
        await api.send("POST", f"{assessment}/v1/assessors", body)
    elif micro_credential_id not in existing["micro_credential_ids"]:
        granted = [*existing["micro_credential_ids"], micro_credential_id]
        await api.send("PATCH", url, {"micro_credential_ids": granted})


def _read_env(env_file: Path) -> dict[str, str]:
    if not env_file.exists():
        return {}
    pairs = (line.removeprefix("export ").split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    return dict(pairs)


def _write_env(env_file: Path, env: dict[str, str]) -> None:
    env_file.parent.mkdir(parents=True, exist_ok=True)
    env_file.write_text("".join(f"export {key}={value}\n" for key, value in env.items()))
