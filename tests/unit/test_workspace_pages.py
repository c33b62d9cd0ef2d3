"""The workspace app as one layer, its APIs answered by a stand-in (httpx's MockTransport):
what a page does when one of its API calls is refused, and what may be cached."""

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


@pytest.fixture
async def workspace():
    app = create_workspace_app(SETTINGS)
    async with LifespanManager(app):
        app.state.http = httpx.AsyncClient(transport=httpx.MockTransport(older_assessment_api))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://workspace") as client:
            yield client
        await app.state.http.aclose()


async def sign_in(client: httpx.AsyncClient, role: str, subject: str) -> None:
    signed = await client.post("/sign-in", data={"token": token_of(sign_in_link(SETTINGS, role, subject))})
    assert signed.status_code == 303


async def test_the_pool_shows_without_the_releases_an_older_api_lacks(workspace):
    await sign_in(workspace, "admin", "ops")
    pool = await workspace.get("/admin")
    assert pool.status_code == 200
    assert "The work handed back cannot be read just now." in pool.text
    assert "No assessor is in the pool yet." in pool.text


async def test_pages_are_never_cached_and_their_scripts_are_for_an_hour(workspace):
    assert (await workspace.get("/sign-in")).headers["cache-control"] == "no-store"
    script = await workspace.get("/static/htmx.min.js")
    assert script.status_code == 200 and script.headers["cache-control"] == "public, max-age=3600"
