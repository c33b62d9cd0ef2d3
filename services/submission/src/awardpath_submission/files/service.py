"""Evidence files: a platform uploads a file in parts (S3-style multipart: each part PUT to a
short-lived URL, straight to the object store where it signs them, else to this service), asks
which parts arrived to resume after a dropped connection, and completes the upload; or sends
a small file in one request. Completing verifies the bytes (`verification`) before the file
is `ready` for an attempt's evidence to name it. Deleting and retention: `retention`."""

from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from awardpath_shared import signed_links
from awardpath_shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    TooLarge,
    UnsupportedContent,
)
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.rubrics import FileRef
from awardpath_shared.storage import EvidenceStorage, StoredPart, UploadRejected
from awardpath_shared.storage.names import stored_key
from awardpath_submission.files.media import ACCEPTED_MEDIA_TYPES
from awardpath_submission.files.models import EvidenceFile, FileState, staging_key
from awardpath_submission.files.verification import VerifiedCopy
from awardpath_submission.settings import SubmissionSettings
from awardpath_submission.uow import SubmissionUnitOfWork

PART_LINK = "awardpath-upload-part"


@dataclass(frozen=True)
class PartTarget:
    """Where a part goes: an object store's presigned `url`, or this service's part endpoint
    with `signature`."""

    number: int
    size: int
    expires_at: datetime
    url: str | None = None
    signature: str | None = None


@dataclass(frozen=True)
class UploadProgress:
    file: EvidenceFile
    received: list[StoredPart]
    missing: list[PartTarget]


class FileService:
    def __init__(self, uow: SubmissionUnitOfWork, settings: SubmissionSettings, storage: EvidenceStorage) -> None:
        self.uow = uow
        self.settings = settings
        self.storage = storage

    async def start_upload(self, platform_id: str, size: int, sha256: str, media_type: str) -> UploadProgress:
        file = self._receiving(
            platform_id,
            size,
            sha256,
            media_type,
            limit=self.settings.max_file_bytes,
            part_size=self.settings.upload_part_bytes,
        )
        file.upload_ref = await self.storage.start_upload(staging_key(file.id))
        self.uow.files.add(file)
        await self.uow.flush()
        return await self._progress(file, received=[])

    async def progress(self, platform_id: str, file_id: str) -> UploadProgress:
        file = await self._owned(platform_id, file_id)
        if file.state != FileState.RECEIVING:
            return UploadProgress(file, received=[], missing=[])
        return await self._progress(file, await received_parts(self.storage, file))

    async def start_whole(self, platform_id: str, size: int, sha256: str, media_type: str) -> EvidenceFile:
        """A file sent in one request: its row, committed before its bytes arrive (the sweep
        removes what a request that died left)."""
        limit = self.settings.max_single_request_file_bytes
        file = self._receiving(platform_id, size, sha256, media_type, limit=limit, part_size=size)  # one part
        self.uow.files.add(file)
        await self.uow.flush()
        return file

    async def verified(self, file_id: str, copy: VerifiedCopy) -> EvidenceFile:
        """Record a file's verified copy; the file as it is when another call recorded it first."""
        file = await self.uow.files.file(file_id, for_update=True)
        assert file is not None  # files are never removed, only marked deleted
        if file.state != FileState.RECEIVING:
            return usable(file)
        now = utcnow()
        file.verified(copy.media_type, copy.size, copy.sha256, now)
        file.expires_at = now + timedelta(hours=self.settings.unattached_file_hours)
        await self.uow.flush()
        return file

    async def refused(self, file_id: str, refusal: DomainError) -> None:
        """A file whose bytes are not what was declared: deleted, with why."""
        file = await self.uow.files.file(file_id, for_update=True)
        if file is not None and file.state == FileState.RECEIVING:
            file.start_deletion(f"refused: {refusal.code}: {refusal.detail}")
            await self.uow.flush()

    async def file_of(self, platform_id: str, file_id: str) -> EvidenceFile:
        return await self._owned(platform_id, file_id)

    async def cancel(self, platform_id: str, file_id: str) -> EvidenceFile:
        """The platform gives up an upload, or a file no evidence names yet."""
        file = await self._owned(platform_id, file_id, for_update=True)
        if file.state == FileState.ATTACHED:
            raise Conflict("file-attached", "The file is evidence", "delete it with its submission's files")
        if file.state in (FileState.RECEIVING, FileState.READY):
            file.start_deletion("cancelled by the platform")
            await self.uow.flush()
        return file

    async def _owned(self, platform_id: str, file_id: str, *, for_update: bool = False) -> EvidenceFile:
        file = await self.uow.files.file(file_id, for_update=for_update)
        if file is None or file.platform_id != platform_id:
            raise NotFound("file", file_id)
        return file

    async def _progress(self, file: EvidenceFile, received: list[StoredPart]) -> UploadProgress:
        assert file.upload_ref is not None
        ttl = timedelta(seconds=self.settings.file_link_seconds)
        done = {part.number for part in received}
        missing = []
        for number in range(1, file.part_count + 1):
            if number in done:
                continue
            size = file.part_length(number)
            expires_at = utcnow() + ttl
            url = await self.storage.presigned_part_url(
                staging_key(file.id), file.upload_ref, number, int(ttl.total_seconds())
            )
            if url is not None:
                missing.append(PartTarget(number, size, expires_at, url=url))
                continue
            # The link names all a part needs: receiving it takes no database.
            claims: dict[str, str | int] = {"fid": file.id, "ref": file.upload_ref, "part": number, "len": size}
            link = signed_links.sign(self.settings.file_link_secret, PART_LINK, claims, ttl)
            missing.append(PartTarget(number, size, link.expires_at, signature=link.token))
        return UploadProgress(file, received, missing)

    def _receiving(
        self, platform_id: str, size: int, sha256: str, media_type: str, *, limit: int, part_size: int
    ) -> EvidenceFile:
        """A new file as declared, refused when of a type not taken or over `limit` bytes."""
        if media_type not in ACCEPTED_MEDIA_TYPES:
            raise UnsupportedContent(
                "unsupported-file-type",
                "Unsupported file type",
                f"{media_type} is not accepted; accepted: {', '.join(sorted(ACCEPTED_MEDIA_TYPES))}",
            )
        if size > limit:
            raise TooLarge("file-too-large", "File too large", f"files here are limited to {limit} bytes", limit=limit)
        now = utcnow()
        return EvidenceFile(
            id=new_id(),
            platform_id=platform_id,
            state=FileState.RECEIVING,
            declared_media_type=media_type,
            declared_size=size,
            sha256=sha256,
            part_size=part_size,
            created_at=now,
            expires_at=now + timedelta(hours=self.settings.upload_expiry_hours),
        )


