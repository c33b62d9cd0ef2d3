"""What the submission service's endpoints receive: the request's unit of work, the settings,
the evidence file storage, the calling platform."""

from typing import Annotated

from fastapi import Depends

from awardpath_shared.auth import Principal, require_role
from awardpath_shared.http import request_settings, request_storage, request_unit_of_work, runtime_of
from awardpath_shared.runtime import ServiceRuntime
from awardpath_shared.storage import EvidenceStorage
from awardpath_submission.settings import SubmissionSettings
from awardpath_submission.uow import SubmissionUnitOfWork

# scope="function": the commit happens before the response is sent, never after.
RequestUnitOfWork = Annotated[SubmissionUnitOfWork, Depends(request_unit_of_work, scope="function")]
Settings = Annotated[SubmissionSettings, Depends(request_settings)]
Storage = Annotated[EvidenceStorage, Depends(request_storage)]
# For the requests that move a file's bytes outside a transaction (`files/streaming.py`).
Runtime = Annotated[ServiceRuntime[SubmissionUnitOfWork, SubmissionSettings], Depends(runtime_of)]
Platform = Annotated[Principal, Depends(require_role("platform"))]
