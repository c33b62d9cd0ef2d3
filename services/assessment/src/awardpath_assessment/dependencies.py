"""What the assessment service's endpoints receive: the request's unit of work, the settings,
the evidence file storage, the caller (an admin or an assessor)."""

from typing import Annotated

from fastapi import Depends

from awardpath_assessment.settings import AssessmentSettings
from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared.auth import Principal, require_role
from awardpath_shared.http import request_settings, request_storage, request_unit_of_work
from awardpath_shared.storage import EvidenceStorage

# scope="function": the commit happens before the response is sent, never after.
RequestUnitOfWork = Annotated[AssessmentUnitOfWork, Depends(request_unit_of_work, scope="function")]
Settings = Annotated[AssessmentSettings, Depends(request_settings)]
Storage = Annotated[EvidenceStorage, Depends(request_storage)]
Admin = Annotated[Principal, Depends(require_role("admin"))]
AssessorCaller = Annotated[Principal, Depends(require_role("assessor"))]

PROBLEM = {"description": "Problem details", "content": {"application/problem+json": {}}}
