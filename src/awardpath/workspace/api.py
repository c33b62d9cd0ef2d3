"""The three APIs as the signed-in person calls them: every request carries a bearer token
for that person's role and subject, minted for minutes, so the services decide what the
page may show exactly as they do for any client."""

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal

import httpx
from fastapi import Depends, Request

from awardpath.workspace.sessions import Person, signed_in
from awardpath.workspace.settings import WorkspaceSettings
from awardpath_shared.auth import Role, mint_token

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
        self._page_size = settings.workspace_page_size
        token = mint_token(settings, person.role, person.subject, TOKEN_LIFETIME)
        self._headers = {"Authorization": f"Bearer {token}"}

    async def get(self, service: Service, path: str, **params: Any) -> httpx.Response:
        """A GET; a parameter given as None is left out (httpx would send it empty)."""
        given = {name: value for name, value in params.items() if value is not None}
        return await self._client.get(self._urls[service] + path, params=given, headers=self._headers)

    async def get_page(self, service: Service, path: str, cursor: str | None, **params: Any) -> httpx.Response:
        """One page of a list, as many rows as the workspace's pages show (its "next" link
        carries the cursor)."""
        return await self.get(service, path, limit=self._page_size, cursor=cursor, **params)

    async def post(self, service: Service, path: str, body: Any = None) -> httpx.Response:
        return await self._client.post(self._urls[service] + path, json=body, headers=self._headers)

    async def stream(self, service: Service, path: str, headers: dict[str, str], **params: str) -> httpx.Response:
        """A GET whose body is read as it comes (the caller closes the response)."""
        url = self._urls[service] + path
        request = self._client.build_request("GET", url, params=params, headers={**self._headers, **headers})
        return await self._client.send(request, stream=True)

    async def patch(self, service: Service, path: str, body: Any) -> httpx.Response:
        return await self._client.patch(self._urls[service] + path, json=body, headers=self._headers)


def api_for(role: Role) -> Callable[[Request, Person], PersonalApi]:
    """The dependency of one role's pages: the signed-in person's API, or 403 (another role)."""

    def personal_api(request: Request, person: Annotated[Person, Depends(signed_in)]) -> PersonalApi:
        if person.role != role:
            raise PermissionError(f"these pages are for the {role} role")
        return PersonalApi(request.app.state.settings, request.app.state.http, person)

    return personal_api


def problem_detail(answer: httpx.Response) -> str:
    """An API's refusal in its own words (they name no one the page's reader may not see)."""
    try:
        problem = answer.json()
        return str(problem.get("detail") or problem.get("title"))
    except ValueError:
        return "The service did not answer as expected; try again in a moment."


def refused_fields(
    answer: httpx.Response, field_of: Callable[[list[Any]], str], hints: Mapping[str, str] | None = None
) -> dict[str, str]:
    """An API's 422 findings as messages by form field (`field_of` maps a finding's `loc`),
    the first per field, a field's hint in place of the API's words where the page has one;
    the API's detail for the whole form when no finding names a field."""
    errors: dict[str, str] = {}
    for finding in answer.json().get("errors", []):
        field = field_of(list(finding.get("loc", [])))
        errors.setdefault(field, (hints or {}).get(field, str(finding.get("msg"))))
    return errors or {"form": problem_detail(answer)}
