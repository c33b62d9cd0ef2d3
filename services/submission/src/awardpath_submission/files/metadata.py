"""An evidence file without what identifies its maker, before an assessor sees it. Streamed:
memory holds a chunk and one bounded part of the structure (a JPEG segment, a movie's moov
box up to 64 MiB); a PDF, read whole, waits on disk.

Removed, per media type:
- JPEG: every APPn segment but APP0 (JFIF), APP2 holding an ICC profile and APP14 (Adobe), so
  EXIF (camera owner, GPS, dates, software, thumbnail), XMP, IPTC/Photoshop, MPF, APP12; every
  COM segment, before or between scans; anything after the end-of-image marker. An EXIF
  Orientation tag that turns the picture is kept, alone in a new EXIF segment (else a phone
  photo of student work reaches the assessor sideways).
- PNG: tEXt, zTXt, iTXt, eXIf, tIME chunks, and caBX (C2PA content credentials); anything
  after IEND.
- MP4, QuickTime, M4A: every udta and meta box at the top level and inside moov, trak, mdia,
  minf, edts, dinf, and every top-level uuid box (XMP), become free boxes of the same size with
  zeroed payloads, and free and skip boxes are zeroed too (editors leave old metadata in
  them), so every chunk offset stays valid.
- MP3: leading ID3v2 tags and a trailing ID3v1 tag.
- PDF: the document information dictionary, the trailer's document ID (it is kept from the
  first save), every /Metadata (XMP) and /PieceInfo (application data), the author (/T) of
  every annotation but form fields; then a full rewrite, so no old revision remains.
- Plain text: nothing (it has none); it is checked to be UTF-8 text to its end.

Not removed:
- the picture, sound and video themselves (a face, a voice, a name on a whiteboard);
- an ICC profile (its device description); PNG chunks of other types;
- a movie's timed metadata tracks (their samples are in mdat), boxes inside movie fragments;
- MP3: APEv2, Lyrics3 and enhanced ID3v1 ("TAG+") tags, an ID3v2 tag appended at the end;
- PDF: what its pages show (a name in its text, the EXIF inside an embedded JPEG),
  attachments, form values, annotation dates;
- a name written in a text file.

Lossless: kept bytes are copied, never re-encoded (a PDF is rewritten object by object).
"""

import codecs
import tempfile
from collections.abc import AsyncGenerator, AsyncIterable, Callable
from contextlib import aclosing
from pathlib import Path
from typing import Literal

import anyio
import pikepdf

from awardpath_shared.errors import Invalid
from awardpath_submission.files.chunked_input import ChunkedInput, unreadable
from awardpath_submission.files.media import NOT_IN_TEXT

# A movie's moov box is read into memory to blank the metadata inside it; a few MiB usually.
MOVIE_BOX_LIMIT = 64 * 2**20


async def without_metadata(media_type: str, chunks: AsyncIterable[bytes]) -> AsyncGenerator[bytes, None]:
    """The file's bytes with identifying metadata removed (what, per type, in the module
    docstring). Raises `Invalid` "unreadable-file" when the content is malformed for its type,
    possibly after some bytes were yielded: the output is whole only when the iteration ends."""
    try:
        removal = _REMOVALS[media_type]
    except KeyError:
        raise ValueError(f"not an accepted media type: {media_type!r}") from None
    # Closed with this generator: the PDF rewrite's temporary files go at once.
    async with aclosing(removal(ChunkedInput(chunks))) as pieces:
        async for piece in pieces:
            yield piece


async def _jpeg(data: ChunkedInput) -> AsyncGenerator[bytes, None]:
    if await data.read(2, "the JPEG start") != b"\xff\xd8":
        raise unreadable("a JPEG starts with its start-of-image marker")
    yield b"\xff\xd8"
    while (marker := await _jpeg_marker(data)) != 0xD9:
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # restart and TEM markers have no segment
            yield bytes((0xFF, marker))
            continue
        if marker in (0x00, 0xD8):
            raise unreadable("a JPEG holds a marker out of place")
        length = await data.read(2, "a JPEG segment")
        if int.from_bytes(length) < 2:
            raise unreadable("a JPEG segment is shorter than its length field")
        segment = await data.read(int.from_bytes(length) - 2, "a JPEG segment")
        if _jpeg_segment_kept(marker, segment):
            yield bytes((0xFF, marker)) + length + segment
        elif marker == 0xE1 and (orientation := _exif_orientation(segment)) is not None:
            yield _orientation_only(orientation)  # the rest of the EXIF goes; which way is up stays
        if marker == 0xDA:  # start of scan: its entropy-coded data follows
            async for piece in _jpeg_entropy_coded(data):
                yield piece
    yield b"\xff\xd9"
    async for _ in data.rest():
        pass


async def _jpeg_marker(data: ChunkedInput) -> int:
    if (await data.read(1, "a JPEG marker"))[0] != 0xFF:
        raise unreadable("a JPEG segment is not followed by a marker")
    while (marker := (await data.read(1, "a JPEG marker"))[0]) == 0xFF:  # fill bytes
        pass
    return marker


