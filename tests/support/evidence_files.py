"""Evidence files for tests: files that carry an earner's name in their metadata, and a
platform's upload of them through the API (in parts, or in one request)."""

import asyncio
import base64
import hashlib
import io
from typing import Any
from urllib.parse import urlsplit

import httpx
import pikepdf
from PIL import Image

# S3 wants parts of at least 5 MiB (but the last): the smallest part size both backends take.
PART_BYTES = 5 * 1024 * 1024


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_digest(data: bytes) -> str:
    return f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"


def jpeg_with_metadata(name: str, *, padding: int = 0) -> bytes:
    """A photo of student work as a phone takes it: EXIF naming the teacher, a comment;
    `padding` bytes of noise make it as large as a test needs."""
    image = Image.frombytes("RGB", (64, 48), bytes(range(256)) * 36)
    exif = Image.Exif()
    exif[0x013B] = name  # Artist
    exif[0x010E] = f"Circle time, {name}'s classroom"  # ImageDescription
    exif[0x8298] = f"(c) {name}"  # Copyright
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=f"taken by {name}".encode())
    data = out.getvalue()
    # Bytes after the end-of-image marker: viewers ignore them, the size grows.
    return data + hashlib.shake_256(name.encode()).digest(padding) if padding else data


def pdf_with_author(name: str) -> bytes:
    """A lesson plan exported from a word processor: author and creator name the teacher."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"] = name
    pdf.docinfo["/Title"] = f"Lesson plan by {name}"
    with pdf.open_metadata(set_pikepdf_as_editor=False) as metadata:
        metadata["dc:creator"] = [name]
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def box(kind: bytes, payload: bytes) -> bytes:
    """An ISO media box: its size, its type, its payload."""
    return (8 + len(payload)).to_bytes(4) + kind + payload


def classroom_video(name: str, media: bytes) -> bytes:
    """An MP4 as a phone records it: the teacher's name in the movie's user data, `media` as
    the coded frames."""
    artist = box(b"\xa9ART", box(b"data", bytes(8) + name.encode()))
    location = box(b"\xa9xyz", f"+40.7128-074.0060/ {name}'s classroom".encode())
    moov = box(
        b"moov", box(b"mvhd", bytes(100)) + box(b"udta", box(b"meta", bytes(4) + box(b"ilst", artist)) + location)
    )
    return box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2avc1mp41") + moov + box(b"mdat", media)


async def drop_midway(url: str, body: bytes) -> None:
    """PUT `body` to `url` over a real connection that breaks after half of it, as a train
    entering a tunnel does: the server sees the client go."""
    target = urlsplit(url)
    _, writer = await asyncio.open_connection(target.hostname, target.port)
    request = (
        f"PUT {target.path}?{target.query} HTTP/1.1\r\nHost: {target.netloc}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    writer.write(request.encode() + body[: len(body) // 2])
    await writer.drain()
    writer.transport.abort()


async def put_parts(platform: httpx.AsyncClient, upload: dict[str, Any], data: bytes, numbers=None) -> None:
    """PUT the upload's parts (all, or those `numbers`) to their URLs: this service's own
    (through the platform's client, whatever its base URL) or an object store's presigned ones."""
    for target in upload["parts_to_send"]:
        if numbers is not None and target["number"] not in numbers:
            continue
        start = (target["number"] - 1) * upload["part_size"]
        body = data[start : start + target["size"]]
        response = await _put(platform, target["url"], body)
        assert response.status_code == 200, response.text
        assert response.headers["etag"]


async def _put(platform: httpx.AsyncClient, url: str, body: bytes) -> httpx.Response:
    if url.startswith(str(platform.base_url)):
        # No bearer token: the URL is the permission.
        return await platform.put(url, content=body, headers={"Authorization": ""})
    async with httpx.AsyncClient() as store:
        return await store.put(url, content=body)


async def start_upload(platform: httpx.AsyncClient, data: bytes, media_type: str, **declared: Any) -> dict[str, Any]:
    body = {"size": len(data), "sha256": sha256(data), "media_type": media_type, **declared}
    response = await platform.post("/v1/uploads", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def upload(platform: httpx.AsyncClient, data: bytes, media_type: str) -> dict[str, Any]:
    """The whole upload in parts; the completed file."""
    started = await start_upload(platform, data, media_type)
    await put_parts(platform, started, data)
    completed = await platform.post(f"/v1/uploads/{started['id']}/complete")
    assert completed.status_code == 200, completed.text
    return completed.json()


async def upload_whole(platform: httpx.AsyncClient, data: bytes, media_type: str) -> dict[str, Any]:
    """A small file in one request."""
    headers = {"Content-Type": media_type, "Content-Digest": content_digest(data)}
    response = await platform.post("/v1/files", content=data, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()
