"""Evidence files when a process dies halfway (service code on a migrated database, both
backends, a real directory as the store): a completion that died after joining the parts
finishes when called again; a deletion that died before the bytes were gone is repeated, and
a file is marked deleted, and logged, once."""

import logging
from datetime import timedelta

import pytest

from awardpath_shared.ids import utcnow
from awardpath_shared.storage import LocalEvidenceStorage
from awardpath_shared.storage.names import stored_key
from awardpath_submission.files.models import FileState, staging_key
from awardpath_submission.files.retention import RetentionService
from awardpath_submission.files.service import FileService
from awardpath_submission.settings import SubmissionSettings
from tests.support.evidence_files import PART_BYTES, jpeg_with_metadata, sha256

PLATFORM = "platform-crashes"


@pytest.fixture
def storage(tmp_path):
    return LocalEvidenceStorage.open(tmp_path / "files")


@pytest.fixture
def settings():
    return SubmissionSettings(upload_part_bytes=PART_BYTES)


async def chunks(data: bytes):
    yield data


async def test_a_completion_that_died_after_joining_the_parts_finishes_when_called_again(
    submission_uow, settings, storage
):
    files = FileService(submission_uow, settings, storage)
    data = jpeg_with_metadata("Ada Teacher", padding=PART_BYTES)
    started = await files.start_upload(PLATFORM, len(data), sha256(data), "image/jpeg")
    file = started.file
    for target in started.missing:
        start = (target.number - 1) * PART_BYTES
        await storage.put_part(
            staging_key(file.id), file.upload_ref, target.number, chunks(data[start : start + target.size])
        )
    # The process joined the parts, then died before verifying: the upload is gone from the
    # store, the joined object stands, the row still says receiving.
    await storage.complete_upload(
        staging_key(file.id), file.upload_ref, await storage.parts(staging_key(file.id), file.upload_ref)
    )

    completed = await files.complete(PLATFORM, file.id)

    assert completed.state == FileState.READY and completed.sha256 == sha256(data)
    assert await storage.size(staging_key(file.id)) is None  # the joined object went
    assert await storage.size(stored_key(file.id)) == completed.stored_size


class DiesOnFirstDelete:
    """The store, but the process dies while deleting the first time."""

    def __init__(self, storage) -> None:
        self.storage = storage
        self.died = False

    def __getattr__(self, name):
        return getattr(self.storage, name)

    async def delete(self, key: str) -> None:
        if key.startswith("files/") and not self.died:
            self.died = True
            raise SystemExit("killed")
        await self.storage.delete(key)


async def test_a_deletion_that_died_is_repeated_and_the_file_is_deleted_once(submission_uow, settings, storage, caplog):
    files = FileService(submission_uow, settings, storage)
    data = jpeg_with_metadata("Ada Teacher")
    file = await files.upload_whole(PLATFORM, len(data), sha256(data), "image/jpeg", chunks(data))
    assert await storage.size(stored_key(file.id)) == file.stored_size
    later = utcnow() + timedelta(hours=settings.unattached_file_hours + 1)

    dying = RetentionService(submission_uow, settings, DiesOnFirstDelete(storage))
    assert await dying.mark_due(later) == 1
    with pytest.raises(SystemExit):
        await dying.remove_marked(later)
    assert file.state == FileState.DELETING  # not marked deleted while its bytes are there
    assert await storage.size(stored_key(file.id)) == file.stored_size

    caplog.set_level(logging.INFO, logger="awardpath_submission.files.retention")
    retention = RetentionService(submission_uow, settings, storage)
    assert await retention.remove_marked(later) == 1
    assert await retention.remove_marked(later) == 0

    assert file.state == FileState.DELETED and file.deletion_reason == "never evidence"
    assert await storage.size(stored_key(file.id)) is None
    assert [record.file_id for record in caplog.records if record.message == "evidence file deleted"] == [file.id]
