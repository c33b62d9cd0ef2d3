from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_shared.db import keyset_page
from awardpath_shared.validation import is_wellformed_id
from awardpath_shared.vocabulary import SubmissionStatus
from awardpath_submission.files.models import EvidenceFile, FileState
from awardpath_submission.intake.models import Submission


class FileRepository:
    """Evidence files, loaded and locked; no rules."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, file: EvidenceFile) -> None:
        self.session.add(file)

    async def file(self, file_id: str, *, for_update: bool = False) -> EvidenceFile | None:
        if not is_wellformed_id(file_id):
            return None
        query = select(EvidenceFile).where(EvidenceFile.id == file_id)
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def files(self, file_ids: Sequence[str]) -> dict[str, EvidenceFile]:
        """The files among `file_ids` that exist, locked until the transaction ends."""
        wellformed = [file_id for file_id in file_ids if is_wellformed_id(file_id)]
        query = select(EvidenceFile).where(EvidenceFile.id.in_(wellformed)).order_by(EvidenceFile.id)
        return {file.id: file for file in await self.session.scalars(query.with_for_update())}

    async def of_submission(
        self, submission_id: str, *, after_id: str | None = None, limit: int | None = None
    ) -> list[EvidenceFile]:
        """The submission's files in upload order (ids are time-ordered)."""
        query = select(EvidenceFile).where(EvidenceFile.submission_id == submission_id)
        return list(await self.session.scalars(keyset_page(query, EvidenceFile.id, after_id, limit)))

    async def expired(self, now: datetime, limit: int) -> list[EvidenceFile]:
        """Uploads never completed, and files never attached, past their time."""
        query = select(EvidenceFile).where(
            EvidenceFile.state.in_([FileState.RECEIVING, FileState.READY]), EvidenceFile.expires_at < now
        )
        return list(await self.session.scalars(query.limit(limit).with_for_update(skip_locked=True)))

    async def past_retention(
        self, statuses: Sequence[SubmissionStatus], ended_before: datetime, revoked_before: datetime, limit: int
    ) -> list[tuple[EvidenceFile, Submission]]:
        """Attached files of submissions that ended in `statuses` before `ended_before`, or whose
        credential was revoked before `revoked_before`."""
        ended = Submission.status.in_(statuses) & (Submission.ended_at < ended_before)
        revoked = Submission.credential_revoked_at < revoked_before
        query = (
            select(EvidenceFile, Submission)
            .join(Submission, Submission.id == EvidenceFile.submission_id)
            .where(EvidenceFile.state == FileState.ATTACHED, ended | revoked)
            .limit(limit)
            .with_for_update(of=EvidenceFile, skip_locked=True)
        )
        return [(file, submission) for file, submission in await self.session.execute(query)]

    async def deleting(self, limit: int) -> list[EvidenceFile]:
        query = select(EvidenceFile).where(EvidenceFile.state == FileState.DELETING).order_by(EvidenceFile.id)
        return list(await self.session.scalars(query.limit(limit).with_for_update(skip_locked=True)))
