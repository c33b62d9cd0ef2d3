"""What every evidence store offers, whatever holds the bytes (a directory, an S3 bucket).

Large files arrive as S3-style multipart uploads: a client sends numbered parts (in any order,
resending a number replaces it), then the upload is completed into one object. S3's rules for
parts hold on every backend, so a client that works against the local store works on S3.
"""

import re
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

# S3's limits: every part but the last holds at least this much, numbers run from 1 to 10 000.
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10_000
# The most a chunk of `read` holds.
READ_CHUNK_SIZE = 1024 * 1024

# Relative paths of safe names; no name starts with a dot ('..' escapes, and the stores keep
# their own bookkeeping, such as unfinished files, under dotted names).
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*")
MAX_KEY_LENGTH = 1024


@dataclass(frozen=True)
class StoredPart:
    number: int  # 1-based
    size: int
    etag: str  # opaque: S3's ETag without its quotes, the local store's sha256 hex


class StoredObjectMissing(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(f"no stored object {key!r}")
        self.key = key


class UploadRejected(Exception):
    """The upload is unknown (never started, aborted or completed) or its parts cannot make the
    object (a part missing or replaced since it was listed, out of order, or too small)."""

    def __init__(self, key: str, upload_ref: str, reason: str) -> None:
        super().__init__(f"upload {upload_ref!r} of {key!r} rejected: {reason}")
        self.key = key
        self.upload_ref = upload_ref
        self.reason = reason


class EvidenceStorage(Protocol):
    async def start_upload(self, key: str) -> str:
        """A new multipart upload of `key`; its reference (S3's UploadId)."""
        ...

    async def presigned_part_url(self, key: str, upload_ref: str, number: int, expires_in: int) -> str | None:
        """A URL the client PUTs part `number` to directly (the answer's ETag header is the part's
        etag); None when parts go through the service (`put_part`)."""
        ...

    async def put_part(self, key: str, upload_ref: str, number: int, chunks: AsyncIterable[bytes]) -> StoredPart:
        """Store part `number` from `chunks`, replacing an earlier one; all or nothing (a part
        whose chunks stop halfway is never listed)."""
        ...

    async def parts(self, key: str, upload_ref: str) -> list[StoredPart]:
        """The complete parts received, by number; [] for an unknown or finished upload."""
        ...

    async def complete_upload(self, key: str, upload_ref: str, parts: Sequence[StoredPart]) -> int:
        """Join `parts` in order into the object `key`, its size; the upload's parts are gone."""
        ...

    async def abort_upload(self, key: str, upload_ref: str) -> None:
        """Remove the upload's parts; nothing to do for an unknown upload."""
        ...

    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        """Store `chunks` under `key`, its size. Visible only once complete and durable: a write
        that fails leaves the key as it was."""
        ...

    def read(self, key: str, start: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        """`length` bytes (None: to the end) from `start`, in chunks of at most READ_CHUNK_SIZE;
        a range past the end stops there. Raises StoredObjectMissing from the first iteration
        when there is no such object."""
        ...

    async def size(self, key: str) -> int | None:
        """The object's size; None when missing."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; nothing to do when missing."""
        ...

    async def reachable(self) -> bool:
        """Whether the store answers (readiness)."""
        ...

    async def close(self) -> None: ...


def checked_key(key: str) -> str:
    if len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        raise ValueError(f"not a storage key (a relative path of letters, digits and '/-_.'): {key!r}")
    return key


def check_part_number(number: int) -> None:
    if not 1 <= number <= MAX_PART_NUMBER:
        raise ValueError(f"part numbers run from 1 to {MAX_PART_NUMBER}, not {number}")


def check_range(start: int, length: int | None) -> None:
    if start < 0 or (length is not None and length < 0):
        raise ValueError(f"not a byte range: start {start}, length {length}")


def parts_problem(parts: Sequence[StoredPart]) -> str | None:
    """Why these parts cannot make an object whatever the store holds, if they cannot."""
    if not parts:
        return "no parts"
    numbers = [part.number for part in parts]
    if numbers != sorted(set(numbers)):
        return "part numbers not in ascending order"
    if any(part.size < MIN_PART_SIZE for part in parts[:-1]):
        return f"a part before the last is smaller than {MIN_PART_SIZE} bytes"
    return None
