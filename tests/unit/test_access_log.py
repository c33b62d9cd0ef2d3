"""The access log of every API server: each request's path, never its query string (a query
can carry an earner's id: `GET /v1/submissions?earner_external_id=...`), in either log format,
with the request's trace id."""

import asyncio
import json
import logging
import socket

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from awardpath.processes import server_config
from awardpath_shared.logs import LOG_FORMAT_VARIABLE
from awardpath_shared.observability import RequestTracing
from tests.support.polling import eventually

SECRET = "teacher-secret-xq-41"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture
def uvicorn_logging_restored():
    """uvicorn configures logging globally (its handlers write to the stream this test
    captures): put the loggers back as they were afterwards."""
    loggers = [logging.getLogger(name) for name in UVICORN_LOGGERS]
    saved = [(logger.handlers[:], logger.filters[:]) for logger in loggers]
    yield
    for logger, (handlers, filters) in zip(loggers, saved, strict=True):
        logger.handlers[:] = handlers
        logger.filters[:] = filters


def listing_app() -> FastAPI:
    app = FastAPI()

    @app.get("/v1/submissions")
    async def listing(earner_external_id: str | None = None) -> dict[str, list[str]]:
        return {"items": []}

    app.add_middleware(RequestTracing, service="awardpath-test")
    return app


@pytest.mark.parametrize("log_format", ["json", "text"])
@pytest.mark.parametrize("http", ["httptools", "h11"])
async def test_the_access_log_carries_the_path_without_the_query_string(
    http, log_format, capsys, monkeypatch, uvicorn_logging_restored
):
    monkeypatch.setenv(LOG_FORMAT_VARIABLE, log_format)
    # The launcher's own server config: its log config sends access lines to stdout, captured here.
    config = server_config(listing_app(), "127.0.0.1", 0)
    config.http = http
    server = uvicorn.Server(config)
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        port = listening.getsockname()[1]
        serving = asyncio.create_task(server.serve(sockets=[listening]))
        try:
            await eventually(lambda: server.started or serving.done())
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                response = await client.get(
                    "/v1/submissions",
                    params={"earner_external_id": SECRET, "limit": 5},
                    headers={"traceparent": TRACEPARENT},
                )
            assert response.status_code == 200
        finally:
            server.should_exit = True
            await serving

    logged = capsys.readouterr()
    assert SECRET not in logged.out + logged.err
    assert "earner_external_id" not in logged.out + logged.err
    [line] = [line for line in logged.out.splitlines() if "/v1/submissions" in line]
    if log_format == "text":
        assert '"GET /v1/submissions HTTP/1.1" 200' in line  # the line is there, path and all
        assert f"trace_id={TRACE_ID}" in line
        return
    fields = json.loads(line)
    assert fields["logger"] == "uvicorn.access"
    assert '"GET /v1/submissions HTTP/1.1" 200' in fields["message"]
    assert (fields["http_method"], fields["http_path"], fields["http_status"]) == ("GET", "/v1/submissions", 200)
    assert fields["trace_id"] == TRACE_ID  # the caller's trace, continued
    assert fields["service"] == "awardpath-test"
