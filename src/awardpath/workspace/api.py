"""The three APIs as the signed-in person calls them: every request carries a bearer token
for that person's role and subject, minted for minutes, so the services decide what the
page may show exactly as they do for any client."""

from datetime import timedelta
from typing import Any, Literal

import httpx

from awardpath.workspace.sessions import Person
from awardpath.workspace.settings import WorkspaceSettings
from awardpath_shared.auth import mint_token

Service = Literal["submission", "assessment", "award"]
TOKEN_LIFETIME = timedelta(minutes=5)


class PersonalApi:
    def __init__(self, settings: WorkspaceSettings, client: httpx.AsyncClient, person: Person) -> None:
        self._urls = {
            "submission": settings.submission_url,
            "assessment": settings.assessment_url,
            "award": settings.award_url,
        }
        self._client = client
        token = mint_token(settings, person.role, person.subject, TOKEN_LIFETIME)
        self._headers = {"Authorization": f"Bearer {token}"}

    async def get(self, service: Service, path: str, **params: Any) -> httpx.Response:
        return await self._client.get(self._urls[service] + path, params=params, headers=self._headers)

    async def post(self, service: Service, path: str, body: Any = None) -> httpx.Response:
        return await self._client.post(self._urls[service] + path, json=body, headers=self._headers)
