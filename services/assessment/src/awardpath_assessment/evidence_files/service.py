"""Evidence files as an assessor reaches them: only through an assignment they hold, by a
short-lived signed link that names no earner (the assignment and the file, by id), expires,
and stops working once the assignment ends. The file is the copy stored at upload, its
identifying metadata removed; it is served under a neutral name (section and position)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from awardpath_assessment.assignment.models import Assignment
from awardpath_assessment.settings import AssessmentSettings
from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared import signed_links
from awardpath_shared.errors import Forbidden, NotFound
from awardpath_shared.ids import utcnow
from awardpath_shared.rubrics import FileRef
from awardpath_shared.storage.names import download_name, stored_key

FILE_LINK = "awardpath-evidence-file"


@dataclass(frozen=True)
class EvidenceFile:
    """A file of an attempt's evidence, as an assessor may download it."""

    section_id: str
    ref: FileRef
    download_name: str

    @property
    def key(self) -> str:
        return stored_key(self.ref.file_id)


@dataclass(frozen=True)
class FileLink:
    file: EvidenceFile
    token: str
    expires_at: datetime


def evidence_files(assignment: Assignment) -> list[EvidenceFile]:
    """The files of the assignment's attempt, each named by its section and position."""
    return [
        EvidenceFile(section.section_id, ref, download_name(f"{section.section_id}-{position}", ref.media_type))
        for section in assignment.attempt.evidence
        for position, ref in enumerate(section.files, start=1)
    ]


class EvidenceFileService:
    def __init__(self, uow: AssessmentUnitOfWork, settings: AssessmentSettings) -> None:
        self.uow = uow
        self.settings = settings

    def links(self, assignment: Assignment) -> list[FileLink]:
        """Fresh links to the files of an open assignment (none once it ended)."""
        if not assignment.state.is_open:
            return []
        ttl = timedelta(seconds=self.settings.file_link_seconds)
        links = []
        for file in evidence_files(assignment):
            claims: dict[str, str | int] = {"asg": assignment.id, "fid": file.ref.file_id}
            link = signed_links.sign(self.settings.file_link_secret, FILE_LINK, claims, ttl)
            links.append(FileLink(file, link.token, link.expires_at))
        return links

    async def open_link(self, file_id: str, token: str) -> EvidenceFile:
        """The file a link opens, while the assignment it was given for is open and its lease
        (when claimed) runs."""
        claims = signed_links.verify(self.settings.file_link_secret, FILE_LINK, token)
        if claims.get("fid") != file_id:
            raise Forbidden("this link is for another file")
        assignment = await self.uow.queue.assignment(str(claims.get("asg")))
        if assignment is None:
            raise NotFound("assignment", str(claims.get("asg")))
        lease = assignment.lease_expires_at
        if not assignment.state.is_open or (lease is not None and lease <= utcnow()):
            raise Forbidden("the assignment this link was given for has ended")
        file = next((file for file in evidence_files(assignment) if file.ref.file_id == file_id), None)
        if file is None:
            raise NotFound("file", file_id)
        return file
