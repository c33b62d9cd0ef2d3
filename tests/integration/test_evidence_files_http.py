"""Evidence files through the three running apps (in-process transport, a database of the
test's own) on both storage backends (a directory, and a real S3-protocol server): uploads in
parts that resume, verification refusals, the blind copy an assessor reaches by a signed
link with byte ranges, the issuer's view, retention and deletion."""

import hashlib

import pikepdf
import pytest
from PIL import Image

from tests.support.award_path import Earner, evidence, open_award_path
from tests.support.evidence_files import (
    PART_BYTES,
    classroom_video,
    content_digest,
    drop_midway,
    jpeg_with_metadata,
    pdf_with_author,
    put_parts,
    sha256,
    start_upload,
    upload,
    upload_whole,
)
from tests.support.in_process import running_clients
from tests.support.polling import eventually
from tests.support.system import problem

SECRET = "test-secret-for-evidence-files"


@pytest.fixture
async def clients(database_url, storage_overrides):
    per_service = {"submission": {"upload_part_bytes": PART_BYTES}}
    async with running_clients(database_url, SECRET, per_service=per_service, **storage_overrides) as made:
        yield made


def with_files(earner: Earner, section_files: dict[str, list[str]]) -> list[dict]:
    items = evidence("attempt 1", earner)
    for item in items:
        item["files"] = [{"file_id": file_id} for file_id in section_files.get(item["section_id"], [])]
    return items


async def test_an_upload_in_parts_resumes_after_a_lost_part_and_is_verified(clients):
    path = await open_award_path(clients)
    data = jpeg_with_metadata("Ada Teacher", padding=2 * PART_BYTES + 1000)  # three parts
    started = await start_upload(path.platform, data, "image/jpeg")
    assert [part["size"] for part in started["parts_to_send"]] == [PART_BYTES, PART_BYTES, len(data) - 2 * PART_BYTES]

    second = started["parts_to_send"][1]
    if not second["url"].startswith(str(path.platform.base_url)):
        # The object store's presigned URL: a real connection, dropped halfway.
        await drop_midway(second["url"], data[PART_BYTES : 2 * PART_BYTES])
    await put_parts(path.platform, started, data, numbers={3, 1})  # out of order; part 2 lost
    early = await path.platform.post(f"/v1/uploads/{started['id']}/complete")
    assert problem(early, 409)["missing_parts"] == [2]
    resumed = (await path.platform.get(f"/v1/uploads/{started['id']}")).json()
    assert [part["number"] for part in resumed["received_parts"]] == [1, 3]
    assert [part["number"] for part in resumed["parts_to_send"]] == [2]

    await put_parts(path.platform, resumed, data)
    completed = await path.platform.post(f"/v1/uploads/{started['id']}/complete")
    assert completed.status_code == 200, completed.text
    file = completed.json()
    assert file["state"] == "ready" and file["size"] == len(data) and file["sha256"] == sha256(data)
    assert file["stored_size"] < len(data)  # the metadata went
    again = await path.platform.post(f"/v1/uploads/{started['id']}/complete")
    assert again.json()["stored_sha256"] == file["stored_sha256"]  # a retried call answers the same


async def test_a_part_of_the_wrong_length_forged_or_too_late_is_refused(database_url, tmp_path):
    """On the local backend parts come to the service (an object store checks its own URLs)."""
    local = {"storage_backend": "local", "storage_path": str(tmp_path)}
    async with running_clients(database_url, SECRET, **local) as clients:
        path = await open_award_path(clients)
        await _refuses_bad_parts(path)


async def _refuses_bad_parts(path) -> None:
    data = pdf_with_author("Ada Teacher")
    started = await start_upload(path.platform, data, "application/pdf")
    [target] = started["parts_to_send"]
    assert "signature=" in target["url"]
    short = await path.platform.put(target["url"], content=data[:-1])
    assert problem(short, 422)["type"].endswith("/part-incomplete")
    forged = await path.platform.put(target["url"].replace("signature=", "signature=x"), content=data)
    assert problem(forged, 403)
    status = (await path.platform.get(f"/v1/uploads/{started['id']}")).json()
    assert status["received_parts"] == []
    assert (await path.platform.put(target["url"], content=data)).status_code == 200
    assert (await path.platform.post(f"/v1/uploads/{started['id']}/complete")).status_code == 200
    late = await path.platform.put(target["url"], content=data)
    assert problem(late, 409)["type"].endswith("/upload-not-receiving")


