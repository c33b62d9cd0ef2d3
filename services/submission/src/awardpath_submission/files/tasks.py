"""The retention sweeper: marks the files whose time is up, then removes what is marked (see
`retention`). Each step is its own unit of work, so the marks are committed before any bytes
are removed. `sweep_files` is one pass (tests call it directly); `file_sweeper` the loop every
process running the service's relay starts."""

import logging
from datetime import datetime

from awardpath_shared.periodic import PeriodicTask
from awardpath_shared.runtime import ServiceRuntime
from awardpath_submission.files.retention import BATCH, RetentionService
from awardpath_submission.settings import SubmissionSettings
from awardpath_submission.uow import SubmissionUnitOfWork

logger = logging.getLogger(__name__)

SubmissionRuntime = ServiceRuntime[SubmissionUnitOfWork, SubmissionSettings]


async def sweep_files(runtime: SubmissionRuntime, now: datetime | None = None) -> bool:
    """One pass; True when a batch was full (more may be waiting)."""
    async with runtime.transaction() as uow:
        marked = await RetentionService(uow, runtime.settings, runtime.storage).mark_due(now)
    async with runtime.transaction() as uow:
        removed = await RetentionService(uow, runtime.settings, runtime.storage).remove_marked(now)
    for file in removed:  # once committed: a deletion is logged once
        logger.info(
            "evidence file deleted",
            extra={"file_id": file.id, "submission_id": file.submission_id, "reason": file.deletion_reason},
        )
    return marked >= BATCH or len(removed) >= BATCH


def file_sweeper(runtime: SubmissionRuntime) -> PeriodicTask:
    return PeriodicTask("submission-file-sweeper", lambda: sweep_files(runtime), runtime.settings.file_sweep_seconds)
