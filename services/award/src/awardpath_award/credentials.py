"""The documents of an award, built from its records (pure functions, no I/O): the Open Badges
3.0 credential, the Bitstring Status List credential, and the Open Badges 2.0 hosted assertion,
BadgeClass and Issuer for older displayers. Signing is `proofs`' job."""

import base64
import gzip
from datetime import datetime
from html import escape
from typing import Any

from awardpath_award.models import Award, Credential, Issuer, MicroCredentialVersion, Recipient
from awardpath_award.standards import OB_V2_CONTEXT, OB_V3_CONTEXT, OB_V3_SCHEMA, VC_V2_CONTEXT


def iso(moment: datetime) -> str:
    """RFC 3339 UTC with a Z, second precision: the form credentials carry."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Urls:
    """Every public URL the award service mints, from `AWARDPATH_AWARD_PUBLIC_URL`."""

    def __init__(self, public_url: str) -> None:
        self.base = public_url.rstrip("/")

    def credential(self, credential_id: str) -> str:
        return f"{self.base}/v1/credentials/{credential_id}"

    def credential_page(self, credential_id: str) -> str:
        return f"{self.credential(credential_id)}/page"

    def status_list(self, status_list_id: str) -> str:
        return f"{self.base}/v1/status-lists/{status_list_id}"

    def achievement(self, micro_credential_id: str, version: int) -> str:
        return f"{self.base}/v1/micro-credentials/{micro_credential_id}?version={version}"

    def ob2_assertion(self, credential_id: str) -> str:
        return f"{self.base}/v1/ob2/assertions/{credential_id}"

    def ob2_badge_class(self, micro_credential_id: str, version: int) -> str:
        return f"{self.base}/v1/ob2/badge-classes/{micro_credential_id}/{version}"

    def badge_image(self, micro_credential_id: str, version: int) -> str:
        return f"{self.ob2_badge_class(micro_credential_id, version)}/image"

    def ob2_issuer(self, issuer_id: str) -> str:
        return f"{self.base}/v1/ob2/issuers/{issuer_id}"


# ---- Open Badges 3.0 -------------------------------------------------------------------


def issuer_profile(issuer: Issuer, did: str) -> dict[str, Any]:
    return {"id": did, "type": ["Profile"], "name": issuer.name, "url": issuer.url, "email": issuer.email}


def criteria_narrative(definition: MicroCredentialVersion) -> str:
    sections = "\n".join(
        f"- **{section['title']}**: reaches *{_level_name(section, section['passing_level'])}*"
        for section in definition.sections
    )
    return (
        f"{definition.competency}\n\nKey method: {definition.key_method}\n\n"
        "The earner submitted classroom evidence for every rubric section; a content-expert "
        "assessor scored it blind and the issuer of record awarded it once every section reached "
        f"its passing level:\n\n{sections}"
    )


def _level_name(section: dict[str, Any], level_id: str) -> str:
    return next((level["name"] for level in section["levels"] if level["id"] == level_id), level_id)


def _section_id(achievement_id: str, section_id: str) -> str:
    return f"{achievement_id}#section-{section_id}"


def _level_id(achievement_id: str, section_id: str, level_id: str) -> str:
    return f"{achievement_id}#section-{section_id}-level-{level_id}"


def achievement(definition: MicroCredentialVersion, profile: dict[str, Any], urls: Urls) -> dict[str, Any]:
    """The micro-credential as an OB 3.0 Achievement: rubric sections as ResultDescriptions."""
    achievement_id = urls.achievement(definition.micro_credential_id, definition.version)
    return {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": definition.title,
        "description": definition.competency,
        "criteria": {"narrative": criteria_narrative(definition)},
        "image": {
            "id": urls.badge_image(definition.micro_credential_id, definition.version),
            "type": "Image",
            "caption": definition.title,
        },
        "creator": profile,
        "version": str(definition.version),
        "resultDescription": [
            {
                "id": _section_id(achievement_id, section["id"]),
                "type": ["ResultDescription"],
                "name": section["title"],
                "resultType": "RubricCriterionLevel",
                "allowedValue": [level["name"] for level in section["levels"]],
                "requiredLevel": _level_id(achievement_id, section["id"], section["passing_level"]),
                "rubricCriterionLevel": [
                    {
                        "id": _level_id(achievement_id, section["id"], level["id"]),
                        "type": ["RubricCriterionLevel"],
                        "name": level["name"],
                        **({"description": level["description"]} if level.get("description") else {}),
                    }
                    for level in section["levels"]
                ],
            }
            for section in definition.sections
        ],
    }


def results(award: Award, definition: MicroCredentialVersion, urls: Urls) -> list[dict[str, Any]]:
    """The final level of each section. Feedback and who assessed stay off the credential."""
    achievement_id = urls.achievement(definition.micro_credential_id, definition.version)
    return [
        {
            "type": ["Result"],
            "resultDescription": _section_id(achievement_id, result["section_id"]),
            "achievedLevel": _level_id(achievement_id, result["section_id"], result["level"]),
        }
        for result in award.results
    ]


def status_entry(status_list_url: str, index: int) -> dict[str, Any]:
    return {
        "id": f"{status_list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": status_list_url,
    }


def open_badge_credential(
    *,
    credential_id: str,
    award: Award,
    definition: MicroCredentialVersion,
    issuer: Issuer,
    did: str,
    recipient: Recipient,
    status_list_url: str,
    status_index: int,
    urls: Urls,
) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential (VC data model 2.0, OB 3.0 context 3.0.3)."""
    profile = issuer_profile(issuer, did)
    return {
        "@context": [VC_V2_CONTEXT, OB_V3_CONTEXT],
        "id": urls.credential(credential_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": definition.title,
        "description": definition.competency,
        "issuer": profile,
        "validFrom": iso(award.awarded_at),
        "awardedDate": iso(award.awarded_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": recipient.identity_hash,
                    "identityType": recipient.identity_type,
                    "hashed": True,
                    "salt": recipient.salt,
                }
            ],
            "achievement": achievement(definition, profile, urls),
            "result": results(award, definition, urls),
        },
        "credentialStatus": status_entry(status_list_url, status_index),
        "credentialSchema": [{"id": OB_V3_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }


# ---- Bitstring Status List -------------------------------------------------------------


def encode_status_list(bits: bytes) -> str:
    """`encodedList`: multibase base64url (no padding) of the GZIP-compressed bitstring."""
    compressed = gzip.compress(bits, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode()


def decode_status_list(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url ('u')")
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def bit_at(bits: bytes, index: int) -> bool:
    """Index 0 is the first (most significant) bit of the first byte."""
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"status index {index} is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def with_bit_set(bits: bytes, index: int) -> bytes:
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"status index {index} is outside the list")
    changed = bytearray(bits)
    changed[index // 8] |= 0x80 >> (index % 8)
    return bytes(changed)


def status_list_credential(url: str, did: str, bits: bytes, valid_from: datetime) -> dict[str, Any]:
    return {
        "@context": [VC_V2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": iso(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_status_list(bits),
        },
    }


# ---- Open Badges 2.0 (hosted verification) ---------------------------------------------


def ob2_assertion(credential: Credential, award: Award, recipient: Recipient, urls: Urls) -> dict[str, Any]:
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


def ob2_badge_class(definition: MicroCredentialVersion, issuer_id: str, urls: Urls) -> dict[str, Any]:
    return {
        "@context": OB_V2_CONTEXT,
        "type": "BadgeClass",
        "id": urls.ob2_badge_class(definition.micro_credential_id, definition.version),
        "name": definition.title,
        "description": definition.competency,
        "image": urls.badge_image(definition.micro_credential_id, definition.version),
        "criteria": {"narrative": criteria_narrative(definition)},
        "issuer": urls.ob2_issuer(issuer_id),
    }


def ob2_issuer(issuer: Issuer, urls: Urls) -> dict[str, Any]:
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
