"""Retention: which evidence files go, and their deletion in two steps.

Files of a withdrawn or finally denied submission go `evidence_retention_days` after it
ended; files of an awarded one stay while its credential is valid (they go that long after a
revocation) unless the platform asks for their deletion, which leaves the credential
verifiable (it names no file). Uploads never completed, and files no evidence named, go
when they expire. A file is first marked `deleting` (committed), then its stored bytes are
removed and it is marked `deleted`, logged once that is committed: a crash in between repeats
the removal (a no-op on bytes already gone) and the log line is written once.
"""

import logging
from datetime import datetime, timedelta

from awardpath_shared.ids import utcnow
from awardpath_shared.pagination import Paged, fetch_page
from awardpath_shared.storage import EvidenceStorage
from awardpath_shared.vocabulary import SubmissionStatus
from awardpath_submission.files.models import EvidenceFile, FileState
from awardpath_submission.files.service import remove_bytes
from awardpath_submission.intake.service import owned_by
from awardpath_submission.settings import SubmissionSettings
from awardpath_submission.uow import SubmissionUnitOfWork

logger = logging.getLogger(__name__)

BATCH = 100
_ENDED_WITHOUT_AWARD = (SubmissionStatus.WITHDRAWN, SubmissionStatus.DENIED)


class RetentionService:
    def __init__(self, uow: SubmissionUnitOfWork, settings: SubmissionSettings, storage: EvidenceStorage) -> None:
        self.uow = uow
        self.settings = settings
        self.storage = storage

    async def files_of(
        self, platform_id: str, submission_id: str, *, limit: int, cursor: str | None
    ) -> Paged[EvidenceFile]:
        submission = owned_by(platform_id, submission_id, await self.uow.submissions.submission(submission_id))
        return await fetch_page(
            lambda after, size: self.uow.files.of_submission(submission.id, after_id=after, limit=size),
            cursor=cursor,
            limit=limit,
            position=lambda file: file.id,
        )

    async def request_deletion(self, platform_id: str, submission_id: str) -> int:
        """The platform asks for a final submission's files to be deleted (an earner's request):
        they are marked now and removed by the next sweep; returns how many were marked."""
        submission = owned_by(
            platform_id, submission_id, await self.uow.submissions.submission(submission_id, for_update=True)
        )
        submission.check_final_for("deleting its evidence files")
        marked = 0
        for file in await self.uow.files.of_submission(submission.id):
            if file.state == FileState.ATTACHED:
                file.start_deletion("requested by the platform")
                marked += 1
        await self.uow.flush()
        return marked

    async def mark_due(self, now: datetime | None = None) -> int:
        """Mark the files whose time is up as `deleting`; returns how many."""
        now = now or utcnow()
        due = 0
        for file in await self.uow.files.expired(now, BATCH):
            file.start_deletion("upload never completed" if file.state == FileState.RECEIVING else "never evidence")
            due += 1
        retention = timedelta(days=self.settings.evidence_retention_days)
        for file, submission in await self.uow.files.past_retention(
            _ENDED_WITHOUT_AWARD, now - retention, now - retention, BATCH
        ):
            ended = "credential revoked" if submission.status == SubmissionStatus.AWARDED else submission.status.value
            file.start_deletion(f"retention: submission {ended} over {self.settings.evidence_retention_days} days ago")
            due += 1
        await self.uow.flush()
        return due

    async def remove_marked(self, now: datetime | None = None) -> list[EvidenceFile]:
        """Remove the stored bytes of files marked `deleting` and mark them `deleted`; returns
        them. A file whose bytes cannot be removed now stays marked for the next sweep."""
        removed = []
        for file in await self.uow.files.deleting(BATCH):
            try:
                await remove_bytes(self.storage, file)
            except Exception:
                logger.warning(
                    "evidence file %s: bytes not removed, the next sweep tries again", file.id, exc_info=True
                )
                continue
            file.deletion_done(now or utcnow())
            removed.append(file)
        await self.uow.flush()
        return removed
