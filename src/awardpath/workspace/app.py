"""Wiring of the workspaces: one FastAPI app, its session cookies, the sign-in pages, the
assessor's, issuer's and administrator's pages, and the HTTP client the pages call the APIs
with (opened by the lifespan)."""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.middleware.sessions import SessionMiddleware

from awardpath.workspace import admin, assessor, catalog, issuer, oidc
from awardpath.workspace.pages import page, problem_page, refreshing
from awardpath.workspace.sessions import ROLE_PAGES, ForgedForm, NotSignedIn, check_form, signed_in, start_session
from awardpath.workspace.settings import WorkspaceSettings
from awardpath.workspace.sign_in import SignInLinks, TakenInRedis, TakenInThisProcess, TakenLinks

logger = logging.getLogger(__name__)


def create_workspace_app(settings: WorkspaceSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            app.state.http = await stack.enter_async_context(httpx.AsyncClient(timeout=30))
            taken: TakenLinks = TakenInThisProcess()
            if settings.workspace_redis_url:
                # A Redis that does not answer fails a sign-in in seconds (503), not after TCP's minutes.
                redis = Redis.from_url(settings.workspace_redis_url, socket_connect_timeout=2, socket_timeout=2)
                stack.push_async_callback(redis.aclose)
                taken = TakenInRedis(redis)
            app.state.sign_in_links = SignInLinks(settings, taken)
            yield

    app = FastAPI(title="Awardpath workspaces", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.identity_provider = oidc.identity_provider(settings) if settings.oidc_issuer else None
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.workspace_session_secret,
        session_cookie="awardpath_session",
        max_age=int(settings.session_hours * 3600),
        same_site="lax",
        https_only=settings.served_over_https,
    )
    app.middleware("http")(_security_headers)
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static")
    app.add_exception_handler(NotSignedIn, _sign_in_first)
    app.add_exception_handler(ForgedForm, _forged)
    app.add_exception_handler(PermissionError, _not_yours)
    app.add_exception_handler(RequestValidationError, _names_nothing)
    app.add_exception_handler(httpx.HTTPError, _api_unreachable)
    app.add_api_route("/health/live", _live, methods=["GET"])
    app.add_api_route("/", _home, methods=["GET"], response_class=HTMLResponse)
    app.add_api_route("/sign-in", _sign_in_page, methods=["GET"], response_class=HTMLResponse)
    app.add_api_route("/sign-in", _sign_in, methods=["POST"])
    app.add_api_route("/sign-out", _sign_out, methods=["POST"])
    if settings.oidc_issuer:
        app.include_router(oidc.router)
    for pages in (assessor.router, issuer.router, catalog.router, admin.router):
        app.include_router(pages)
    return app


Handler = Callable[[Request], Awaitable[Response]]


# Evidence files play through this app (pages.streamed_file): nothing is loaded from elsewhere,
# no link leaves in a Referer, and only these pages frame anything of it (a PDF's viewer).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'self'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


# Pages hold a person's work: never cached. The scripts and styles (htmx is 52 kB) are asked
# for by their content's digest (pages.STATIC_VERSION), so a browser may keep them for good.
STATIC_CACHING = "public, max-age=31536000, immutable"


async def _security_headers(request: Request, call_next: Handler) -> Response:
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    if request.url.path.startswith("/static/"):
        response.headers["Cache-Control"] = STATIC_CACHING
    return response


async def _live() -> dict[str, str]:
    return {"status": "ok"}


async def _home(request: Request) -> Response:
    person = signed_in(request)
    if person.role in ROLE_PAGES:
        return RedirectResponse(ROLE_PAGES[person.role], status_code=303)
    return page(request, "home.html")


async def _sign_in_page(request: Request, token: str = "") -> Response:
    """A link opened (perhaps by a mail scanner) signs nobody in: the person presses Continue.
    Without a link, the page offers the identity provider, when one is set up."""
    return page(request, "sign_in.html", token=token, identity_provider=bool(request.app.state.identity_provider))


async def _sign_in(request: Request, token: Annotated[str, Form()] = "") -> Response:
    try:
        person = await request.app.state.sign_in_links.take(token)
    except RedisError:
        logger.exception("the store of taken sign-in links did not answer")
        detail = "Try the link again shortly; if it is then refused, ask for a new one."
        return problem_page(request, 503, "Sign-in is unavailable for a moment", detail)
    if person is None:
        return problem_page(
            request, 400, "This sign-in link does not work", "It was used already or has expired: ask for a new one."
        )
    start_session(request, person, request.app.state.settings.session_hours)
    return RedirectResponse("/", status_code=303)


async def _sign_out(request: Request, form_token: Annotated[str | None, Form()] = None) -> Response:
    check_form(request, form_token)
    request.session.clear()
    return page(request, "message.html", title="Signed out", detail="You are signed out.")


async def _sign_in_first(request: Request, _error: Exception) -> Response:
    if request.headers.get("HX-Request") == "true":
        return Response(headers={"HX-Refresh": "true"})  # the whole page then asks to sign in
    if request.app.state.identity_provider is not None and request.method == "GET":
        return RedirectResponse("/sign-in", status_code=303)
    return problem_page(request, 401, "Please sign in", "Open the sign-in link you were given.")


async def _forged(request: Request, _error: Exception) -> Response:
    return problem_page(request, 403, "This form was not sent from your page", "Reload the page and try again.")


async def _names_nothing(request: Request, _error: Exception) -> Response:
    """An address whose ids could not be ours (every id in a path is checked, as the APIs do)."""
    return problem_page(request, 404, "Nothing is here", "This address names nothing: follow a link from your pages.")


async def _api_unreachable(request: Request, error: Exception) -> Response:
    """An API that did not answer (restarting, too slow): a list's own refresh keeps what it
    shows; anything else says so, as a page."""
    logger.warning("an API did not answer: %r", error)
    if refreshing(request):
        return Response(status_code=204)
    return problem_page(request, 502, "A service did not answer", "Try again in a moment.")


async def _not_yours(request: Request, error: Exception) -> Response:
    return problem_page(request, 403, "Not your workspace", str(error))
