"""Serving a stored evidence file over HTTP with byte ranges (RFC 9110 section 14), so a video
seeks and a dropped download resumes: one range per request (a multi-range request gets
the whole file, which RFC 9110 allows); a range past the end is 416."""

import re

from fastapi.responses import StreamingResponse

from awardpath_shared.errors import Gone
from awardpath_shared.problems import Problem
from awardpath_shared.storage import EvidenceStorage

_SINGLE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first and last byte a Range header asks for, or None for the whole file."""
    match = _SINGLE_RANGE.fullmatch(header.strip()) if header else None
    if match is None or match.groups() == ("", ""):
        return None  # no Range, several ranges or a syntax we do not know: the whole file
    first, last = match.groups()
    if first and last and int(first) > int(last):
        return None  # not a valid range: ignored, as RFC 9110 says
    if first == "":  # the final N bytes
        start, end = max(size - int(last), 0), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        detail = f"the file has {size} bytes"
        headers = {"Content-Range": f"bytes */{size}"}
        raise Problem(416, "range-not-satisfiable", "Range not satisfiable", detail, headers)
    return start, end


async def stored_file_response(
    storage: EvidenceStorage, key: str, *, media_type: str, download_name: str, range_header: str | None
) -> StreamingResponse:
    """The stored object `key` (or the range asked for), streamed; 410 once it was deleted."""
    size = await storage.size(key)
    if size is None:
        raise Gone("file-deleted", "File deleted", "this evidence file was deleted under the retention rules")
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Disposition": f'inline; filename="{download_name}"',
        # Never cached by a shared cache, never reinterpreted as another type by a browser.
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        # The link is the permission: a page the file opens must not learn it.
        "Referrer-Policy": "no-referrer",
    }
    wanted = byte_range(range_header, size)
    start, end = wanted if wanted else (0, size - 1)
    headers["Content-Length"] = str(end - start + 1)
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return StreamingResponse(
        storage.read(key, start, end - start + 1),
        status_code=206 if wanted else 200,
        media_type=media_type,
        headers=headers,
    )
