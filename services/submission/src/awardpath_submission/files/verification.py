"""The one pass over an uploaded file's bytes: it counts and hashes them, finds their media type
from the content, and stores the copy without identifying metadata that assessors will see.
The declared size, sha256 and media type must match what the bytes are; nothing is kept of a
file that does not (the stored copy is removed before the refusal)."""

import hashlib
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass

from awardpath_shared.errors import Invalid, UnsupportedContent
from awardpath_shared.storage import EvidenceStorage
from awardpath_shared.storage.names import stored_key
from awardpath_submission.files.media import ACCEPTED_MEDIA_TYPES, SNIFF_BYTES, sniff
from awardpath_submission.files.metadata import without_metadata
from awardpath_submission.files.models import EvidenceFile, staging_key

ISO_MEDIA = frozenset({"video/mp4", "audio/mp4"})


@dataclass(frozen=True)
class VerifiedCopy:
    media_type: str
    size: int
    sha256: str


class Tally:
    """Passes bytes through, counting and hashing them."""

    def __init__(self, chunks: AsyncIterable[bytes]) -> None:
        self._chunks = chunks
        self._hash = hashlib.sha256()
        self.size = 0

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks:
            self._hash.update(chunk)
            self.size += len(chunk)
            yield chunk


async def store_verified_copy(storage: EvidenceStorage, file: EvidenceFile) -> VerifiedCopy:
    """Verify the joined upload of `file` and store its copy without metadata."""
    uploaded = Tally(storage.read(staging_key(file.id)))
    source = aiter(uploaded)
    head = b""
    async for chunk in source:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    media_type = _checked_media_type(file.declared_media_type, sniff(head))
    # Closed however the write ends: the PDF rewrite's temporary files go with it.
    async with aclosing(without_metadata(media_type, _prepend(head, source))) as copy:
        stored = Tally(copy)
        try:
            await storage.write(stored_key(file.id), stored)
            _check_bytes(file, uploaded)
        except BaseException:
            await storage.delete(stored_key(file.id))
            raise
    return VerifiedCopy(media_type, stored.size, stored.sha256)


def _checked_media_type(declared: str, found: str | None) -> str:
    if found is None:
        raise UnsupportedContent(
            "unsupported-file-type",
            "Unsupported file type",
            f"the file's content is none of the accepted types ({', '.join(sorted(ACCEPTED_MEDIA_TYPES))})",
            declared_media_type=declared,
        )
    if found in ISO_MEDIA and declared in ISO_MEDIA:
        return declared  # one container: audio-only MP4 often carries a video brand
    if found != declared:
        raise Invalid(
            "media-type-mismatch",
            "The file is not of its declared type",
            f"the content is {found}, not the declared {declared}",
            declared_media_type=declared,
            found_media_type=found,
        )
    return found


def _check_bytes(file: EvidenceFile, uploaded: Tally) -> None:
    if uploaded.size != file.declared_size:
        raise Invalid(
            "size-mismatch",
            "The file is not of its declared size",
            f"{uploaded.size} bytes arrived, {file.declared_size} were declared",
        )
    if uploaded.sha256 != file.sha256:
        raise Invalid(
            "sha256-mismatch",
            "The file's SHA-256 does not match",
            f"the bytes that arrived hash to {uploaded.sha256}, not the declared {file.sha256}",
            found_sha256=uploaded.sha256,
        )


async def _prepend(head: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield head
    async for chunk in rest:
        yield chunk
