"""What the award service's endpoints receive: the request's unit of work, the settings, the
evidence file storage, the caller in each role."""

from typing import Annotated

from fastapi import Depends

from awardpath_award.settings import AwardSettings
from awardpath_award.uow import AwardUnitOfWork
from awardpath_shared.auth import Principal, require_role
from awardpath_shared.http import request_settings, request_storage, request_unit_of_work
from awardpath_shared.storage import EvidenceStorage

# scope="function": the commit happens before the response is sent, never after.
RequestUnitOfWork = Annotated[AwardUnitOfWork, Depends(request_unit_of_work, scope="function")]
Settings = Annotated[AwardSettings, Depends(request_settings)]
Storage = Annotated[EvidenceStorage, Depends(request_storage)]
Admin = Annotated[Principal, Depends(require_role("admin"))]
IssuerCaller = Annotated[Principal, Depends(require_role("issuer"))]
IssuerOrAdmin = Annotated[Principal, Depends(require_role("issuer", "admin"))]
Platform = Annotated[Principal, Depends(require_role("platform"))]
