"""Bodies of evidence files as an assessor sees them: no file name, no earner."""

from datetime import datetime

from pydantic import AliasPath, Field

from awardpath_shared.schemas import View


class EvidenceFileLinkView(View):
    file_id: str = Field(validation_alias=AliasPath("file", "ref", "file_id"))
    section_id: str = Field(validation_alias=AliasPath("file", "section_id"))
    media_type: str = Field(validation_alias=AliasPath("file", "ref", "media_type"))
    size: int = Field(validation_alias=AliasPath("file", "ref", "size"))
    sha256: str = Field(validation_alias=AliasPath("file", "ref", "sha256"))
    name: str = Field(
        validation_alias=AliasPath("file", "download_name"), description="A neutral name: section-position"
    )
    url: str = Field(
        default="",
        description="A short-lived link to the file (GET, Range requests welcome, no bearer token); it stops "
        "working at `expires_at` or when the assignment ends: fetch the assignment again for a fresh one",
    )
    expires_at: datetime