@pytest.mark.parametrize(
    ("declared", "data", "status", "code"),
    [
        ("image/jpeg", pdf_with_author("Ada Teacher"), 422, "media-type-mismatch"),
        ("video/mp4", b"\x00\x01 not a video at all " * 100, 415, "unsupported-file-type"),
    ],
)
async def test_a_file_that_is_not_what_it_says_is_refused_and_nothing_is_kept(clients, declared, data, status, code):
    path = await open_award_path(clients)
    started = await start_upload(path.platform, data, declared)
    await put_parts(path.platform, started, data)
    refused = await path.platform.post(f"/v1/uploads/{started['id']}/complete")
    assert problem(refused, status)["type"].endswith(f"/{code}")
    after = (await path.platform.get(f"/v1/files/{started['id']}")).json()
    assert after["state"] in ("deleting", "deleted") and after["deletion_reason"].startswith(f"refused: {code}")
    again = await path.platform.post(f"/v1/uploads/{started['id']}/complete")
    assert problem(again, 409)["type"].endswith("/file-deleted")
    named = await path.platform.post(
        "/v1/submissions",
        json={
            "micro_credential_id": path.micro_credential_id,
            "earner": Earner().as_json(),
            "evidence": with_files(Earner(), {"practice": [started["id"]]}),
        },
    )
    assert problem(named, 422)["type"].endswith("/unusable-file")


async def test_audio_in_an_mp4_container_is_taken_as_declared(clients):
    """Audio-only MP4 often carries a video brand: the container is one, the declaration decides."""
    path = await open_award_path(clients)
    recording = classroom_video("Ada Teacher", b"\x00" * 1000)
    file = await upload_whole(path.platform, recording, "audio/mp4")
    assert file["state"] == "ready" and file["media_type"] == "audio/mp4"


async def test_a_hash_mismatch_is_refused(clients):
    path = await open_award_path(clients)
    data = pdf_with_author("Ada Teacher")
    started = await start_upload(path.platform, data, "application/pdf", sha256="0" * 64)
    await put_parts(path.platform, started, data)
    refused = await path.platform.post(f"/v1/uploads/{started['id']}/complete")
    assert problem(refused, 422)["found_sha256"] == sha256(data)
    whole = await path.platform.post(
        "/v1/files", content=data, headers={"Content-Type": "application/pdf", "Content-Digest": content_digest(b"x")}
    )
    assert problem(whole, 422)["type"].endswith("/sha256-mismatch")
    too_big = await path.platform.post(
        "/v1/uploads", json={"size": 3 * 1024**3, "sha256": "0" * 64, "media_type": "video/mp4"}
    )
    assert problem(too_big, 413)["type"].endswith("/file-too-large")


async def test_the_assessor_reaches_the_blind_copy_by_a_signed_link_with_ranges(clients):
    path = await open_award_path(clients, assessors=("assessor-a", "assessor-b"))
    earner = Earner()
    photo = await upload(path.platform, jpeg_with_metadata(earner.name), "image/jpeg")
    plan = await upload_whole(path.platform, pdf_with_author(earner.name), "application/pdf")
    submission_id = await path.submit(earner, items=with_files(earner, {"practice": [photo["id"], plan["id"]]}))
    claimed = await path.claim("assessor-a")
    view = (await path.assessors["assessor-a"].get(f"/v1/assignments/{claimed['assignment_id']}")).json()

    files = {file["file_id"]: file for file in view["files"]}
    assert set(files) == {photo["id"], plan["id"]}
    assert files[photo["id"]]["name"] == "practice-1.jpg" and files[plan["id"]]["name"] == "practice-2.pdf"
    image = await path.assessors["assessor-a"].get(files[photo["id"]]["url"], headers={"Authorization": ""})
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert hashlib.sha256(image.content).hexdigest() == photo["stored_sha256"]
    assert image.headers["content-disposition"] == 'inline; filename="practice-1.jpg"'
    for identity in earner.identity_strings():
        assert identity.encode() not in image.content and identity not in str(image.headers)
    assert Image.open(__import__("io").BytesIO(image.content)).size == (64, 48)

    document = await path.assessors["assessor-a"].get(files[plan["id"]]["url"])
    with pikepdf.open(__import__("io").BytesIO(document.content)) as pdf:
        assert "/Author" not in pdf.docinfo and "/Metadata" not in pdf.Root
    assert earner.name.encode() not in document.content

    middle = await path.assessors["assessor-a"].get(files[photo["id"]]["url"], headers={"Range": "bytes=10-19"})
    assert middle.status_code == 206 and middle.content == image.content[10:20]
    assert middle.headers["content-range"] == f"bytes 10-19/{len(image.content)}"
    tail = await path.assessors["assessor-a"].get(files[photo["id"]]["url"], headers={"Range": "bytes=-5"})
    assert tail.content == image.content[-5:]
    beyond = await path.assessors["assessor-a"].get(files[photo["id"]]["url"], headers={"Range": "bytes=999999-"})
    assert problem(beyond, 416) and beyond.headers["content-range"] == f"bytes */{len(image.content)}"
    backwards = await path.assessors["assessor-a"].get(files[photo["id"]]["url"], headers={"Range": "bytes=10-5"})
    assert backwards.status_code == 200 and backwards.content == image.content  # not a range: ignored
    assert image.headers["referrer-policy"] == "no-referrer"  # the link is the permission

    other = await path.assessors["assessor-b"].get(f"/v1/assignments/{claimed['assignment_id']}")
    assert problem(other, 403)
    swapped = files[photo["id"]]["url"].replace(photo["id"], plan["id"])
    assert problem(await path.assessors["assessor-b"].get(swapped), 403)

    await path.review("assessor-a", claimed["assignment_id"], "proficient", "award")
    ended = await path.assessors["assessor-a"].get(files[photo["id"]]["url"])
    assert problem(ended, 403)["detail"] == "the assignment this link was given for has ended"

    decision = await path.pending_decision(submission_id, 1)
    assert {file["file_id"] for file in decision["files"]} == {photo["id"], plan["id"]}
    issued = await path.issuer.get(
        f"/v1/decisions/{decision['id']}/files/{photo['id']}", headers={"Range": "bytes=0-1"}
    )
    assert issued.status_code == 206 and issued.content == b"\xff\xd8"
    first = (await path.platform.get(f"/v1/submissions/{submission_id}/files", params={"limit": 1})).json()
    rest = await path.platform.get(
        f"/v1/submissions/{submission_id}/files", params={"limit": 1, "cursor": first["next_cursor"]}
    )
    listed = [*first["items"], *rest.json()["items"]]
    assert [(file["id"], file["state"], file["first_attempt"]) for file in listed] == [
        (photo["id"], "attached", 1),
        (plan["id"], "attached", 1),
    ]  # in upload order
    assert rest.json()["next_cursor"] is None


