"""The submission service's unit of work: its outbox and its repositories, one transaction."""

from functools import cached_property

from awardpath_shared.unit_of_work import UnitOfWork
from awardpath_submission.catalog.repository import CatalogRepository
from awardpath_submission.database import OutboxMessage
from awardpath_submission.files.repository import FileRepository
from awardpath_submission.intake.repository import SubmissionRepository
from awardpath_submission.progress.repository import ProgressRepository


class SubmissionUnitOfWork(UnitOfWork):
    outbox_model = OutboxMessage

    @cached_property
    def catalog(self) -> CatalogRepository:
        return CatalogRepository(self.session)

    @cached_property
    def submissions(self) -> SubmissionRepository:
        return SubmissionRepository(self.session)

    @cached_property
    def progress(self) -> ProgressRepository:
        return ProgressRepository(self.session)

    @cached_property
    def files(self) -> FileRepository:
        return FileRepository(self.session)
