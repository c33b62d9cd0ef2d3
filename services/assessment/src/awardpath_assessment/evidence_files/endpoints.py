"""HTTP entry point of evidence files for assessors: the signed link of the blind view,
streamed with byte ranges so a video seeks."""

from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from awardpath_assessment.dependencies import PROBLEM, RequestUnitOfWork, Settings, Storage
from awardpath_assessment.evidence_files.schemas import EvidenceFileLinkView
from awardpath_assessment.evidence_files.service import EvidenceFileService, FileLink
from awardpath_shared.file_responses import stored_file_response
from awardpath_shared.routes import service_router
from awardpath_shared.validation import PathId

router = service_router(tags=["queue"])


def _files(uow: RequestUnitOfWork, settings: Settings) -> EvidenceFileService:
    return EvidenceFileService(uow, settings)


Files = Annotated[EvidenceFileService, Depends(_files)]


def link_views(request: Request, links: list[FileLink]) -> list[EvidenceFileLinkView]:
    """The links as the blind view lists them, with their full URLs."""
    views = []
    for link in links:
        view = EvidenceFileLinkView.model_validate(link)
        url = request.url_for("evidence_file", file_id=link.file.ref.file_id)
        view.url = str(url.include_query_params(link=link.token))
        views.append(view)
    return views


@router.get(
    "/v1/evidence-files/{file_id}",
    name="evidence_file",
    response_class=StreamingResponse,
    responses={
        200: {"description": "The file"},
        206: {"description": "A range of it"},
        403: PROBLEM,
        410: PROBLEM,
        416: PROBLEM,
    },
)
async def evidence_file(
    file_id: PathId,
    link: Annotated[str, Query(max_length=2000, description="The signed link's token")],
    files: Files,
    storage: Storage,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> StreamingResponse:
    """An evidence file by the link the blind view gave (403 once it expired or the assignment
    ended, 410 once the file was deleted)."""
    file = await files.open_link(file_id, link)
    return await stored_file_response(
        storage, file.key, media_type=file.ref.media_type, download_name=file.download_name, range_header=range_header
    )
