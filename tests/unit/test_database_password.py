"""The database password reaches the server exactly as the operator wrote it, whatever its
characters: given apart from the URL (PGPASSWORD, what the deployments do), or percent-encoded
in it. A fake server asks for the password in clear text and records what arrives."""

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from awardpath_shared.db import create_engine

PASSWORD = "p@ss/w:rd%41 #1?"
SSL_REQUEST = 80877103
AUTHENTICATION_CLEARTEXT_PASSWORD = 3


@asynccontextmanager
async def password_catcher():
    """A server that speaks PostgreSQL's protocol up to the password: (port, future of it)."""
    received: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # an SSLRequest first, perhaps: refused, then the startup message
                length = int.from_bytes(await reader.readexactly(4), "big")
                body = await reader.readexactly(length - 4)
                if int.from_bytes(body[:4], "big") != SSL_REQUEST:
                    break
                writer.write(b"N")
            writer.write(b"R" + (8).to_bytes(4, "big") + AUTHENTICATION_CLEARTEXT_PASSWORD.to_bytes(4, "big"))
            await writer.drain()
            assert await reader.readexactly(1) == b"p"
            length = int.from_bytes(await reader.readexactly(4), "big")
            received.set_result((await reader.readexactly(length - 4)).rstrip(b"\0").decode())
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], received
    finally:
        server.close()
        await server.wait_closed()


async def sent_password(url_of, monkeypatch, tmp_path: Path, pgpassword: str | None) -> str:
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    if pgpassword is None:
        monkeypatch.delenv("PGPASSWORD", raising=False)
    else:
        monkeypatch.setenv("PGPASSWORD", pgpassword)
    async with password_catcher() as (port, received):
        engine = create_engine(url_of(port), "submission")
        try:
            with pytest.raises(DBAPIError):  # the fake server ends the conversation after the password
                async with engine.connect():
                    pass
        finally:
            await engine.dispose()
        return await asyncio.wait_for(received, timeout=10)


async def test_a_password_given_apart_from_the_url_arrives_verbatim(monkeypatch, tmp_path):
    def url_of(port: int) -> str:
        return f"postgresql+asyncpg://awardpath@127.0.0.1:{port}/awardpath"

    assert await sent_password(url_of, monkeypatch, tmp_path, PASSWORD) == PASSWORD


async def test_a_password_percent_encoded_in_the_url_arrives_decoded(monkeypatch, tmp_path):
    def url_of(port: int) -> str:
        return f"postgresql+asyncpg://awardpath:p%40ss%2Fw%3Ard%2541%20%231%3F@127.0.0.1:{port}/awardpath"

    assert await sent_password(url_of, monkeypatch, tmp_path, None) == PASSWORD
