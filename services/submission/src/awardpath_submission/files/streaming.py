"""The entry points that move a file's bytes: completing an upload in parts, and a file sent in
one request. The bytes move outside any transaction, between short units of work of their own
(`runtime.transaction()`), so no lock (SQLite's write lock) or pooled connection is held while
a 2 GiB video is joined, read and written. Every step can run again: a retried call picks up
where the last one stopped, and a row left `receiving` by a process that died expires and the
retention sweep removes its bytes.

Order matters for privacy: the uploaded bytes (with their metadata) are removed before the
verified copy is recorded, so a crash never leaves a `ready` file beside its original."""

from collections.abc import AsyncIterable

from awardpath_shared.errors import Conflict, Invalid, UnsupportedContent
from awardpath_shared.runtime import ServiceRuntime
from awardpath_shared.storage import StoredObjectMissing, UploadRejected
from awardpath_submission.files.models import EvidenceFile, FileState, staging_key
from awardpath_submission.files.service import FileService, exactly, received_parts, remove_bytes, usable
from awardpath_submission.files.verification import store_verified_copy
from awardpath_submission.settings import SubmissionSettings
from awardpath_submission.uow import SubmissionUnitOfWork

SubmissionRuntime = ServiceRuntime[SubmissionUnitOfWork, SubmissionSettings]


async def complete_upload(runtime: SubmissionRuntime, platform_id: str, file_id: str) -> EvidenceFile:
    """Join the parts, verify the bytes and store the copy without metadata; the same file
    again when it was completed already (a retried call)."""
    async with runtime.reading() as uow:
        file = await _files(runtime, uow).file_of(platform_id, file_id)
    if file.state != FileState.RECEIVING:
        return usable(file)
    await _join(runtime, file)
    return await _verify(runtime, file)


async def upload_whole(
    runtime: SubmissionRuntime, platform_id: str, size: int, sha256: str, media_type: str, chunks: AsyncIterable[bytes]
) -> EvidenceFile:
    """A small file in one request (up to `max_single_request_file_bytes`)."""
    async with runtime.transaction() as uow:
        file = await _files(runtime, uow).start_whole(platform_id, size, sha256, media_type)
    await runtime.storage.write(staging_key(file.id), exactly(chunks, size))
    return await _verify(runtime, file)


async def _join(runtime: SubmissionRuntime, file: EvidenceFile) -> None:
    assert file.upload_ref is not None
    if await runtime.storage.size(staging_key(file.id)) == file.declared_size:
        return  # joined by a call that died before it verified
    received = await received_parts(runtime.storage, file)
    missing = sorted(set(range(1, file.part_count + 1)) - {part.number for part in received})
    if missing:
        raise Conflict(
            "upload-incomplete",
            "Parts are missing",
            f"parts {', '.join(map(str, missing))} of {file.part_count} have not arrived",
            missing_parts=missing,
        )
    try:
        await runtime.storage.complete_upload(staging_key(file.id), file.upload_ref, received)
    except (UploadRejected, StoredObjectMissing) as changed:
        raise Conflict(
            "upload-changed", "The upload changed", "a part was sent again meanwhile: GET the upload and retry"
        ) from changed


async def _verify(runtime: SubmissionRuntime, file: EvidenceFile) -> EvidenceFile:
    storage = runtime.storage
    try:
        copy = await store_verified_copy(storage, file)
    except (Invalid, UnsupportedContent) as refusal:
        await remove_bytes(storage, file)  # nothing is kept of a refused file
        async with runtime.transaction() as uow:
            await _files(runtime, uow).refused(file.id, refusal)
        raise
    await storage.delete(staging_key(file.id))
    if file.upload_ref is not None:
        await storage.abort_upload(staging_key(file.id), file.upload_ref)  # what a crash mid-join left
    async with runtime.transaction() as uow:
        return await _files(runtime, uow).verified(file.id, copy)


def _files(runtime: SubmissionRuntime, uow: SubmissionUnitOfWork) -> FileService:
    return FileService(uow, runtime.settings, runtime.storage)