async def test_a_link_expires(database_url, storage_overrides):
    fast = {"assessment": {"file_link_seconds": 1}}
    async with running_clients(database_url, SECRET, per_service=fast, **storage_overrides) as clients:
        path = await open_award_path(clients)
        earner = Earner()
        photo = await upload_whole(path.platform, jpeg_with_metadata(earner.name), "image/jpeg")
        await path.submit(earner, items=with_files(earner, {"practice": [photo["id"]]}))
        claimed = await path.claim("assessor-a")
        view = (await path.assessors["assessor-a"].get(f"/v1/assignments/{claimed['assignment_id']}")).json()
        url = view["files"][0]["url"]
        refused = await eventually(lambda: path.assessors["assessor-a"].get(url), lambda r: r.status_code == 403)
        assert "expired" in problem(refused, 403)["detail"]


async def test_files_of_a_withdrawn_submission_go_after_the_retention_period(database_url, storage_overrides):
    quick = {"submission": {"evidence_retention_days": 0, "file_sweep_seconds": 0.2, "upload_expiry_hours": 0.0005}}
    async with running_clients(database_url, SECRET, per_service=quick, **storage_overrides) as clients:
        path = await open_award_path(clients)
        earner = Earner()
        photo = await upload_whole(path.platform, jpeg_with_metadata(earner.name), "image/jpeg")
        abandoned = await start_upload(path.platform, pdf_with_author(earner.name), "application/pdf")
        submission_id = await path.submit(earner, items=with_files(earner, {"practice": [photo["id"]]}))
        kept = (await path.platform.get(f"/v1/files/{photo['id']}")).json()
        assert kept["state"] == "attached"  # an open submission's files stay

        await path.platform.post(f"/v1/submissions/{submission_id}/withdraw")

        def file(file_id):
            return path.platform.get(f"/v1/files/{file_id}")

        deleted = (await eventually(lambda: file(photo["id"]), lambda r: r.json()["state"] == "deleted")).json()
        assert deleted["deletion_reason"].startswith("retention: submission withdrawn")
        gone = (await eventually(lambda: file(abandoned["id"]), lambda r: r.json()["state"] == "deleted")).json()
        assert gone["deletion_reason"] == "upload never completed"


async def test_the_platform_deletes_an_awarded_submissions_files_and_the_credential_still_verifies(
    database_url, storage_overrides
):
    quick = {"submission": {"file_sweep_seconds": 0.2}}
    async with running_clients(database_url, SECRET, per_service=quick, **storage_overrides) as clients:
        path = await open_award_path(clients, policy="auto")
        earner = Earner()
        photo = await upload_whole(path.platform, jpeg_with_metadata(earner.name), "image/jpeg")
        submission_id = await path.submit(earner, items=with_files(earner, {"practice": [photo["id"]]}))
        too_early = await path.platform.delete(f"/v1/submissions/{submission_id}/files")
        assert problem(too_early, 409)["type"].endswith("/submission-open")
        claimed = await path.claim("assessor-a")
        await path.review("assessor-a", claimed["assignment_id"], "proficient", "award")
        awarded = await eventually(lambda: path.submission(submission_id), lambda body: body["credential_id"])

        asked = await path.platform.delete(f"/v1/submissions/{submission_id}/files")
        assert asked.status_code == 202 and asked.json() == {"submission_id": submission_id, "marked": 1}

        listed = await eventually(
            lambda: path.platform.get(f"/v1/submissions/{submission_id}/files"),
            lambda r: r.json()["items"][0]["state"] == "deleted",
        )
        assert listed.json()["items"][0]["deletion_reason"] == "requested by the platform"
        credential = await clients("award", None).get(f"/v1/credentials/{awarded['credential_id']}")
        verified = await clients("award", None).post("/v1/verify", json=credential.json())
        assert verified.status_code == 200 and verified.json()["verified"] is True, verified.text
