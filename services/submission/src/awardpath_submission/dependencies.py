"""What the submission service's endpoints receive: the request's unit of work, the settings,
the calling platform."""

from typing import Annotated

from fastapi import Depends, Request

from awardpath_shared.auth import Principal, require_role
from awardpath_shared.http import request_transaction, runtime_of
from awardpath_submission.settings import SubmissionSettings
from awardpath_submission.uow import SubmissionUnitOfWork


def _settings(request: Request) -> SubmissionSettings:
    settings: SubmissionSettings = runtime_of(request).settings
    return settings


# scope="function": the commit happens before the response is sent, never after.
Transaction = Annotated[SubmissionUnitOfWork, Depends(request_transaction, scope="function")]
Settings = Annotated[SubmissionSettings, Depends(_settings)]
Platform = Annotated[Principal, Depends(require_role("platform"))]
