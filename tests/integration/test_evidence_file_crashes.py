"""Evidence files when a process dies halfway (the submission service's runtime on a database
of the test's own, both backends, a real directory as the store): a completion that died after
joining the parts finishes when called again; a deletion that died before the bytes were gone
is repeated, and a file is marked deleted, and logged, once."""

import logging
from datetime import timedelta

import pytest

from awardpath.services import SERVICES
from awardpath_shared.ids import utcnow
from awardpath_shared.messaging.delivery import RetryPolicy
from awardpath_shared.messaging.inprocess import InProcessTransport
from awardpath_shared.storage.names import stored_key
from awardpath_submission.files import streaming
from awardpath_submission.files.models import FileState, staging_key
from awardpath_submission.files.retention import RetentionService
from awardpath_submission.files.service import FileService
from awardpath_submission.files.tasks import sweep_files
from tests.support.evidence_files import PART_BYTES, jpeg_with_metadata, sha256

PLATFORM = "platform-crashes"


@pytest.fixture
async def runtime(database_url, tmp_path):
    entry = SERVICES["submission"]
    settings = entry.settings(
        database_url=database_url, storage_path=str(tmp_path / "files"), upload_part_bytes=PART_BYTES
    )
    built = entry.build_runtime(settings, InProcessTransport(RetryPolicy.of(settings)))
    yield built
    await built.close()


async def chunks(data: bytes):
    yield data


async def test_a_completion_that_died_after_joining_the_parts_finishes_when_called_again(runtime):
    storage = runtime.storage
    data = jpeg_with_metadata("Ada Teacher", padding=PART_BYTES)
    async with runtime.transaction() as uow:
        started = await FileService(uow, runtime.settings, storage).start_upload(
            PLATFORM, len(data), sha256(data), "image/jpeg"
        )
    file = started.file
    key = staging_key(file.id)
    for target in started.missing:
        start = (target.number - 1) * PART_BYTES
        await storage.put_part(key, file.upload_ref, target.number, chunks(data[start : start + target.size]))
    # The process joined the parts, then died before verifying: the joined object stands, the
    # row still says receiving.
    await storage.complete_upload(key, file.upload_ref, await storage.parts(key, file.upload_ref))

    completed = await streaming.complete_upload(runtime, PLATFORM, file.id)

    assert completed.state == FileState.READY and completed.sha256 == sha256(data)
    assert await storage.size(key) is None  # the uploaded bytes, metadata and all, went
    assert await storage.size(stored_key(file.id)) == completed.stored_size


class DiesOnFirstDelete:
    """The store, but the process dies while deleting a stored copy the first time."""

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


async def test_a_deletion_that_died_is_repeated_and_the_file_is_deleted_once(runtime, caplog):
    storage = runtime.storage
    data = jpeg_with_metadata("Ada Teacher")
    file = await streaming.upload_whole(runtime, PLATFORM, len(data), sha256(data), "image/jpeg", chunks(data))
    assert await storage.size(stored_key(file.id)) == file.stored_size
    later = utcnow() + timedelta(hours=runtime.settings.unattached_file_hours + 1)
    async with runtime.transaction() as uow:
        assert await RetentionService(uow, runtime.settings, storage).mark_due(later) == 1

    with pytest.raises(SystemExit):
        async with runtime.transaction() as uow:
            await RetentionService(uow, runtime.settings, DiesOnFirstDelete(storage)).remove_marked(later)
    async with runtime.reading() as uow:
        assert (await uow.files.file(file.id)).state == FileState.DELETING  # not deleted while its bytes are there
    assert await storage.size(stored_key(file.id)) == file.stored_size

    caplog.set_level(logging.INFO, logger="awardpath_submission.files.tasks")
    await sweep_files(runtime, later)
    await sweep_files(runtime, later)

    async with runtime.reading() as uow:
        deleted = await uow.files.file(file.id)
    assert deleted.state == FileState.DELETED and deleted.deletion_reason == "never evidence"
    assert await storage.size(stored_key(file.id)) is None
    assert [record.file_id for record in caplog.records if record.message == "evidence file deleted"] == [file.id]
