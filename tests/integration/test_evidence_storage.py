"""The evidence store's contract, held by both backends: a directory, and S3 (a moto server)."""

import hashlib
import random
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError

from awardpath_shared.storage import (
    MIN_PART_SIZE,
    READ_CHUNK_SIZE,
    EvidenceStorage,
    EvidenceStorageSettings,
    LocalEvidenceStorage,
    StoredObjectMissing,
    StoredPart,
    UploadRejected,
    open_storage,
)
from tests.support.s3 import new_prefix

MIB = 1024 * 1024
PART = MIN_PART_SIZE  # S3's smallest part but the last: 5 MiB
KEY = "files/evidence"
OTHER_KEY = "files/other"


@pytest.fixture(params=["local", "s3"])
def storage_settings(request, tmp_path) -> EvidenceStorageSettings:
    if request.param == "local":
        return EvidenceStorageSettings(storage_path=str(tmp_path / "files"))
    # Asked for here, so a run of the local tests alone starts no server.
    s3_server = request.getfixturevalue("s3_server")
    return EvidenceStorageSettings(**s3_server.storage_overrides(new_prefix()))


@pytest.fixture
async def storage(storage_settings) -> AsyncIterator[EvidenceStorage]:
    opened = open_storage(storage_settings)
    yield opened
    await opened.close()


async def chunks_of(data: bytes, size: int = MIB) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


async def cut_off(data: bytes, after: int) -> AsyncIterator[bytes]:
    """The first `after` bytes of `data`, then the client goes away."""
    async for chunk in chunks_of(data[:after]):
        yield chunk
    raise ConnectionResetError("the client went away")


async def read_all(storage: EvidenceStorage, key: str, start: int = 0, length: int | None = None) -> bytes:
    return b"".join([chunk async for chunk in storage.read(key, start, length)])


async def test_parts_come_in_any_order_and_a_resent_part_replaces_the_first(storage):
    upload = await storage.start_upload(KEY)
    second = await storage.put_part(KEY, upload, 2, chunks_of(b"b" * PART))
    third = await storage.put_part(KEY, upload, 3, chunks_of(b"the end"))
    first_try = await storage.put_part(KEY, upload, 1, chunks_of(b"x" * PART))
    first = await storage.put_part(KEY, upload, 1, chunks_of(b"a" * PART))

    assert [(part.number, part.size) for part in (first, second, third)] == [(1, PART), (2, PART), (3, 7)]
    assert first.etag != first_try.etag
    assert await storage.parts(KEY, upload) == [first, second, third]

    assert await storage.complete_upload(KEY, upload, [first, second, third]) == 2 * PART + 7
    assert await read_all(storage, KEY) == b"a" * PART + b"b" * PART + b"the end"
    assert await storage.parts(KEY, upload) == []


async def test_a_part_cut_off_halfway_is_never_listed_and_can_be_sent_again(storage):
    upload = await storage.start_upload(KEY)
    first = await storage.put_part(KEY, upload, 1, chunks_of(b"a" * PART))

    with pytest.raises(ConnectionResetError):
        await storage.put_part(KEY, upload, 2, cut_off(b"b" * PART, 2 * MIB))
    assert await storage.parts(KEY, upload) == [first]
    # A resend that breaks leaves the part received before.
    with pytest.raises(ConnectionResetError):
        await storage.put_part(KEY, upload, 1, cut_off(b"c" * PART, 2 * MIB))
    assert await storage.parts(KEY, upload) == [first]

    second = await storage.put_part(KEY, upload, 2, chunks_of(b"b" * 10))
    assert await storage.parts(KEY, upload) == [first, second]
    assert await storage.complete_upload(KEY, upload, [first, second]) == PART + 10
    assert await read_all(storage, KEY) == b"a" * PART + b"b" * 10


async def test_a_part_put_to_its_presigned_url_is_listed(storage, storage_settings):
    upload = await storage.start_upload(KEY)
    url = await storage.presigned_part_url(KEY, upload, 1, expires_in=300)
    if storage_settings.storage_backend == "local":
        assert url is None  # parts go through the service (put_part)
        return

    assert url is not None
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.put(url, content=b"straight to the bucket")
    assert response.status_code == 200
    part = StoredPart(1, 22, response.headers["ETag"].strip('"'))
    assert await storage.parts(KEY, upload) == [part]
    assert await storage.complete_upload(KEY, upload, [part]) == 22
    assert await read_all(storage, KEY) == b"straight to the bucket"


async def test_abort_removes_the_parts_and_may_be_repeated(storage):
    upload = await storage.start_upload(KEY)
    await storage.put_part(KEY, upload, 1, chunks_of(b"a" * 100))

    await storage.abort_upload(KEY, upload)
    assert await storage.parts(KEY, upload) == []
    await storage.abort_upload(KEY, upload)
    await storage.abort_upload(KEY, "never-started")
    assert await storage.size(KEY) is None


async def test_a_local_upload_takes_nothing_once_aborted_nor_for_another_key(tmp_path):
    """The directory's own rule (S3 answers NoSuchUpload, which moto does not check)."""
    storage = LocalEvidenceStorage.open(tmp_path)
    upload = await storage.start_upload(KEY)
    part = await storage.put_part(KEY, upload, 1, chunks_of(b"a" * 100))

    assert await storage.parts(OTHER_KEY, upload) == []
    with pytest.raises(UploadRejected):
        await storage.put_part(OTHER_KEY, upload, 1, chunks_of(b"b"))
    with pytest.raises(UploadRejected):
        await storage.complete_upload(OTHER_KEY, upload, [part])

    await storage.abort_upload(KEY, upload)
    with pytest.raises(UploadRejected):
        await storage.put_part(KEY, upload, 2, chunks_of(b"b"))
    with pytest.raises(UploadRejected):
        await storage.complete_upload(KEY, upload, [part])
    assert await storage.size(KEY) is None


