from typing import Self

from pydantic import Field, model_validator

from awardpath_shared.settings import ConflictHashingSettings, per_service
from awardpath_shared.storage import MAX_PART_NUMBER, MIN_PART_SIZE, FileLinkSettings

SERVICE = "submission"


class SubmissionSettings(ConflictHashingSettings, FileLinkSettings):
    database_url: str = per_service(SERVICE, "database_url", "sqlite+aiosqlite:///./var/awardpath.db")
    port: int = per_service(SERVICE, "port", 8001)
    # A worker's (`awardpath worker submission`) health and metrics endpoints.
    worker_port: int = per_service(SERVICE, "worker_port", 9101)
    max_evidence_text_chars: int = 50_000
    max_artifacts_per_section: int = 20
    # Evidence files: the largest file, the largest taken in one request, the part size of an
    # upload in parts (S3 wants at least 5 MiB but for the last part).
    max_file_bytes: int = 2 * 1024**3
    max_single_request_file_bytes: int = 32 * 1024**2
    upload_part_bytes: int = Field(default=32 * 1024**2, ge=MIN_PART_SIZE)
    # An upload not completed in this time is removed, and so is a file no evidence names.
    upload_expiry_hours: float = 24
    unattached_file_hours: float = 72
    # Files of a withdrawn or finally denied submission (or of a revoked credential) are
    # deleted this long after; files of a valid credential stay until the platform asks.
    evidence_retention_days: float = 90
    file_sweep_seconds: float = 300

    @model_validator(mode="after")
    def _largest_file_fits_in_parts(self) -> Self:
        if -(-self.max_file_bytes // self.upload_part_bytes) > MAX_PART_NUMBER:
            raise ValueError(
                f"AWARDPATH_MAX_FILE_BYTES over AWARDPATH_UPLOAD_PART_BYTES is more than {MAX_PART_NUMBER} parts"
            )
        return self