def _jpeg_segment_kept(marker: int, segment: bytes) -> bool:
    if marker == 0xFE or 0xE0 <= marker <= 0xEF:  # COM, APP0 to APP15
        return (
            marker == 0xE0
            or (marker == 0xE2 and segment.startswith(b"ICC_PROFILE\x00"))
            or (marker == 0xEE and segment.startswith(b"Adobe"))
        )
    return True


def _exif_orientation(segment: bytes) -> int | None:
    """The Orientation tag (0x0112) of an EXIF segment's first IFD, when it turns the picture."""
    tiff = segment[6:] if segment.startswith(b"Exif\x00\x00") else b""
    order: Literal["little", "big"] = "little" if tiff[:2] == b"II" else "big"
    if tiff[:2] not in (b"II", b"MM") or len(tiff) < 8:
        return None
    directory = int.from_bytes(tiff[4:8], order)
    entries = int.from_bytes(tiff[directory : directory + 2], order)
    for at in range(directory + 2, min(directory + 2 + 12 * entries, len(tiff) - 11), 12):
        if int.from_bytes(tiff[at : at + 2], order) == 0x0112 and int.from_bytes(tiff[at + 2 : at + 4], order) == 3:
            value = int.from_bytes(tiff[at + 8 : at + 10], order)
            return value if 2 <= value <= 8 else None
    return None


def _orientation_only(orientation: int) -> bytes:
    """An APP1 EXIF segment holding nothing but the Orientation tag (little-endian TIFF)."""
    entry = (0x0112).to_bytes(2, "little") + (3).to_bytes(2, "little") + (1).to_bytes(4, "little")
    directory = (1).to_bytes(2, "little") + entry + orientation.to_bytes(4, "little") + bytes(4)
    payload = b"Exif\x00\x00" + b"II*\x00" + (8).to_bytes(4, "little") + directory
    return b"\xff\xe1" + (len(payload) + 2).to_bytes(2) + payload


async def _jpeg_entropy_coded(data: ChunkedInput) -> AsyncGenerator[bytes, None]:
    """A scan's data, up to the marker that ends it (left unread). In the data a 0xFF byte is
    followed by 0x00 (stuffing) or a restart marker; any other follower starts a marker."""
    searched = 0
    while True:
        at = data.buffer.find(0xFF, searched)
        if at == -1 or at + 1 == len(data.buffer):
            # Nothing to decide yet: pass on what was searched, keep a last 0xFF for its follower.
            passed = len(data.buffer) if at == -1 else at
            if passed:
                yield data.take(passed)
            searched = 0
            if not await data.more():
                raise unreadable("the JPEG ends inside its image data")
        elif data.buffer[at + 1] == 0x00 or 0xD0 <= data.buffer[at + 1] <= 0xD7:
            searched = at + 2
        else:
            if at:
                yield data.take(at)
            return


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_DROPPED = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME", b"caBX"}


async def _png(data: ChunkedInput) -> AsyncGenerator[bytes, None]:
    if await data.read(8, "the PNG signature") != _PNG_SIGNATURE:
        raise unreadable("a PNG starts with its signature")
    yield _PNG_SIGNATURE
    kind = b""
    while kind != b"IEND":
        header = await data.read(8, "a PNG chunk header")
        length, kind = int.from_bytes(header[:4]), header[4:]
        if length >= 2**31 or not kind.isalpha():
            raise unreadable("a PNG chunk header is not one")
        if kind in _PNG_DROPPED:
            await data.skip(length + 4, "a PNG chunk")
            continue
        yield header
        async for piece in data.copy(length + 4, "a PNG chunk"):  # its data and CRC
            yield piece
    async for _ in data.rest():
        pass


_BLANKED_BOXES = {b"udta", b"meta", b"free", b"skip"}
_MOVIE_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"edts", b"dinf"}
# Containers nest at most this deep (moov, trak, mdia, minf, dinf): deeper is not a movie.
_MOVIE_DEPTH = 5


async def _iso_media(data: ChunkedInput) -> AsyncGenerator[bytes, None]:
    while not await data.at_end():
        header = await data.read(8, "a box header")
        size, kind = int.from_bytes(header[:4]), header[4:]
        if size == 1:  # a 64-bit size follows the type
            header += await data.read(8, "a box header")
            size = int.from_bytes(header[8:])
        if 0 < size < len(header):
            raise unreadable("a box is shorter than its header")
        if kind == b"moov":
            if not 0 < size - len(header) <= MOVIE_BOX_LIMIT:
                raise Invalid(
                    "file-layout-unsupported",
                    "File layout unsupported",
                    "the movie's moov box is bigger than 64 MiB or runs to the end of the file",
                    limit_bytes=MOVIE_BOX_LIMIT,
                )
            movie = bytearray(await data.read(size - len(header), "the moov box"))
            _blank_boxes(movie, 0, len(movie), depth=1)
            yield header + movie
            continue
        # A size of 0: the box runs to the end of the file.
        payload = data.copy(size - len(header), "a box") if size else data.rest()
        blanked = kind in _BLANKED_BOXES or kind == b"uuid"
        yield header[:4] + b"free" + header[8:] if blanked else header
        async for piece in payload:
            yield bytes(len(piece)) if blanked else piece


