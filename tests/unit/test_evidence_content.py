"""Evidence files: the media type from the content, and identifying metadata removed from it
(inputs built by hand, expectations written by hand)."""

import io
import random
from collections.abc import AsyncIterator

import pikepdf
import pytest
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from awardpath_shared.errors import Invalid
from awardpath_submission.files.media import SNIFF_BYTES, sniff
from awardpath_submission.files.metadata import without_metadata
from tests.support.evidence_files import box

NAME = b"Ada Teacher"


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def stripped(media_type: str, data: bytes, chunk_size: int = 2**20) -> bytes:
    return b"".join([piece async for piece in without_metadata(media_type, chunks_of(data, chunk_size))])


# ---- JPEG --------------------------------------------------------------------------------

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2) + payload


def jpeg(progressive: bool = False) -> bytes:
    """A photo with EXIF (artist, GPS), XMP, an ICC profile, a comment and restart markers in
    its image data from Pillow; IPTC, APP12, MPF and Adobe segments after its APP0; text after
    its end."""
    exif = Image.Exif()
    exif[0x013B] = NAME.decode()  # Artist
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS: latitude
    image = Image.linear_gradient("L").resize((40, 30)).convert("RGB")
    out = io.BytesIO()
    xmp = b"<x:xmpmeta><dc:creator>Ada Teacher</dc:creator></x:xmpmeta>"
    image.save(
        out, "JPEG", exif=exif, xmp=xmp, comment=NAME, icc_profile=SRGB, progressive=progressive, restart_marker_rows=1
    )
    made = out.getvalue()
    assert made[2:4] == b"\xff\xe0" and made[4:6] == (16).to_bytes(2)  # APP0 ends at 20
    added = (
        segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04" + NAME)
        + segment(0xEC, b"Ducky" + NAME)
        + segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x01")
        + segment(0xE2, b"MPF\x00" + NAME)
    )
    return made[:20] + added + made[20:] + NAME


@pytest.mark.filterwarnings("ignore:Image appears to be a malformed MPO file")  # the input's MPF segment
@pytest.mark.parametrize("progressive", [False, True])
async def test_a_jpeg_keeps_its_pixels_and_colours_and_loses_what_names_its_maker(progressive):
    original = jpeg(progressive)
    cleaned = await stripped("image/jpeg", original)
    for trace in (NAME, b"Exif", b"http://ns.adobe.com/xap", b"Photoshop", b"Ducky", b"MPF"):
        assert trace not in cleaned
    assert cleaned.endswith(b"\xff\xd9")
    image = Image.open(io.BytesIO(cleaned))
    assert [name for name, _ in image.applist] == ["APP0", "APP14", "APP2"]
    assert image.info["icc_profile"] == SRGB
    assert "exif" not in image.info and "comment" not in image.info
    assert image.size == (40, 30)
    assert image.tobytes() == Image.open(io.BytesIO(original)).tobytes()


def exif_segment(order: str, orientation: int) -> bytes:
    """An APP1 EXIF segment in either byte order: Orientation, then Artist (the teacher)."""

    def number(value: int, size: int) -> bytes:
        return value.to_bytes(size, "little" if order == "II" else "big")

    artist = NAME + b"\x00"
    strings_at = 8 + 2 + 2 * 12 + 4
    directory = number(2, 2)
    directory += number(0x0112, 2) + number(3, 2) + number(1, 4) + number(orientation, 2) + bytes(2)
    directory += number(0x013B, 2) + number(2, 2) + number(len(artist), 4) + number(strings_at, 4)
    tiff = order.encode() + number(42, 2) + number(8, 4) + directory + bytes(4) + artist
    return segment(0xE1, b"Exif\x00\x00" + tiff)


