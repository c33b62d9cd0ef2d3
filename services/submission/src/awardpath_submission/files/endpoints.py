"""HTTP entry points of evidence files (platforms): uploads in parts or in one request, a
file's state, a submission's files and their deletion. A part is PUT to the URL its upload
gives, with no bearer token (the URL is the signed permission)."""

import base64
import binascii
import re
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request, Response, status

from awardpath_shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, Paged
from awardpath_shared.problems import Problem
from awardpath_shared.routes import service_router
from awardpath_shared.storage import MAX_PART_NUMBER
from awardpath_shared.validation import PathId
from awardpath_submission.dependencies import Platform, RequestUnitOfWork, Runtime, Settings, Storage
from awardpath_submission.files import streaming
from awardpath_submission.files.models import EvidenceFile
from awardpath_submission.files.retention import RetentionService
from awardpath_submission.files.schemas import (
    FileDeletionView,
    FileView,
    PartReceivedView,
    PartTargetView,
    ReceivedPartView,
    UploadCreate,
    UploadView,
)
from awardpath_submission.files.service import FileService, PartTarget, UploadProgress, receive_part

router = service_router(tags=["files"])
# A file's bytes as the body, streamed to storage (never parsed, never held whole).
RAW_BODY = {"requestBody": {"required": True, "content": {"*/*": {"schema": {"format": "binary"}}}}}
# The one digest algorithm taken: `Content-Digest: sha-256=:<base64>:` (RFC 9530).
_SHA256_DIGEST = re.compile(r"sha-256=:([A-Za-z0-9+/=]{44}):")


def _files(uow: RequestUnitOfWork, settings: Settings, storage: Storage) -> FileService:
    return FileService(uow, settings, storage)


def _retention(uow: RequestUnitOfWork, settings: Settings, storage: Storage) -> RetentionService:
    return RetentionService(uow, settings, storage)


Files = Annotated[FileService, Depends(_files)]
Retention = Annotated[RetentionService, Depends(_retention)]


def _upload_view(request: Request, progress: UploadProgress) -> UploadView:
    def url_of(target: PartTarget) -> str:
        if target.url is not None:
            return target.url
        own = request.url_for("put_part", file_id=progress.file.id, number=str(target.number))
        return str(own.include_query_params(signature=target.signature))

    view = UploadView.model_validate(progress.file)
    view.received_parts = [ReceivedPartView.model_validate(part) for part in progress.received]
    view.parts_to_send = [
        PartTargetView(number=target.number, size=target.size, url=url_of(target), expires_at=target.expires_at)
        for target in progress.missing
    ]
    return view


@router.post(
    "/v1/uploads", status_code=status.HTTP_201_CREATED, response_model=UploadView, responses={413: {}, 415: {}}
)
async def start_upload(
    body: UploadCreate, platform: Platform, files: Files, request: Request, response: Response
) -> UploadView:
    """Start uploading a file in parts: the answer lists each part's length and URL. PUT the
    parts (in any order, several at once), then complete. After a dropped connection, GET the
    upload for the parts still missing and fresh URLs."""
    progress = await files.start_upload(platform.subject, body.size, body.sha256, body.media_type)
    response.headers["Location"] = f"/v1/uploads/{progress.file.id}"
    return _upload_view(request, progress)


@router.get("/v1/uploads/{file_id}", response_model=UploadView)
async def get_upload(file_id: PathId, platform: Platform, files: Files, request: Request) -> UploadView:
    """The parts received so far, and every missing part with a fresh URL."""
    return _upload_view(request, await files.progress(platform.subject, file_id))


