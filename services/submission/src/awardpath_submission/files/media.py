"""What an evidence file is, found from its first bytes alone: a file's name and the type its
uploader claims say nothing about what an assessor's browser would be handed.

puremagic knows JPEG, PNG, PDF and QuickTime without an `ftyp` box well enough; for ISO media
with an `ftyp` box and for MPEG audio its answers are wrong or missing (see below), so those
signatures are read here, and plain text is a rule of ours (puremagic has no such answer).
"""

import codecs
import re

import puremagic

ACCEPTED_MEDIA_TYPES: frozenset[str] = frozenset(
    {
        "video/mp4",
        "video/quicktime",
        "audio/mp4",
        "audio/mpeg",
        "image/jpeg",
        "image/png",
        "application/pdf",
        "text/plain",
    }
)

# Enough for every signature here, and for two MPEG audio frames (the longest is 2,881 bytes).
SNIFF_BYTES = 8192

# What plain text never holds: control characters other than tab, line feed, form feed and
# carriage return (C0, DEL and C1).
NOT_IN_TEXT = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")

# The ISO media types by the major brand of the `ftyp` box. puremagic calls an M4A file
# video/mp4 and has no media type for the mp41, avc1 or iso5 brands (it guesses a 3GP file).
# Only the major brand counts: HEIF and AVIF images list ISO brands among their compatible ones.
_MEDIA_TYPES_BY_BRAND = {
    b"qt  ": "video/quicktime",
    b"M4A ": "audio/mp4",
    b"M4B ": "audio/mp4",
    **dict.fromkeys(
        (b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"MSNV"),
        "video/mp4",
    ),
}

# puremagic's answers taken as they are, once their own checks below pass.
_FROM_PUREMAGIC = {"image/jpeg", "image/png", "application/pdf", "video/quicktime"}

# MPEG audio frame headers: bitrates (kbit/s) by (MPEG-1, layer) for bitrate indexes 1 to 14,
# sample rates (Hz) by the version bits (3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5).
_MPEG2_LOW_BITRATES = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_BITRATES = {
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): _MPEG2_LOW_BITRATES,
    (False, 3): _MPEG2_LOW_BITRATES,
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def sniff(head: bytes) -> str | None:
    """The accepted media type the content is, from its first `SNIFF_BYTES` bytes (or all of a
    shorter file); None when it is none of them."""
    if head[4:8] == b"ftyp":
        return _iso_media_type(head)
    if _is_mpeg_audio(head):
        return "audio/mpeg"
    found = _puremagic_type(head)
    if found in {"image/jpeg", "image/png", "application/pdf"}:
        return found
    # Text before QuickTime: puremagic's QuickTime signature is four letters at offset 4 (an
    # atom type such as `free`), which text has too ("Get free..."); a movie is never text.
    if _is_text(head):
        return "text/plain"
    return found


def _iso_media_type(head: bytes) -> str | None:
    if int.from_bytes(head[:4]) < 16:  # the box holds no major brand
        return None
    return _MEDIA_TYPES_BY_BRAND.get(head[8:12])


def _is_mpeg_audio(head: bytes) -> bool:
    """An ID3v2 tag, or two MPEG audio frames in a row. puremagic knows only the FF FB frame
    header (MPEG-1 layer III without CRC), not MPEG-2 or CRC-protected frames, and it ranks
    another format above the ID3v2.3 tag; one frame header alone is too weak a signature (a
    UTF-16 text's byte order mark passes as one)."""
    if head.startswith(b"ID3") and len(head) >= 10:
        return head[3] in (2, 3, 4) and all(byte < 0x80 for byte in head[6:10])
    first = _mpeg_frame_length(head, 0)
    return first is not None and _mpeg_frame_length(head, first) is not None


def _mpeg_frame_length(head: bytes, at: int) -> int | None:
    """The length of the MPEG audio frame whose header is at `at`; None if there is none."""
    if len(head) < at + 4 or head[at] != 0xFF or head[at + 1] & 0xE0 != 0xE0:
        return None
    version = (head[at + 1] >> 3) & 3
    layer = 4 - ((head[at + 1] >> 1) & 3)  # bits 3, 2, 1 are layers I, II, III
    bitrate_index, rate_index, padding = head[at + 2] >> 4, (head[at + 2] >> 2) & 3, (head[at + 2] >> 1) & 1
    # Reserved version, layer and sample rate; a free-format bitrate gives no frame length.
    if version == 1 or layer == 4 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    bitrate = _BITRATES[version == 3, layer][bitrate_index - 1] * 1000
    rate = _SAMPLE_RATES[version][rate_index]
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    return (144 if version == 3 or layer == 2 else 72) * bitrate // rate + padding


def _puremagic_type(head: bytes) -> str | None:
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):  # nothing known, or an empty head
        return None
    best = [match.mime_type for match in matches if match.confidence == matches[0].confidence]
    found = next((media_type for media_type in best if media_type in _FROM_PUREMAGIC), None)
    # puremagic files JPEG 2000 under image/jpeg; a JPEG starts with SOI and a marker.
    if found == "image/jpeg" and not head.startswith(b"\xff\xd8\xff"):
        return None
    return found


def _is_text(head: bytes) -> bool:
    """UTF-8 without control characters but whitespace; a character cut by the end of the head
    is left pending by the incremental decoder, not refused."""
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        return False
    return bool(head) and NOT_IN_TEXT.search(text) is None