@pytest.mark.parametrize(("order", "orientation"), [("II", 6), ("MM", 8)])
async def test_a_jpeg_keeps_which_way_is_up_and_nothing_else_of_its_exif(order, orientation):
    """A phone photo held sideways: only its Orientation tag survives, so it shows upright."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30)).save(out, "JPEG")
    plain = out.getvalue()
    original = plain[:20] + exif_segment(order, orientation) + plain[20:]  # after APP0
    assert Image.open(io.BytesIO(original)).getexif()[0x013B] == NAME.decode()  # a real EXIF
    cleaned = await stripped("image/jpeg", original)
    assert NAME not in cleaned
    assert dict(Image.open(io.BytesIO(cleaned)).getexif()) == {0x0112: orientation}


# ---- PNG ---------------------------------------------------------------------------------


def png() -> bytes:
    exif = Image.Exif()
    exif[0x013B] = NAME.decode()
    info = PngInfo()
    info.add_text("Author", NAME.decode())
    info.add_itxt("Description", "lesson by Ada Teacher", zip=True)
    info.add(b"gAMA", (45455).to_bytes(4))
    info.add(b"tIME", bytes((0x07, 0xE8, 1, 2, 3, 4, 5)))
    out = io.BytesIO()
    Image.linear_gradient("L").resize((32, 16)).save(out, "PNG", pnginfo=info, exif=exif)
    return out.getvalue()


def png_chunk_types(data: bytes) -> list[bytes]:
    at, kinds = 8, []
    while at < len(data):
        kinds.append(data[at + 4 : at + 8])
        at += 12 + int.from_bytes(data[at : at + 4])
    return kinds


async def test_a_png_loses_its_text_exif_and_time_chunks_and_keeps_the_rest():
    original = png()
    assert {b"tEXt", b"iTXt", b"tIME", b"eXIf"} <= set(png_chunk_types(original))
    cleaned = await stripped("image/png", original)
    assert png_chunk_types(cleaned) == [b"IHDR", b"gAMA", b"IDAT", b"IEND"]
    assert NAME not in cleaned
    image = Image.open(io.BytesIO(cleaned))
    assert image.info == {"gamma": 0.45455}
    assert image.tobytes() == Image.open(io.BytesIO(original)).tobytes()  # CRCs checked on load


# ---- MP4, QuickTime, M4A -----------------------------------------------------------------


def large_box(kind: bytes, payload: bytes) -> bytes:
    return (1).to_bytes(4) + kind + (16 + len(payload)).to_bytes(8) + payload


def free(size: int) -> bytes:
    return box(b"free", bytes(size - 8))


FTYP = box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2avc1mp41")
MVHD = box(b"mvhd", bytes(100))
MOVIE_UDTA = box(
    b"udta",
    box(b"meta", bytes(4) + box(b"ilst", box(b"\xa9ART", box(b"data", bytes(8) + NAME))))
    + box(b"\xa9xyz", b"\x00\x12\x00\x00+51.5074-000.1278/"),
)
TRACK_UDTA = box(b"udta", box(b"\xa9nam", b"lesson of Ada Teacher"))
MEDIA_META = box(b"meta", bytes(4) + box(b"ilst", NAME))
STBL = box(b"stbl", box(b"stco", bytes(4) + (1).to_bytes(4) + (4242).to_bytes(4)))


def trak(udta: bytes, meta: bytes) -> bytes:
    minf = box(b"minf", box(b"dinf", box(b"dref", bytes(8))) + STBL)
    return box(b"trak", box(b"tkhd", bytes(84)) + udta + box(b"mdia", box(b"mdhd", bytes(24)) + meta + minf))


XMP_UUID = box(b"uuid", bytes.fromhex("be7acfcb97a942e89c71999491e3afac") + b"<dc:creator>Ada Teacher</dc:creator>")
MDAT = box(b"mdat", bytes(range(256)) * 40)
MOVIE = FTYP + box(b"moov", MVHD + MOVIE_UDTA + trak(TRACK_UDTA, MEDIA_META)) + XMP_UUID + MDAT


@pytest.mark.parametrize("media_type", ["video/mp4", "video/quicktime", "audio/mp4"])
async def test_a_movie_keeps_its_layout_and_media_and_its_metadata_boxes_become_free_zeroes(media_type):
    cleaned = await stripped(media_type, MOVIE)
    moov = box(b"moov", MVHD + free(len(MOVIE_UDTA)) + trak(free(len(TRACK_UDTA)), free(len(MEDIA_META))))
    assert cleaned == FTYP + moov + free(len(XMP_UUID)) + MDAT
    assert len(cleaned) == len(MOVIE)
    assert NAME not in cleaned


async def test_64_bit_box_sizes_and_a_last_box_to_the_end_of_the_file():
    big_udta = large_box(b"udta", NAME)
    movie = FTYP + box(b"moov", MVHD + big_udta) + large_box(b"uuid", NAME) + large_box(b"mdat", b"frames")
    blank_16 = (1).to_bytes(4) + b"free" + (16 + len(NAME)).to_bytes(8) + bytes(len(NAME))
    expected = FTYP + box(b"moov", MVHD + blank_16) + blank_16 + large_box(b"mdat", b"frames")
    assert await stripped("video/mp4", movie) == expected
    to_the_end = bytes(4) + b"mdat" + b"frames without a size"
    assert await stripped("video/mp4", FTYP + to_the_end) == FTYP + to_the_end
    assert await stripped("video/mp4", FTYP + bytes(4) + b"udta" + NAME) == FTYP + bytes(4) + b"free" + bytes(11)


async def test_a_moov_box_bigger_than_64_mib_is_refused_before_it_is_read():
    header = (64 * 2**20 + 9).to_bytes(4) + b"moov"
    with pytest.raises(Invalid) as refused:
        await stripped("video/mp4", FTYP + header + b"x")
    assert refused.value.code == "file-layout-unsupported"


# ---- MP3 ---------------------------------------------------------------------------------

FRAME = b"\xff\xfb\x90\x64" + bytes(413)  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz: 417 bytes
FRAMES = FRAME * 3
TPE1 = b"TPE1" + (12).to_bytes(4) + bytes(2) + b"\x03" + NAME
ID3V2 = b"ID3\x04\x00\x00" + b"\x00\x00\x02\x2c" + TPE1 + bytes(300 - len(TPE1))  # 300 = 2 * 128 + 44
ID3V2_WITH_FOOTER = b"ID3\x04\x00\x10\x00\x00\x00\x16" + TPE1 + b"3DI\x04\x00\x10\x00\x00\x00\x16"
ID3V1 = b"TAG" + NAME.ljust(30, b"\x00") + NAME.ljust(30, b"\x00") + bytes(30) + b"2024" + bytes(30) + b"\x0c"


@pytest.mark.parametrize("leading", [ID3V2, ID3V2_WITH_FOOTER, ID3V2 + ID3V2_WITH_FOOTER, b""])
async def test_an_mp3_loses_its_id3_tags_and_keeps_its_frames(leading):
    assert len(ID3V1) == 128
    assert await stripped("audio/mpeg", leading + FRAMES + ID3V1) == FRAMES
    assert await stripped("audio/mpeg", leading + FRAMES) == FRAMES


# ---- PDF ---------------------------------------------------------------------------------


def pdf() -> bytes:
    document = pikepdf.new()
    document.add_blank_page()
    with document.open_metadata(set_pikepdf_as_editor=False) as xmp:
        xmp["dc:creator"] = [NAME.decode()]
    for key in ("/Author", "/Creator", "/Producer", "/Title"):
        document.docinfo[key] = NAME.decode()
    note = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text, T=NAME.decode(), Contents="ok")
    document.pages[0].obj.Annots = document.make_indirect(pikepdf.Array([document.make_indirect(note)]))
    out = io.BytesIO()
    document.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


async def test_a_pdf_is_rewritten_without_its_information_xmp_and_annotation_authors():
    original = pdf()
    cleaned = await stripped("application/pdf", original)
    assert NAME not in cleaned
    with pikepdf.open(io.BytesIO(cleaned)) as document, pikepdf.open(io.BytesIO(original)) as before:
        assert "/Info" not in document.trailer and "/Metadata" not in document.Root
        assert bytes(document.trailer.ID[0]) != bytes(before.trailer.ID[0])
        [note] = document.pages[0].obj.Annots
        assert "/T" not in note and note.Contents == "ok"
        for entry in document.objects:
            assert NAME not in (
                entry.read_bytes() if isinstance(entry, pikepdf.Stream) else bytes(repr(entry), "utf-8")
            )


# ---- text, and what every type shares --------------------------------------------------------

TEXT = "Évaluation du café — 3 élèves, 2 heures.\n".encode() * 3


async def test_text_passes_unchanged():
    assert await stripped("text/plain", TEXT) == TEXT


SAMPLES = {
    "jpeg": ("image/jpeg", jpeg()),
    "progressive jpeg": ("image/jpeg", jpeg(progressive=True)),
    "png": ("image/png", png()),
    "mp4": ("video/mp4", MOVIE),
    "mp4 with 64-bit sizes": ("video/mp4", FTYP + large_box(b"uuid", NAME) + large_box(b"mdat", b"frames")),
    "mp3": ("audio/mpeg", ID3V2 + FRAMES + ID3V1),
    "pdf": ("application/pdf", pdf()),
    "text": ("text/plain", TEXT),
}


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("chunk_size", [1, 7])
async def test_tiny_chunks_give_what_one_chunk_gives(name, chunk_size):
    media_type, data = SAMPLES[name]
    assert await stripped(media_type, data, chunk_size) == await stripped(media_type, data)


MALFORMED = {
    "jpeg without start": ("image/jpeg", b"\xff\xd9" + jpeg()),
    "jpeg cut in a segment": ("image/jpeg", jpeg()[:30]),
    "jpeg cut in its image data": ("image/jpeg", jpeg()[:-20]),
    "jpeg with bytes between segments": ("image/jpeg", jpeg()[:20] + b"x" + jpeg()[20:]),
    "png without signature": ("image/png", b"GIF89a" + png()),
    "png chunk past the end": ("image/png", png()[:-10]),
    "png chunk of no type": ("image/png", png()[:8] + (13).to_bytes(4) + b"IH\x00R" + bytes(17)),
    "movie box past the end": ("video/mp4", MOVIE[:-1]),
    "movie box inside moov past the moov": ("video/mp4", FTYP + box(b"moov", (500).to_bytes(4) + b"mvhd" + bytes(20))),
    "movie box shorter than its header": ("video/mp4", FTYP + (4).to_bytes(4) + b"free"),
    "movie box header cut": ("video/mp4", FTYP + b"\x00\x00"),
    "movie boxes nested endlessly": (
        "video/mp4",
        box(b"moov", box(b"trak", box(b"trak", box(b"trak", box(b"trak", box(b"trak", b"")))))),
    ),
    "id3 tag past the end": ("audio/mpeg", b"ID3\x03\x00\x00\x00\x00\x10\x00" + FRAME),
    "id3 size not syncsafe": ("audio/mpeg", b"ID3\x03\x00\x00\x00\x00\x00\x80" + FRAMES),
    "pdf that is not one": ("application/pdf", b"%PDF-1.4\nhello, not a PDF\n"),
    "pdf cut in half": ("application/pdf", pdf()[: len(pdf()) // 2]),
    "text with a NUL": ("text/plain", TEXT + b"\x00"),
    "text in Latin-1": ("text/plain", "café".encode("latin-1")),
    "text cut inside a character": ("text/plain", TEXT + "é".encode()[:1]),
}


@pytest.mark.parametrize("name", MALFORMED)
async def test_malformed_content_is_an_unreadable_file(name):
    media_type, data = MALFORMED[name]
    with pytest.raises(Invalid) as refused:
        await stripped(media_type, data, chunk_size=7)
    assert refused.value.code == "unreadable-file"


# ---- the media type from the content -------------------------------------------------------------


def ftyp(brand: bytes, *compatible: bytes) -> bytes:
    return box(b"ftyp", brand + bytes(4) + b"".join(compatible)) + box(b"moov", MVHD)


MPEG2_FRAME = b"\xff\xf3\x64\xc4" + bytes(140)  # MPEG-2 layer III, 48 kbit/s, 24 kHz: 72 * 48000 / 24000 bytes


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (jpeg(), "image/jpeg"),
        (png(), "image/png"),
        (pdf(), "application/pdf"),
        (MOVIE, "video/mp4"),
        (ftyp(b"mp41", b"mp41"), "video/mp4"),
        (ftyp(b"avc1", b"avc1"), "video/mp4"),
        (ftyp(b"mp42", b"mp42", b"isom"), "video/mp4"),
        (ftyp(b"qt  ", b"qt  "), "video/quicktime"),
        (box(b"wide", b"") + MDAT, "video/quicktime"),
        (ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio/mp4"),
        (ftyp(b"heic", b"mif1", b"heic"), None),
        (ftyp(b"avif", b"avif", b"mif1", b"miaf", b"iso8"), None),
        (ftyp(b"3gp4", b"3gp4"), None),
        (ID3V2 + FRAMES, "audio/mpeg"),
        (b"ID3\x03\x00\x00\x00\x00\x02\x01" + bytes(257) + FRAMES, "audio/mpeg"),
        (FRAMES, "audio/mpeg"),
        (MPEG2_FRAME * 2, "audio/mpeg"),
        (FRAME[:4] + bytes(600), None),  # one frame header alone
        (b"\xff\xf1\x50\x80" + bytes(600), None),  # AAC (ADTS)
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n" + bytes(100), None),  # JPEG 2000
        (b"GIF89a" + bytes(100), None),
        (random.Random(2024).randbytes(SNIFF_BYTES), None),
        (TEXT, "text/plain"),
        ("Évaluation — café".encode()[:-1], "text/plain"),  # é cut by the end of the head
        (b"Get free pizza for the class\r\n\tand\f", "text/plain"),  # `free` at 4: a QuickTime atom to puremagic
        (b"a text with a \x00 in it", None),
        (b"a bell \x07", None),
        ("a C1 control \x85".encode(), None),
        ("\ufeffUTF-16 text".encode("utf-16-le"), None),
        (b"", None),
    ],
)
def test_the_media_type_is_found_from_the_first_bytes(head, media_type):
    assert sniff(head[:SNIFF_BYTES]) == media_type


def test_a_renamed_file_is_what_its_bytes_say(tmp_path):
    renamed = tmp_path / "lesson-video.mp4"
    renamed.write_bytes(pdf())
    with renamed.open("rb") as file:
        assert sniff(file.read(SNIFF_BYTES)) == "application/pdf"


async def test_a_media_type_that_is_not_accepted_has_no_removal():
    with pytest.raises(ValueError):
        await stripped("image/gif", b"GIF89a")