@router.put(
    "/v1/uploads/{file_id}/parts/{number}",
    response_model=PartReceivedView,
    name="put_part",
    responses={403: {}, 413: {}},
    openapi_extra=RAW_BODY,
)
async def put_part(
    file_id: PathId,
    number: Annotated[int, Path(ge=1, le=MAX_PART_NUMBER)],
    signature: Annotated[str, Query(max_length=4000)],
    settings: Settings,
    storage: Storage,
    request: Request,
    response: Response,
) -> PartReceivedView:
    """One part's bytes (exactly the part's length), to the URL the upload gave for it."""
    part = await receive_part(settings, storage, file_id, number, signature, request.stream())
    response.headers["ETag"] = f'"{part.etag}"'
    return PartReceivedView.model_validate(part)


@router.post("/v1/uploads/{file_id}/complete", response_model=FileView, responses={415: {}})
async def complete_upload(file_id: PathId, platform: Platform, runtime: Runtime) -> EvidenceFile:
    """Join the parts and verify the file: its size, SHA-256 and media type (read from the
    content) must be as declared, else 4xx and nothing is kept. Then it is `ready`: name it
    in an attempt's evidence (`files: [{"file_id": ...}]`). Calling again answers the same."""
    return await streaming.complete_upload(runtime, platform.subject, file_id)


@router.post(
    "/v1/files",
    status_code=status.HTTP_201_CREATED,
    response_model=FileView,
    responses={413: {}, 415: {}},
    openapi_extra=RAW_BODY,
)
async def upload_file(
    platform: Platform,
    runtime: Runtime,
    request: Request,
    response: Response,
    content_type: Annotated[str, Header(max_length=100)],
    content_length: Annotated[int, Header(gt=0)],
    content_digest: Annotated[str, Header(max_length=200, description="`sha-256=:<base64 SHA-256>:` (RFC 9530)")],
) -> EvidenceFile:
    """A small file (up to `max_single_request_file_bytes`, 32 MiB by default) in one request:
    the body is the file, `Content-Type` its media type, `Content-Digest` its SHA-256."""
    media_type, sha256 = content_type.split(";")[0].strip(), _sha256_of(content_digest)
    file = await streaming.upload_whole(runtime, platform.subject, content_length, sha256, media_type, request.stream())
    response.headers["Location"] = f"/v1/files/{file.id}"
    return file


@router.get("/v1/files/{file_id}", response_model=FileView)
async def get_file(file_id: PathId, platform: Platform, files: Files) -> EvidenceFile:
    return await files.file_of(platform.subject, file_id)


@router.delete("/v1/files/{file_id}", response_model=FileView)
async def cancel_file(file_id: PathId, platform: Platform, files: Files) -> EvidenceFile:
    """Give up an upload or a file no evidence names yet (409 once it is evidence)."""
    return await files.cancel(platform.subject, file_id)


@router.get("/v1/submissions/{submission_id}/files", response_model=Page[FileView])
async def submission_files(
    submission_id: PathId, platform: Platform, retention: Retention, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Paged[EvidenceFile]:
    """Every file the submission's attempts named, in upload order, deleted ones included
    (with when and why)."""
    return await retention.files_of(platform.subject, submission_id, limit=limit, cursor=cursor)


@router.delete(
    "/v1/submissions/{submission_id}/files", status_code=status.HTTP_202_ACCEPTED, response_model=FileDeletionView
)
async def delete_submission_files(submission_id: PathId, platform: Platform, retention: Retention) -> FileDeletionView:
    """Delete the evidence files of a final submission (an earner's request): they are marked
    `deleting` now and removed within minutes (follow them in the list). An awarded credential
    stays verifiable."""
    marked = await retention.request_deletion(platform.subject, submission_id)
    return FileDeletionView(submission_id=submission_id, marked=marked)


def _sha256_of(content_digest: str) -> str:
    match = _SHA256_DIGEST.search(content_digest)
    try:
        digest = base64.b64decode(match.group(1), validate=True) if match else b""
    except binascii.Error:
        digest = b""
    if len(digest) != 32:
        raise Problem(400, "content-digest", "Content-Digest needed", "send Content-Digest: sha-256=:<base64>:")
    return digest.hex()