def _blank_boxes(boxes: bytearray, start: int, end: int, depth: int) -> None:
    """Blanks, in place, the metadata boxes among the boxes in boxes[start:end]."""
    if depth > _MOVIE_DEPTH:
        raise unreadable("boxes are nested deeper than a movie's")
    at = start
    while at < end:
        size, header = int.from_bytes(boxes[at : at + 4]), 8
        if size == 1:
            size, header = int.from_bytes(boxes[at + 8 : at + 16]), 16
        elif size == 0:  # to the end of the enclosing box
            size = end - at
        if end - at < header or not header <= size <= end - at:
            raise unreadable("the box sizes in the moov box do not add up")
        kind = bytes(boxes[at + 4 : at + 8])
        if kind in _BLANKED_BOXES:
            boxes[at + 4 : at + 8] = b"free"
            boxes[at + header : at + size] = bytes(size - header)
        elif kind in _MOVIE_CONTAINERS:
            _blank_boxes(boxes, at + header, at + size, depth + 1)
        at += size


_ID3V1_SIZE = 128


async def _mp3(data: ChunkedInput) -> AsyncGenerator[bytes, None]:
    while await data.peek(3) == b"ID3":
        header = await data.read(10, "an ID3v2 tag header")
        if header[3] == 0xFF or any(byte >= 0x80 for byte in header[6:10]):
            raise unreadable("an ID3v2 tag header is not one")
        size = 0
        for byte in header[6:10]:  # "syncsafe": 7 bits a byte, so no byte of it looks like a sync
            size = size << 7 | byte
        footer = 10 if header[3] == 4 and header[5] & 0x10 else 0
        await data.skip(size + footer, "an ID3v2 tag")
    # Held back until the end: the last 128 bytes, an ID3v1 tag if they start with TAG.
    while True:
        if len(data.buffer) > _ID3V1_SIZE:
            yield data.take(len(data.buffer) - _ID3V1_SIZE)
        if not await data.more():
            break
    last = data.take(len(data.buffer))
    if not (len(last) == _ID3V1_SIZE and last.startswith(b"TAG")):
        yield last


async def _text(data: ChunkedInput) -> AsyncGenerator[bytes, None]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        async for piece in data.rest():
            if NOT_IN_TEXT.search(decoder.decode(piece)):
                raise unreadable("the text holds control characters")
            yield piece
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise unreadable("the text is not UTF-8") from None


async def _pdf(data: ChunkedInput) -> AsyncGenerator[bytes, None]:
    # The directory (and both files) is removed when the block ends, however it ends.
    with tempfile.TemporaryDirectory(prefix="awardpath-pdf-") as directory:
        original, rewritten = Path(directory, "original.pdf"), Path(directory, "rewritten.pdf")
        async with await anyio.open_file(original, "wb") as file:
            async for piece in data.rest():
                await file.write(piece)
        await anyio.to_thread.run_sync(_rewrite_pdf, original, rewritten)
        async with await anyio.open_file(rewritten, "rb") as file:
            while piece := await file.read(2**20):
                yield piece


def _rewrite_pdf(original: Path, rewritten: Path) -> None:
    try:
        with pikepdf.open(original) as pdf:
            _remove(pdf.trailer, "/Info", "/ID")
            for entry in pdf.objects:
                if isinstance(entry, pikepdf.Dictionary | pikepdf.Stream):
                    _remove(entry, "/Metadata", "/PieceInfo")
            for page in pdf.pages:
                annotations = page.obj.get("/Annots")
                for annotation in annotations if isinstance(annotations, pikepdf.Array) else ():
                    # A markup annotation's /T is its author; a form field's is its name.
                    if isinstance(annotation, pikepdf.Dictionary) and annotation.get("/Subtype") != "/Widget":
                        _remove(annotation, "/T")
            # A full rewrite keeps only objects still referenced: the removed ones are gone.
            pdf.save(rewritten, fix_metadata_version=False, deterministic_id=True, encryption=False)
    except pikepdf.PdfError as error:
        raise unreadable("the PDF cannot be read") from error


def _remove(dictionary: pikepdf.Object, *keys: str) -> None:
    for key in keys:
        if key in dictionary:
            del dictionary[key]


_REMOVALS: dict[str, Callable[[ChunkedInput], AsyncGenerator[bytes, None]]] = {
    "image/jpeg": _jpeg,
    "image/png": _png,
    "video/mp4": _iso_media,
    "video/quicktime": _iso_media,
    "audio/mp4": _iso_media,
    "audio/mpeg": _mp3,
    "application/pdf": _pdf,
    "text/plain": _text,
}
