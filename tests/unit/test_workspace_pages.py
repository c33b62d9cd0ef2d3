"""The workspace app as one layer, its APIs answered by a stand-in (httpx's MockTransport):
what a page does when one of its API calls is refused or not answered, and what may be
cached."""

import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager

from awardpath.workspace.app import create_workspace_app
from awardpath.workspace.settings import WorkspaceSettings
from awardpath.workspace.sign_in import sign_in_link
from tests.support.sign_in import token_of

SETTINGS = WorkspaceSettings()
EMPTY_PAGE = {"items": [], "next_cursor": None}


def older_assessment_api(request: httpx.Request) -> httpx.Response:
    """The APIs as they answer an administrator, but for an assessment API without releases."""
    if request.url.path == "/v1/releases":
        return httpx.Response(404, json={"title": "Not Found", "status": 404})
    if request.url.path in ("/v1/unassigned", "/v1/overdue"):
        return httpx.Response(200, json={**EMPTY_PAGE, "count": 0})
    return httpx.Response(200, json=EMPTY_PAGE)


def restarting_api(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


async def workspace_calling(api: Callable[[httpx.Request], httpx.Response]) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the workspace app whose API calls `api` answers."""
    app = create_workspace_app(SETTINGS)
    async with LifespanManager(app):
        app.state.http = httpx.AsyncClient(transport=httpx.MockTransport(api))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://workspace") as client:
            yield client
        await app.state.http.aclose()


@pytest.fixture
async def workspace():
    async for client in workspace_calling(older_assessment_api):
        yield client


@pytest.fixture
async def unreachable():
    async for client in workspace_calling(restarting_api):
        yield client


async def sign_in(client: httpx.AsyncClient, role: str, subject: str) -> None:
    signed = await client.post("/sign-in", data={"token": token_of(sign_in_link(SETTINGS, role, subject))})
    assert signed.status_code == 303


async def test_the_pool_shows_without_the_releases_an_older_api_lacks(workspace):
    await sign_in(workspace, "admin", "ops")
    pool = await workspace.get("/admin")
    assert pool.status_code == 200
    assert "The work handed back cannot be read just now." in pool.text
    assert "No assessor is in the pool yet." in pool.text


async def test_pages_are_never_cached_and_their_scripts_are_kept_by_version(workspace):
    sign_in_page = await workspace.get("/sign-in")
    assert sign_in_page.headers["cache-control"] == "no-store"
    (script,) = re.findall(r'src="(/static/htmx\.min\.js\?v=[0-9a-f]+)"', sign_in_page.text)
    answer = await workspace.get(script)
    assert answer.status_code == 200 and "immutable" in answer.headers["cache-control"]


async def test_an_api_that_does_not_answer_is_a_page_and_a_refresh_keeps_the_list(unreachable):
    await sign_in(unreachable, "issuer", "issuer-1")
    page = await unreachable.get("/issuer")
    assert page.status_code == 502 and "A service did not answer" in page.text
    refresh = await unreachable.get("/issuer", headers={"HX-Request": "true", "HX-Trigger": "waiting-work"})
    assert refresh.status_code == 204