async def test_complete_refuses_parts_that_cannot_make_the_object(storage):
    upload = await storage.start_upload(KEY)
    small = await storage.put_part(KEY, upload, 1, chunks_of(b"small"))
    last = await storage.put_part(KEY, upload, 2, chunks_of(b"end"))

    for parts in ([small, last], [last, small], [StoredPart(1, 5, "0" * 32)], []):
        with pytest.raises(UploadRejected):
            await storage.complete_upload(KEY, upload, parts)
    assert await storage.size(KEY) is None

    # Refusals leave the upload as it was: one small part is a last part.
    assert await storage.complete_upload(KEY, upload, [small]) == 5
    assert await read_all(storage, KEY) == b"small"


async def test_a_write_cut_off_halfway_leaves_the_key_as_it_was(storage):
    with pytest.raises(ConnectionResetError):  # past S3's first 8 MiB part
        await storage.write(KEY, cut_off(b"v" * 20 * MIB, 10 * MIB))
    assert await storage.size(KEY) is None
    with pytest.raises(StoredObjectMissing):
        await read_all(storage, KEY)

    assert await storage.write(KEY, chunks_of(b"first version")) == 13
    with pytest.raises(ConnectionResetError):
        await storage.write(KEY, cut_off(b"second version", 6))
    assert await read_all(storage, KEY) == b"first version"


async def test_a_failed_s3_write_leaves_no_upload_open(s3_server):
    prefix = new_prefix()
    storage = open_storage(EvidenceStorageSettings(**s3_server.storage_overrides(prefix)))
    try:
        with pytest.raises(ConnectionResetError):  # after one 8 MiB part went out
            await storage.write(KEY, cut_off(b"v" * 20 * MIB, 10 * MIB))
    finally:
        await storage.close()
    assert await s3_server.open_uploads(prefix) == []


async def test_read_streams_any_range(storage):
    data = bytes(range(256)) * 5000  # 1 280 000 bytes: more than one chunk
    await storage.write(KEY, chunks_of(data, 100_000))

    chunks = [chunk async for chunk in storage.read(KEY)]
    assert b"".join(chunks) == data
    assert max(len(chunk) for chunk in chunks) <= READ_CHUNK_SIZE
    assert await read_all(storage, KEY, start=1_279_999, length=1) == bytes([255])
    assert await read_all(storage, KEY, start=1_279_999) == bytes([255])
    assert await read_all(storage, KEY, start=1000, length=300_000) == data[1000:301_000]
    assert await read_all(storage, KEY, start=1_279_990, length=100) == bytes(range(246, 256))
    assert await read_all(storage, KEY, start=1_280_000) == b""
    assert await read_all(storage, KEY, start=5, length=0) == b""


async def test_reading_a_missing_object_says_which(storage):
    with pytest.raises(StoredObjectMissing) as missing:
        await read_all(storage, "files/missing")
    assert missing.value.key == "files/missing"
    with pytest.raises(StoredObjectMissing):
        await read_all(storage, "files/missing", start=5, length=0)
    assert await storage.size("files/missing") is None


async def test_delete_may_be_repeated(storage):
    await storage.write(KEY, chunks_of(b"gone soon"))
    assert await storage.size(KEY) == 9

    await storage.delete(KEY)
    assert await storage.size(KEY) is None
    await storage.delete(KEY)


async def test_a_large_write_reads_back_whole(storage):
    data = random.Random(7).randbytes(20 * MIB)  # three of S3's 8 MiB parts

    assert await storage.write(KEY, chunks_of(data)) == 20 * MIB
    assert await storage.size(KEY) == 20 * MIB
    read_back = hashlib.sha256()
    async for chunk in storage.read(KEY):
        read_back.update(chunk)
    assert read_back.hexdigest() == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("key", ["../x", "files/../../x", "/etc/passwd", "files/.uploads", "files//x", "a b"])
async def test_keys_stay_inside_the_store(storage, key):
    with pytest.raises(ValueError):
        await storage.write(key, chunks_of(b"x"))
    with pytest.raises(ValueError):
        await storage.start_upload(key)
    with pytest.raises(ValueError):
        await storage.size(key)


async def test_the_store_is_reachable(storage):
    assert await storage.reachable()


async def test_a_missing_bucket_is_not_reachable(s3_server):
    settings = EvidenceStorageSettings(**{**s3_server.storage_overrides(new_prefix()), "s3_bucket": "no-such-bucket"})
    storage = open_storage(settings)
    try:
        assert not await storage.reachable()
    finally:
        await storage.close()


def test_the_s3_backend_needs_a_bucket():
    with pytest.raises(ValidationError, match="AWARDPATH_S3_BUCKET"):
        EvidenceStorageSettings(storage_backend="s3")


async def test_the_local_store_keeps_nothing_of_finished_or_failed_work(tmp_path):
    root = tmp_path / "files"
    storage = open_storage(EvidenceStorageSettings(storage_path=str(root)))
    completed = await storage.start_upload(KEY)
    part = await storage.put_part(KEY, completed, 1, chunks_of(b"a"))
    await storage.complete_upload(KEY, completed, [part])
    aborted = await storage.start_upload(OTHER_KEY)
    await storage.put_part(OTHER_KEY, aborted, 1, chunks_of(b"b"))
    await storage.abort_upload(OTHER_KEY, aborted)
    with pytest.raises(ConnectionResetError):
        await storage.write(OTHER_KEY, cut_off(b"c" * 10, 5))

    assert part.etag == hashlib.sha256(b"a").hexdigest()
    assert sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) == [KEY]
