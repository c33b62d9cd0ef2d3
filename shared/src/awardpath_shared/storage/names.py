"""How evidence files are named: in the store by id only (the submission service writes the
verified copy, the others read it), and to whoever downloads one by a neutral stem and the
type's extension, never by anything the uploader gave."""

import mimetypes


def stored_key(file_id: str) -> str:
    return f"files/{file_id}"


def download_name(stem: str, media_type: str) -> str:
    extension = {"audio/mp4": ".m4a", "image/jpeg": ".jpg"}.get(media_type) or mimetypes.guess_extension(media_type)
    return stem + (extension or "")
