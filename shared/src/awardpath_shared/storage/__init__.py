"""Evidence files (classroom videos up to 2 GB, PDFs, images) behind one interface,
`EvidenceStorage`, kept in a directory (`LocalEvidenceStorage`) or an S3 bucket
(`storage.s3.S3EvidenceStorage`, imported only when configured); `open_storage` opens the
one the settings name."""

from awardpath_shared.storage.base import (
    MAX_PART_NUMBER,
    MIN_PART_SIZE,
    READ_CHUNK_SIZE,
    EvidenceStorage,
    StoredObjectMissing,
    StoredPart,
    UploadRejected,
)
from awardpath_shared.storage.local import LocalEvidenceStorage
from awardpath_shared.storage.settings import EvidenceStorageSettings, FileLinkSettings, open_storage

__all__ = [
    "MAX_PART_NUMBER",
    "MIN_PART_SIZE",
    "READ_CHUNK_SIZE",
    "EvidenceStorage",
    "EvidenceStorageSettings",
    "FileLinkSettings",
    "LocalEvidenceStorage",
    "StoredObjectMissing",
    "StoredPart",
    "UploadRejected",
    "open_storage",
]
