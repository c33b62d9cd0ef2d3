"""HTTP entry points of issuer keys: the public did:web document and JWKS, and rotation."""

from typing import Annotated

from fastapi import Depends, status
from fastapi.responses import JSONResponse

from awardpath_award.dependencies import IssuerOrAdmin, RequestUnitOfWork, Settings
from awardpath_award.keys.schemas import IssuerKeyView
from awardpath_award.keys.service import KeyService, PublishedKey
from awardpath_shared.routes import service_router
from awardpath_shared.validation import PathId

router = service_router(tags=["issuer keys"])


def _keys(uow: RequestUnitOfWork, settings: Settings) -> KeyService:
    return KeyService(uow, settings)


Keys = Annotated[KeyService, Depends(_keys)]


@router.get("/v1/issuers/{issuer_id}/did.json")
async def issuer_did_document(issuer_id: PathId, keys: Keys) -> JSONResponse:
    """The issuer's did:web document: every key it signs or signed with (`assertionMethod`)."""
    return JSONResponse(await keys.did_document(issuer_id), media_type="application/did+json")


@router.get("/v1/issuers/{issuer_id}/jwks.json")
async def issuer_jwks(issuer_id: PathId, keys: Keys) -> JSONResponse:
    """The same keys as a JWKS; `kid` is the did:web verification method id."""
    return JSONResponse(await keys.jwks(issuer_id), media_type="application/jwk-set+json")


@router.post("/v1/issuers/{issuer_id}/keys/rotate", status_code=status.HTTP_201_CREATED, response_model=IssuerKeyView)
async def rotate_issuer_key(issuer_id: PathId, keys: Keys, principal: IssuerOrAdmin) -> PublishedKey:
    """Retire the active signing key and make a new one (the issuer itself or an admin).
    Retired keys stay in the did:web document and JWKS: earlier credentials keep verifying."""
    acting_issuer_id = principal.subject if principal.role == "issuer" else None
    return await keys.rotate(issuer_id, acting_issuer_id=acting_issuer_id)
