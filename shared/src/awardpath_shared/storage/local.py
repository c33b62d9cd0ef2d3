"""Evidence in a directory: development and single-host deployments.

    <root>/<key>                              an object
    <root>/<dir>/.<name>.<random>.partial     an object being written (never read or listed)
    <root>/.uploads/<ref>/key                 the key the upload was started for
    <root>/.uploads/<ref>/<number>            a received part: "<size> <sha256> <blob>"
    <root>/.uploads/<ref>/<number>-<random>   a part's bytes (a blob)

A part is received into a fresh blob, then its number's record is replaced in one step, so a
listing sees the earlier part or the new one, never a part cut off halfway. Objects appear the
same way: a temporary file, fsynced, renamed over the key. Keys never start a name with a dot,
so no key reaches the bookkeeping. Blocking file work runs in threads, off the event loop.
"""

import asyncio
import contextlib
import hashlib
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from pathlib import Path
from typing import IO

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

UPLOADS = ".uploads"
KEY_RECORD = "key"
_UPLOAD_REF = re.compile(r"[0-9a-f]{32}")
# Joining parts copies whole files: big reads and writes, few system calls.
COPY_BUFFER_SIZE = 8 * 1024 * 1024


class LocalEvidenceStorage:
    def __init__(self, root: Path) -> None:
        self._root = root

    @classmethod
    def open(cls, root: Path) -> "LocalEvidenceStorage":
        """The store under `root`, created if need be."""
        root.mkdir(parents=True, exist_ok=True)
        return cls(root)

    # ---- multipart uploads ---------------------------------------------------------------

    async def start_upload(self, key: str) -> str:
        checked_key(key)
        upload_ref = secrets.token_hex(16)
        directory = self._root / UPLOADS / upload_ref
        await asyncio.to_thread(directory.mkdir, parents=True)
        await asyncio.to_thread(_write_durably, directory / KEY_RECORD, key.encode())
        return upload_ref

    async def presigned_part_url(self, key: str, upload_ref: str, number: int, expires_in: int) -> str | None:
        return None  # parts come through the service's own endpoint (put_part)

    async def put_part(self, key: str, upload_ref: str, number: int, chunks: AsyncIterable[bytes]) -> StoredPart:
        check_part_number(number)
        directory = await self._upload(key, upload_ref)
        blob = directory / f"{number}-{secrets.token_hex(8)}"
        digest = hashlib.sha256()
        size = await _receive(blob, chunks, digest)
        part = StoredPart(number, size, digest.hexdigest())
        try:
            replaced = await asyncio.to_thread(_record_part, directory, part, blob.name)
        except FileNotFoundError:  # aborted or completed while the part arrived
            raise UploadRejected(key, upload_ref, "no such upload") from None
        if replaced is not None:
            await asyncio.to_thread((directory / replaced).unlink, missing_ok=True)
        return part

    async def parts(self, key: str, upload_ref: str) -> list[StoredPart]:
        directory = await asyncio.to_thread(self._upload_directory, key, upload_ref)
        if directory is None:
            return []
        return await asyncio.to_thread(_listed_parts, directory)

    async def complete_upload(self, key: str, upload_ref: str, parts: Sequence[StoredPart]) -> int:
        target = self._path(key)
        problem = parts_problem(parts)
        if problem is not None:
            raise UploadRejected(key, upload_ref, problem)
        directory = await self._upload(key, upload_ref)
        size = await asyncio.to_thread(_join, directory, parts, target, key, upload_ref)
        await asyncio.to_thread(_remove_upload, directory)
        return size

    async def abort_upload(self, key: str, upload_ref: str) -> None:
        directory = await asyncio.to_thread(self._upload_directory, key, upload_ref)
        if directory is not None:
            await asyncio.to_thread(_remove_upload, directory)

    # ---- objects -------------------------------------------------------------------------

    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        target = self._path(key)
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        partial = _partial_beside(target)
        size = await _receive(partial, chunks, None)
        try:
            await asyncio.to_thread(_replace_durably, partial, target)
        except BaseException:
            await asyncio.shield(asyncio.to_thread(partial.unlink, missing_ok=True))
            raise
        return size

    async def read(self, key: str, start: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        check_range(start, length)
        path = self._path(key)
        try:
            file = await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise StoredObjectMissing(key) from None
        try:
            await asyncio.to_thread(file.seek, start)
            remaining = length
            while remaining is None or remaining > 0:
                wanted = READ_CHUNK_SIZE if remaining is None else min(READ_CHUNK_SIZE, remaining)
                chunk = await asyncio.to_thread(file.read, wanted)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk
        finally:
            file.close()

    async def size(self, key: str) -> int | None:
        return await asyncio.to_thread(_file_size, self._path(key))

    async def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            await asyncio.to_thread(path.unlink)

    async def reachable(self) -> bool:
        return await asyncio.to_thread(lambda: self._root.is_dir() and os.access(self._root, os.W_OK))

    async def close(self) -> None:
        pass  # holds nothing open between calls

    # ---- where things are ----------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self._root / checked_key(key)

    def _upload_directory(self, key: str, upload_ref: str) -> Path | None:
        """The upload's directory when it is an upload of `key`."""
        checked_key(key)
        if not _UPLOAD_REF.fullmatch(upload_ref):
            return None
        directory = self._root / UPLOADS / upload_ref
        try:
            started_for = (directory / KEY_RECORD).read_text()
        except FileNotFoundError:
            return None
        return directory if started_for == key else None

    async def _upload(self, key: str, upload_ref: str) -> Path:
        directory = await asyncio.to_thread(self._upload_directory, key, upload_ref)
        if directory is None:
            raise UploadRejected(key, upload_ref, "no such upload")
        return directory


async def _receive(path: Path, chunks: AsyncIterable[bytes], digest: "hashlib._Hash | None") -> int:
    """Write `chunks` to a new file at `path` and fsync it; its size. Removed when anything
    fails, the chunks' source included."""
    file = await asyncio.to_thread(path.open, "xb")
    size = 0
    try:
        async for chunk in _coalesced(chunks):
            await asyncio.to_thread(_write_chunk, file, chunk, digest)
            size += len(chunk)
        await asyncio.to_thread(_fsync, file)
    except BaseException:
        # Shielded: a cancelled write still removes its file.
        await asyncio.shield(asyncio.to_thread(_discard, file, path))
        raise
    file.close()
    return size


async def _coalesced(chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """The chunks joined into pieces of about READ_CHUNK_SIZE: an HTTP body arrives in pieces of
    a few KiB, and one thread hop per piece would cost more than its write."""
    pending = bytearray()
    async for chunk in chunks:
        pending += chunk
        if len(pending) >= READ_CHUNK_SIZE:
            yield bytes(pending)
            pending.clear()
    if pending:
        yield bytes(pending)


def _write_chunk(file: IO[bytes], chunk: bytes, digest: "hashlib._Hash | None") -> None:
    file.write(chunk)
    if digest is not None:
        digest.update(chunk)


def _discard(file: IO[bytes], path: Path) -> None:
    file.close()
    path.unlink(missing_ok=True)


def _fsync(file: IO[bytes]) -> None:
    file.flush()
    os.fsync(file.fileno())


def _replace_durably(source: Path, target: Path) -> None:
    """Rename `source` over `target`, and make the rename itself survive a crash."""
    os.replace(source, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _write_durably(path: Path, data: bytes) -> None:
    partial = _partial_beside(path)
    with partial.open("xb") as file:
        file.write(data)
        _fsync(file)
    _replace_durably(partial, path)


def _partial_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.partial")


def _record_part(directory: Path, part: StoredPart, blob: str) -> str | None:
    """Make `blob` part `part.number`; the blob it replaces, if any."""
    record = directory / str(part.number)
    try:
        replaced: str | None = record.read_text().split()[2]
    except FileNotFoundError:
        replaced = None
    _write_durably(record, f"{part.size} {part.etag} {blob}".encode())
    return replaced


def _read_record(record: Path) -> tuple[StoredPart, str]:
    """The part a record names, and its blob's name."""
    size, etag, blob = record.read_text().split()
    return StoredPart(int(record.name), int(size), etag), blob


def _listed_parts(directory: Path) -> list[StoredPart]:
    try:
        records = [entry for entry in directory.iterdir() if entry.name.isdigit()]
        return sorted((_read_record(record)[0] for record in records), key=lambda part: part.number)
    except FileNotFoundError:  # completed or aborted meanwhile
        return []


def _join(directory: Path, parts: Sequence[StoredPart], target: Path, key: str, upload_ref: str) -> int:
    """Concatenate the parts' blobs into `target`, checking each is the part the caller names."""
    blobs = []
    for part in parts:
        try:
            held, blob_name = _read_record(directory / str(part.number))
        except FileNotFoundError:
            raise UploadRejected(key, upload_ref, f"part {part.number} missing") from None
        if held != part:
            raise UploadRejected(key, upload_ref, f"part {part.number} is not the one listed")
        blobs.append(directory / blob_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial_beside(target)
    try:
        with partial.open("xb") as joined:
            for blob in blobs:
                with blob.open("rb") as source:
                    shutil.copyfileobj(source, joined, COPY_BUFFER_SIZE)
            size = joined.tell()
            _fsync(joined)
        _replace_durably(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return size


def _remove_upload(directory: Path) -> None:
    """Out of the listing in one rename, then deleted: a crash halfway leaves a dotted name."""
    removing = directory.with_name(f".{directory.name}.removing")
    try:
        directory.rename(removing)
    except FileNotFoundError:
        return
    shutil.rmtree(removing)


def _file_size(path: Path) -> int | None:
    try:
        return path.stat().st_size if path.is_file() else None
    except (FileNotFoundError, NotADirectoryError):
        return None
