"""Open Badges 2.0 hosted verification for older displayers: the Assertion of a credential,
the BadgeClass of a micro-credential version, its Issuer and a badge image."""

from html import escape
from typing import Any

from awardpath_award.catalog.models import MicroCredentialVersion
from awardpath_award.credentials.documents import criteria_narrative
from awardpath_award.credentials.models import Credential
from awardpath_award.credentials.standards import OB_V2_CONTEXT
from awardpath_award.credentials.timestamps import iso
from awardpath_award.credentials.urls import Urls
from awardpath_award.decisions.models import Award
from awardpath_award.issuers.models import Issuer
from awardpath_award.recipients.models import Recipient


def assertion(credential: Credential, award: Award, recipient: Recipient, urls: Urls) -> dict[str, Any]:
    url = urls.ob2_assertion(credential.id)
    if credential.revoked_at is not None:
        # OB 2.0: a revoked hosted assertion answers 410 with only this much.
        return {
            "@context": OB_V2_CONTEXT,
            "type": "Assertion",
            "id": url,
            "revoked": True,
            "revocationReason": credential.revocation_reason or "revoked by the issuer",
        }
    return {
        "@context": OB_V2_CONTEXT,
        "type": "Assertion",
        "id": url,
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": recipient.salt,
            "identity": recipient.identity_hash,
        },
        "badge": urls.ob2_badge_class(award.micro_credential_id, award.micro_credential_version),
        "issuedOn": iso(credential.issued_at),
        "verification": {"type": "hosted"},
    }


def badge_class(definition: MicroCredentialVersion, urls: Urls) -> dict[str, Any]:
    return {
        "@context": OB_V2_CONTEXT,
        "type": "BadgeClass",
        "id": urls.ob2_badge_class(definition.micro_credential_id, definition.version),
        "name": definition.title,
        "description": definition.competency,
        "image": urls.badge_image(definition.micro_credential_id, definition.version),
        "criteria": {"narrative": criteria_narrative(definition)},
        "issuer": urls.ob2_issuer(definition.issuer_id),
    }


def issuer(issuer: Issuer, urls: Urls) -> dict[str, Any]:
    return {
        "@context": OB_V2_CONTEXT,
        "type": "Issuer",
        "id": urls.ob2_issuer(issuer.id),
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
    }


def badge_image_svg(title: str) -> str:
    """A plain badge image for displayers that need one; the title is escaped."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">'
        '<circle cx="128" cy="128" r="120" fill="#1f4e79"/>'
        '<circle cx="128" cy="128" r="100" fill="none" stroke="#f2c14e" stroke-width="6"/>'
        f"<title>{escape(title)}</title>"
        '<text x="128" y="136" font-family="sans-serif" font-size="18" fill="#fff" text-anchor="middle">'
        f"{escape(title[:24])}</text></svg>"
    )
