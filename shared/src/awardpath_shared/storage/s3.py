"""Evidence in an S3 bucket (AWS or an S3-compatible server: MinIO, Ceph, moto), under a prefix.

Uploads are S3's own multipart uploads: clients may send parts straight to S3 by presigned
URL, so large videos never pass through a service. S3 stores a part or an object only once it
has all of its bytes, so nothing cut off halfway is ever listed or visible.
"""

import asyncio
import logging
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from typing import IO, TYPE_CHECKING, NoReturn

from aiobotocore.config import AioConfig
from aiobotocore.session import ClientCreatorContext, get_session
from botocore.exceptions import ClientError

from awardpath_shared.storage.base import (
    READ_CHUNK_SIZE,
    StoredObjectMissing,
    StoredPart,
    UploadRejected,
    check_part_number,
    check_range,
    checked_key,
    parts_problem,
)

if TYPE_CHECKING:  # the client's types are a development dependency
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef

logger = logging.getLogger(__name__)

# `write` sends objects larger than this as a multipart upload of parts this large: memory
# stays bounded and each request stays short.
WRITE_PART_SIZE = 8 * 1024 * 1024
# A part given to `put_part` waits in memory up to this size, then in a temporary file: S3 needs
# a part's length before its bytes.
SPOOL_MEMORY_SIZE = 1024 * 1024
# A readiness check gives up (the store counts as unreachable) after this long.
REACHABLE_CHECK_SECONDS = 5.0
# S3's answers about an upload that cannot make the object.
_REJECTIONS = {"NoSuchUpload", "InvalidPart", "InvalidPartOrder", "EntityTooSmall"}


