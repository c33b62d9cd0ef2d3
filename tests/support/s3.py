"""An S3-protocol server for the tests: moto's, in a child process on a free loopback port,
with one bucket. Each user takes a prefix of its own (`new_prefix`), so tests share the bucket
without seeing each other's files."""

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from aiobotocore.session import ClientCreatorContext, get_session
from types_aiobotocore_s3 import S3Client

from tests.support.polling import eventually
from tests.support.system import free_port

BUCKET = "awardpath-evidence"
REGION = "us-east-1"
# moto takes any credentials; these only have to be present.
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"


class MotoServer:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.bucket = BUCKET
        self.log_path = directory / "moto.log"
        self._process: asyncio.subprocess.Process | None = None

    def storage_overrides(self, prefix: str) -> dict[str, Any]:
        """`EvidenceStorageSettings` fields for the bucket under `prefix`."""
        return {
            "storage_backend": "s3",
            "s3_bucket": self.bucket,
            "s3_prefix": prefix,
            "s3_endpoint_url": self.endpoint_url,
            "s3_region": REGION,
            "s3_access_key_id": ACCESS_KEY_ID,
            "s3_secret_access_key": SECRET_ACCESS_KEY,
            "s3_path_style": True,
        }

    async def start(self) -> None:
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port), stdout=log, stderr=log
            )
        await eventually(self._answers, timeout=30)
        await self._create_bucket()

    async def stop(self) -> None:
        if self._process is None or self._process.returncode is not None:
            return
        self._process.terminate()
        try:
            await asyncio.wait_for(self._process.wait(), timeout=10)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()

    async def _answers(self) -> bool:
        assert self._process is not None
        if self._process.returncode is not None:
            raise RuntimeError(f"moto exited early:\n{self.log_path.read_text()}")
        try:
            async with httpx.AsyncClient(timeout=1) as client:
                return (await client.get(f"{self.endpoint_url}/moto-api/")).status_code == 200
        except httpx.HTTPError:
            return False

    async def open_uploads(self, prefix: str) -> list[str]:
        """The keys of the multipart uploads under `prefix` that were neither completed nor aborted."""
        async with self._client() as client:
            listed = await client.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix)
        return [upload["Key"] for upload in listed.get("Uploads", [])]

    async def _create_bucket(self) -> None:
        async with self._client() as client:
            await client.create_bucket(Bucket=self.bucket)

    def _client(self) -> "ClientCreatorContext[S3Client]":
        return get_session().create_client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )


def new_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:10]}/"


@asynccontextmanager
async def moto_s3(directory: Path) -> AsyncIterator[MotoServer]:
    """A running moto server with the bucket, stopped on the way out; its log in `directory`."""
    server = MotoServer(directory)
    try:
        await server.start()
        yield server
    finally:
        await server.stop()
