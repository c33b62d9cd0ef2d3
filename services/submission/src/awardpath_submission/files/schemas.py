"""Bodies of evidence files: starting an upload, its progress (the parts to send and where),
a file as its platform sees it."""

from datetime import datetime

from pydantic import Field

from awardpath_shared.schemas import RequestBody, View
from awardpath_submission.files.models import FileState

SHA256 = Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the file's bytes, as uploaded")


class UploadCreate(RequestBody):
    size: int = Field(
        gt=0, le=5 * 1024**4, description="The file's size in bytes (at most `max_file_bytes`, 2 GiB by default)"
    )
    sha256: str = SHA256
    media_type: str = Field(
        pattern=r"^[\w.+-]+/[\w.+-]+$",
        max_length=100,
        examples=["video/mp4"],
        description="What the file is; the content must say the same (a file name is never asked for).",
    )


class PartTargetView(View):
    number: int
    size: int = Field(description="The part's exact length in bytes")
    url: str = Field(description="PUT the part's bytes here, with no other header; the answer's ETag names the part")
    expires_at: datetime


class ReceivedPartView(View):
    number: int
    size: int


class UploadView(View):
    id: str
    state: FileState
    size: int = Field(validation_alias="declared_size")
    sha256: str
    media_type: str = Field(validation_alias="declared_media_type")
    part_size: int
    part_count: int
    received_parts: list[ReceivedPartView] = Field(default_factory=list)
    parts_to_send: list[PartTargetView] = Field(
        default_factory=list, description="Every part not received yet, with a fresh URL (resume from here)"
    )
    expires_at: datetime | None = Field(description="An upload not completed by then is removed")


class FileView(View):
    id: str
    state: FileState
    media_type: str = Field(
        validation_alias="declared_media_type", description="The declared type; the content was checked to be it"
    )
    size: int = Field(validation_alias="declared_size", description="Bytes as uploaded")
    sha256: str = Field(description="SHA-256 of the bytes as uploaded")
    stored_size: int | None = Field(description="Bytes of the stored copy, identifying metadata removed")
    stored_sha256: str | None = Field(description="SHA-256 of the stored copy (what assessors receive)")
    submission_id: str | None
    first_attempt: int | None
    created_at: datetime
    verified_at: datetime | None
    attached_at: datetime | None
    expires_at: datetime | None = Field(description="A file no evidence names by then is removed")
    deletion_reason: str | None
    deleted_at: datetime | None


class FileDeletionView(View):
    submission_id: str
    marked: int = Field(description="How many files were marked `deleting` (files deleted before are not counted)")


class PartReceivedView(View):
    number: int
    size: int
    etag: str