class S3EvidenceStorage:
    def __init__(self, client: "Callable[[], ClientCreatorContext[S3Client]]", bucket: str, prefix: str) -> None:
        self._make_client = client
        self._client_context: ClientCreatorContext[S3Client] | None = None
        self._client: S3Client | None = None
        self._connecting = asyncio.Lock()
        self._bucket = bucket
        # A folder of the bucket: "evidence" and "evidence/" both store `files/x` at `evidence/files/x`.
        self._prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""

    async def _s3(self) -> "S3Client":
        """The client, made at first use: a process builds its store before its event loop runs."""
        async with self._connecting:
            if self._client is None:
                self._client_context = self._make_client()
                self._client = await self._client_context.__aenter__()
        return self._client

    @classmethod
    def open(
        cls,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        path_style: bool = False,
    ) -> "S3EvidenceStorage":
        """A client of the bucket; unset credentials come from AWS's default chain (environment,
        profile, instance or pod role). `path_style`: bucket in the path, as most S3-compatible
        servers want, not in the host name."""
        config = AioConfig(s3={"addressing_style": "path" if path_style else "auto"})
        return cls(
            lambda: get_session().create_client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                config=config,
            ),
            bucket,
            prefix,
        )

    # ---- multipart uploads ---------------------------------------------------------------

    async def start_upload(self, key: str) -> str:
        started = await (await self._s3()).create_multipart_upload(Bucket=self._bucket, Key=self._name(key))
        return started["UploadId"]

    async def presigned_part_url(self, key: str, upload_ref: str, number: int, expires_in: int) -> str | None:
        check_part_number(number)
        return await (await self._s3()).generate_presigned_url(
            "upload_part",
            Params={"Bucket": self._bucket, "Key": self._name(key), "UploadId": upload_ref, "PartNumber": number},
            ExpiresIn=expires_in,
        )

    async def put_part(self, key: str, upload_ref: str, number: int, chunks: AsyncIterable[bytes]) -> StoredPart:
        check_part_number(number)
        name = self._name(key)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_SIZE) as spool:
            async for chunk in chunks:
                await asyncio.to_thread(spool.write, chunk)
            size = await asyncio.to_thread(spool.tell)
            await asyncio.to_thread(spool.seek, 0)
            try:
                return await self._send_part(name, upload_ref, number, spool, size)
            except ClientError as error:
                _reject_or_raise(error, key, upload_ref)

    async def parts(self, key: str, upload_ref: str) -> list[StoredPart]:
        name = self._name(key)
        listed = []
        try:
            pages = (
                (await self._s3())
                .get_paginator("list_parts")
                .paginate(Bucket=self._bucket, Key=name, UploadId=upload_ref)
            )
            async for page in pages:
                listed += [
                    StoredPart(part["PartNumber"], part["Size"], part["ETag"].strip('"'))
                    for part in page.get("Parts", [])
                ]
        except ClientError as error:
            if _code(error) == "NoSuchUpload":
                return []
            raise
        return sorted(listed, key=lambda part: part.number)

    async def complete_upload(self, key: str, upload_ref: str, parts: Sequence[StoredPart]) -> int:
        name = self._name(key)
        problem = parts_problem(parts)
        if problem is not None:
            raise UploadRejected(key, upload_ref, problem)
        try:
            await self._complete(name, upload_ref, parts)
        except ClientError as error:
            _reject_or_raise(error, key, upload_ref)
        # S3's word for the size, not the sum of sizes the caller states.
        size = await self.size(key)
        if size is None:
            raise StoredObjectMissing(key)  # deleted right after it was made
        return size

    async def abort_upload(self, key: str, upload_ref: str) -> None:
        try:
            await (await self._s3()).abort_multipart_upload(
                Bucket=self._bucket, Key=self._name(key), UploadId=upload_ref
            )
        except ClientError as error:
            if _code(error) != "NoSuchUpload":
                raise

    # ---- objects -------------------------------------------------------------------------

    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        name = self._name(key)
        buffer = bytearray()
        upload_ref: str | None = None
        parts: list[StoredPart] = []
        try:
            async for chunk in chunks:
                buffer += chunk
                # Only more than a part goes out, so the last part is never empty.
                while len(buffer) > WRITE_PART_SIZE:
                    upload_ref = upload_ref or await self.start_upload(key)
                    part = bytes(buffer[:WRITE_PART_SIZE])
                    del buffer[:WRITE_PART_SIZE]
                    parts.append(await self._send_part(name, upload_ref, len(parts) + 1, part, len(part)))
            if upload_ref is None:
                await (await self._s3()).put_object(Bucket=self._bucket, Key=name, Body=bytes(buffer))
                return len(buffer)
            parts.append(await self._send_part(name, upload_ref, len(parts) + 1, bytes(buffer), len(buffer)))
            await self._complete(name, upload_ref, parts)
            return sum(part.size for part in parts)
        except BaseException:
            if upload_ref is not None:
                # Shielded: a cancelled write still drops its parts (S3 would keep, and bill, them).
                await asyncio.shield(self._abort_quietly(key, upload_ref))
            raise

    async def read(self, key: str, start: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        check_range(start, length)
        if length == 0:  # no Range header asks for nothing
            if await self.size(key) is None:
                raise StoredObjectMissing(key)
            return
        end = "" if length is None else str(start + length - 1)
        try:
            found = await (await self._s3()).get_object(
                Bucket=self._bucket, Key=self._name(key), Range=f"bytes={start}-{end}"
            )
        except ClientError as error:
            if _code(error) == "NoSuchKey":
                raise StoredObjectMissing(key) from None
            if _code(error) == "InvalidRange":  # starts at or past the end
                return
            raise
        async with found["Body"] as body:
            while chunk := await body.read(READ_CHUNK_SIZE):
                yield chunk

    async def size(self, key: str) -> int | None:
        try:
            head = await (await self._s3()).head_object(Bucket=self._bucket, Key=self._name(key))
        except ClientError as error:
            if _code(error) in {"404", "NoSuchKey"}:
                return None
            raise
        return head["ContentLength"]

    async def delete(self, key: str) -> None:
        await (await self._s3()).delete_object(Bucket=self._bucket, Key=self._name(key))

    async def reachable(self) -> bool:
        try:
            async with asyncio.timeout(REACHABLE_CHECK_SECONDS):
                await (await self._s3()).head_bucket(Bucket=self._bucket)
        except Exception as error:  # readiness reports, never raises
            logger.warning("evidence store unreachable: %r", error)
            return False
        return True

    async def close(self) -> None:
        if self._client_context is not None and self._client is not None:
            await self._client_context.__aexit__(None, None, None)
            self._client = None

    # ---- helpers -------------------------------------------------------------------------

    def _name(self, key: str) -> str:
        return self._prefix + checked_key(key)

    async def _send_part(
        self, name: str, upload_ref: str, number: int, body: bytes | IO[bytes], size: int
    ) -> StoredPart:
        sent = await (await self._s3()).upload_part(
            Bucket=self._bucket, Key=name, UploadId=upload_ref, PartNumber=number, Body=body, ContentLength=size
        )
        return StoredPart(number, size, sent["ETag"].strip('"'))

    async def _complete(self, name: str, upload_ref: str, parts: Sequence[StoredPart]) -> None:
        listed: list[CompletedPartTypeDef] = [{"PartNumber": part.number, "ETag": f'"{part.etag}"'} for part in parts]
        await (await self._s3()).complete_multipart_upload(
            Bucket=self._bucket, Key=name, UploadId=upload_ref, MultipartUpload={"Parts": listed}
        )

    async def _abort_quietly(self, key: str, upload_ref: str) -> None:
        try:
            await self.abort_upload(key, upload_ref)
        except Exception as error:  # the write's own error is the one to raise
            logger.warning("could not abort the failed write of %s (upload %s): %r", key, upload_ref, error)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _reject_or_raise(error: ClientError, key: str, upload_ref: str) -> NoReturn:
    if _code(error) in _REJECTIONS:
        raise UploadRejected(key, upload_ref, _code(error)) from None
    raise error
