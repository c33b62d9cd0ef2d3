"""Where evidence files are kept, and the store that keeps them there."""

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from awardpath_shared.settings import ServiceSettings, secret_problems
from awardpath_shared.storage.base import EvidenceStorage
from awardpath_shared.storage.local import LocalEvidenceStorage

DEV_FILE_LINK_SECRET = "awardpath-local-file-link-secret-change-me"


class EvidenceStorageSettings(ServiceSettings):
    # local: a directory (one host); s3: a bucket of AWS S3 or an S3-compatible server.
    storage_backend: Literal["local", "s3"] = "local"
    # local: the directory the files live under (created if need be).
    storage_path: str = "./var/files"
    # s3: the bucket, and the folder in it the files live under ("" for the bucket's root).
    s3_bucket: str | None = None
    s3_prefix: str = ""
    # Unset: AWS itself. Set: an S3-compatible server (MinIO, Ceph), usually with path style.
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    # Unset: AWS's default credential chain (environment, profile, instance or pod role).
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    # The bucket in the URL's path, not its host name: what most S3-compatible servers want.
    s3_path_style: bool = False

    @model_validator(mode="after")
    def _bucket_given(self) -> "EvidenceStorageSettings":
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise ValueError("AWARDPATH_STORAGE_BACKEND=s3 needs AWARDPATH_S3_BUCKET")
        return self


class FileLinkSettings(EvidenceStorageSettings):
    """Submission and assessment: they sign links to evidence files (an upload's part, an
    assessor's file); each verifies only its own, by purpose."""

    file_link_secret: str = DEV_FILE_LINK_SECRET
    file_link_seconds: int = Field(default=900, ge=1, le=24 * 3600)

    def unsafe_settings(self) -> list[str]:
        return [
            *super().unsafe_settings(),
            *secret_problems("AWARDPATH_FILE_LINK_SECRET", self.file_link_secret, DEV_FILE_LINK_SECRET),
        ]


def open_storage(settings: EvidenceStorageSettings) -> EvidenceStorage:
    """The store the settings name, ready to use; the caller closes it (`close()`) at shutdown."""
    if settings.storage_backend == "local":
        return LocalEvidenceStorage.open(Path(settings.storage_path))
    assert settings.s3_bucket is not None  # the validator saw to it
    # Imported only here: aiobotocore costs every process over a second of start-up.
    from awardpath_shared.storage.s3 import S3EvidenceStorage

    return S3EvidenceStorage.open(
        bucket=settings.s3_bucket,
        prefix=settings.s3_prefix,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
        path_style=settings.s3_path_style,
    )
