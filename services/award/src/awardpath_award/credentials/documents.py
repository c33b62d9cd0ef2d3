"""The Open Badges 3.0 credential of an award, built from its records (pure functions, no
I/O): the issuer profile, the micro-credential as an Achievement with its rubric, the
results. Signing is `proofs`' job."""

from datetime import datetime
from typing import Any

from awardpath_award.catalog.models import MicroCredentialVersion
from awardpath_award.credentials.standards import OB_V3_CONTEXT, OB_V3_SCHEMA, VC_V2_CONTEXT
from awardpath_award.credentials.status_lists import status_entry
from awardpath_award.credentials.timestamps import iso
from awardpath_award.credentials.urls import Urls
from awardpath_award.decisions.models import Award
from awardpath_award.issuers.models import Issuer
from awardpath_award.recipients.models import Recipient


def issuer_profile(issuer: Issuer, did: str) -> dict[str, Any]:
    return {"id": did, "type": ["Profile"], "name": issuer.name, "url": issuer.url, "email": issuer.email}


def criteria_narrative(definition: MicroCredentialVersion) -> str:
    sections = "\n".join(
        f"- **{section.title}**: reaches *{section.level_name(section.passing_level)}*"
        for section in definition.sections
    )
    return (
        f"{definition.competency}\n\nKey method: {definition.key_method}\n\n"
        "The earner submitted classroom evidence for every rubric section; a content-expert "
        "assessor scored it blind and the issuer of record awarded it once every section reached "
        f"its passing level:\n\n{sections}"
    )


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
                "id": _section_id(achievement_id, section.id),
                "type": ["ResultDescription"],
                "name": section.title,
                "resultType": "RubricCriterionLevel",
                "allowedValue": [level.name for level in section.levels],
                "requiredLevel": _level_id(achievement_id, section.id, section.passing_level),
                "rubricCriterionLevel": [
                    {
                        "id": _level_id(achievement_id, section.id, level.id),
                        "type": ["RubricCriterionLevel"],
                        "name": level.name,
                        **({"description": level.description} if level.description else {}),
                    }
                    for level in section.levels
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
            "resultDescription": _section_id(achievement_id, result.section_id),
            "achievedLevel": _level_id(achievement_id, result.section_id, result.level),
        }
        for result in award.results
    ]


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


def jwt_claims(unsecured: dict[str, Any], issued_at: datetime) -> dict[str, Any]:
    """The registered claims a VC-JWT mirrors from its credential."""
    return {
        "iss": unsecured["issuer"]["id"],
        "jti": unsecured["id"],
        "iat": int(issued_at.timestamp()),
        "nbf": int(issued_at.timestamp()),
    }
