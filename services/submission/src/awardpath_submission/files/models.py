"""Evidence files a platform uploads, from the first part to their deletion.

A file is `receiving` while its parts arrive (an upload), `ready` once its bytes were joined,
verified (size, sha256, media type from the content) and stored without identifying
metadata, and `attached` once an attempt's evidence names it: only then does anyone but the
platform see it. Deletion is two steps, so a crash never leaves it half done: `deleting` is
committed before the stored bytes are removed, `deleted` once they are gone (the row stays,
as the record of what was deleted, when and why).
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from awardpath_shared.db import EnumText, UtcDateTime
from awardpath_shared.rubrics import FileRef
from awardpath_shared.states import advance
from awardpath_submission.database import Base


class FileState(StrEnum):
    RECEIVING = "receiving"
    READY = "ready"
    ATTACHED = "attached"
    DELETING = "deleting"
    DELETED = "deleted"


FILE_TRANSITIONS = {
    FileState.RECEIVING: frozenset({FileState.READY, FileState.DELETING}),
    FileState.READY: frozenset({FileState.ATTACHED, FileState.DELETING}),
    FileState.ATTACHED: frozenset({FileState.DELETING}),
    FileState.DELETING: frozenset({FileState.DELETED}),
}


def staging_key(file_id: str) -> str:
    """Where a file's uploaded bytes are joined before verification."""
    return f"staging/{file_id}"


class EvidenceFile(Base):
    __tablename__ = "evidence_files"
    __table_args__ = (
        # The retention sweep reads files by state (and a submission's files by submission).
        Index(None, "state", "expires_at"),
        Index(None, "submission_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(100))
    state: Mapped[FileState] = mapped_column(EnumText(FileState, 20))
    # What the platform declared: checked against the bytes when the upload completes.
    declared_media_type: Mapped[str] = mapped_column(String(100))
    declared_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    part_size: Mapped[int] = mapped_column(BigInteger)
    # The storage's multipart upload while receiving (S3's UploadId).
    upload_ref: Mapped[str | None] = mapped_column(String(1024))
    # Set once verified: the type found in the content, and the stored copy's size and hash.
    media_type: Mapped[str | None] = mapped_column(String(100))
    stored_size: Mapped[int | None] = mapped_column(BigInteger)
    stored_sha256: Mapped[str | None] = mapped_column(String(64))
    # The submission whose evidence first named it (its later attempts may name it again).
    submission_id: Mapped[str | None] = mapped_column(String(36))
    first_attempt: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # An upload not completed, or a file not attached, by then is removed by the sweep.
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attached_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deletion_reason: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def part_count(self) -> int:
        return max(1, -(-self.declared_size // self.part_size))

    def part_length(self, number: int) -> int:
        """How many bytes part `number` (1-based) holds: every part but the last is full."""
        return self.part_size if number < self.part_count else self.declared_size - self.part_size * (number - 1)

    def verified(self, media_type: str, stored_size: int, stored_sha256: str, now: datetime) -> None:
        self.state = advance("file", self.state, FileState.READY, FILE_TRANSITIONS)
        self.media_type, self.stored_size, self.stored_sha256 = media_type, stored_size, stored_sha256
        self.upload_ref, self.verified_at = None, now

    def attach(self, submission_id: str, attempt: int, now: datetime) -> None:
        """Named by an attempt's evidence: the first attach binds it to the submission."""
        if self.state == FileState.ATTACHED:
            return  # a later attempt of the same submission names it again
        self.state = advance("file", self.state, FileState.ATTACHED, FILE_TRANSITIONS)
        self.submission_id, self.first_attempt, self.attached_at, self.expires_at = submission_id, attempt, now, None

    def start_deletion(self, reason: str) -> None:
        self.state = advance("file", self.state, FileState.DELETING, FILE_TRANSITIONS)
        self.deletion_reason = reason

    def deletion_done(self, now: datetime) -> None:
        self.state = advance("file", self.state, FileState.DELETED, FILE_TRANSITIONS)
        self.deleted_at, self.upload_ref = now, None

    def ref(self) -> FileRef:
        """What the other services are told of an attached file: the stored copy, no name."""
        assert self.media_type is not None and self.stored_size is not None and self.stored_sha256 is not None
        return FileRef(file_id=self.id, media_type=self.media_type, size=self.stored_size, sha256=self.stored_sha256)