async def receive_part(
    settings: SubmissionSettings,
    storage: EvidenceStorage,
    file_id: str,
    number: int,
    signature: str,
    chunks: AsyncIterable[bytes],
) -> StoredPart:
    """Store one part sent to its signed URL: exactly the part's length, else nothing. The
    link says which upload and how long; the store refuses an upload completed or ended."""
    claims = signed_links.verify(settings.file_link_secret, PART_LINK, signature)
    if claims.get("fid") != file_id or claims.get("part") != number:
        raise Forbidden("this link is for another part")
    try:
        return await storage.put_part(staging_key(file_id), claims["ref"], number, exactly(chunks, claims["len"]))
    except UploadRejected as rejected:
        raise Conflict(
            "upload-not-receiving", "The upload takes no more parts", "it was completed or ended"
        ) from rejected


async def remove_bytes(storage: EvidenceStorage, file: EvidenceFile) -> None:
    """Everything stored of a file: its unfinished upload, its uploaded bytes, its verified copy
    (each removal a no-op on what is gone already, so it can run again)."""
    if file.upload_ref is not None:
        await storage.abort_upload(staging_key(file.id), file.upload_ref)
    await storage.delete(staging_key(file.id))
    await storage.delete(stored_key(file.id))


async def received_parts(storage: EvidenceStorage, file: EvidenceFile) -> list[StoredPart]:
    """The upload's parts that arrived whole (a part of another length is sent again)."""
    assert file.upload_ref is not None
    parts = await storage.parts(staging_key(file.id), file.upload_ref)
    return [part for part in parts if part.number <= file.part_count and part.size == file.part_length(part.number)]


async def attach_files(
    uow: SubmissionUnitOfWork, platform_id: str, submission_id: str, attempt: int, file_ids: Sequence[str]
) -> dict[str, FileRef]:
    """Files named by an attempt's evidence: the platform's own, ready, and not evidence of
    another submission; Invalid naming each that is not."""
    found = await uow.files.files(file_ids)
    problems = []
    for file_id in file_ids:
        file = found.get(file_id)
        if file is None or file.platform_id != platform_id:
            problems.append(f"file {file_id}: no such file")
        elif file.state == FileState.RECEIVING:
            problems.append(f"file {file_id}: its upload is not complete")
        elif file.state not in (FileState.READY, FileState.ATTACHED) or file.submission_id not in (
            None,
            submission_id,
        ):
            problems.append(f"file {file_id}: deleted, or evidence of another submission")
    if problems:
        raise Invalid("unusable-file", "A file cannot be evidence", "; ".join(problems), errors=problems)
    now = utcnow()
    for file_id in file_ids:
        found[file_id].attach(submission_id, attempt, now)
    return {file_id: found[file_id].ref() for file_id in file_ids}


def usable(file: EvidenceFile) -> EvidenceFile:
    if file.state in (FileState.DELETING, FileState.DELETED):
        raise Conflict("file-deleted", "The file was deleted", file.deletion_reason or "deleted")
    return file


async def exactly(chunks: AsyncIterable[bytes], length: int) -> AsyncIterator[bytes]:
    """The chunks, refused (by raising, so storage keeps nothing) unless they are `length` bytes."""
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if received > length:
            raise TooLarge("part-too-large", "Too many bytes", f"this part or file takes {length} bytes")
        yield chunk
    if received != length:
        raise Invalid("part-incomplete", "Too few bytes", f"{received} bytes arrived, {length} were expected")
