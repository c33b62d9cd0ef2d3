"""Credential issuance and webhook fan-out on a migrated database (both backends): the award
and the recipient join whichever arrives first, a credential is issued once, keys are sealed,
and a message waits for its platform before it is fanned out."""

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award import issuance, service, webhooks
from awardpath_award.models import Credential, IssuerKey, WebhookDelivery, WebhookMessage
from awardpath_award.settings import AwardSettings
from awardpath_award.webhook_delivery import WebhookDeliveryWorker
from awardpath_shared.db import create_session_factory
from awardpath_shared.events import AwardGranted, CredentialIssued, RecipientIdentified
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.privacy import identity_hash
from tests.integration.test_award_service import a_micro_credential, an_assessment, staged

SETTINGS = AwardSettings(public_url="https://badges.example.org", master_key="integration-master-key")


async def an_award(session: AsyncSession) -> AwardGranted:
    published = await a_micro_credential(session, decision_policy="auto")
    await service.record_assessment(session, an_assessment(published))
    [granted] = await staged(session, AwardGranted)
    return AwardGranted.model_validate(granted)


def a_recipient(
    submission_id: str, email: str = "ada@school.example.org", platform_id: str = "platform-1"
) -> RecipientIdentified:
    return RecipientIdentified(
        submission_id=submission_id,
        platform_id=platform_id,
        identity_hash=identity_hash(email, "salt-1"),
        salt="salt-1",
        identified_at=utcnow(),
    )


async def test_the_award_waits_for_its_recipient_and_is_issued_once(award_session: AsyncSession) -> None:
    granted = await an_award(award_session)
    with pytest.raises(issuance.RecipientNotYetKnown):
        await issuance.issue_credential(award_session, SETTINGS, granted)

    await issuance.record_recipient(award_session, a_recipient(granted.submission_id))
    credential = await issuance.issue_credential(award_session, SETTINGS, granted)
    again = await issuance.issue_credential(award_session, SETTINGS, granted)

    assert again.id == credential.id
    assert (
        len(list(await award_session.scalars(select(Credential).where(Credential.award_id == granted.award_id)))) == 1
    )
    subject = credential.document["credentialSubject"]
    assert subject["identifier"][0]["identityHash"] == identity_hash("ada@school.example.org", "salt-1")
    assert credential.document["issuer"]["id"] == f"did:web:badges.example.org:v1:issuers:{granted.issuer_id}"
    [issued] = await staged(award_session, CredentialIssued)
    assert issued["credential_id"] == credential.id and issued["submission_id"] == granted.submission_id


async def test_a_recipient_that_came_first_is_joined_when_the_award_arrives(award_session: AsyncSession) -> None:
    published = await a_micro_credential(award_session, decision_policy="auto")
    assessment = an_assessment(published)
    await issuance.record_recipient(award_session, a_recipient(assessment.submission_id))
    await service.record_assessment(award_session, assessment)
    [granted] = await staged(award_session, AwardGranted)
    credential = await issuance.issue_credential(award_session, SETTINGS, AwardGranted.model_validate(granted))
    assert credential.submission_id == assessment.submission_id


async def test_issuer_keys_are_sealed_and_rotation_keeps_the_old_ones_published(award_session: AsyncSession) -> None:
    granted = await an_award(award_session)
    signer = await issuance.signer(award_session, SETTINGS, granted.issuer_id)
    seed = signer.private_key.private_bytes_raw()
    stored = await award_session.get(IssuerKey, signer.key.id)
    assert stored is not None and seed.hex() not in stored.sealed_private_key

    rotated = await issuance.rotate_key(award_session, SETTINGS, granted.issuer_id)
    document = await issuance.did_document(award_session, SETTINGS, granted.issuer_id)
    published = [method["publicKeyMultibase"] for method in document["verificationMethod"]]
    assert published == [rotated.public_key_multibase, signer.key.public_key_multibase]
    assert (await issuance.signer(award_session, SETTINGS, granted.issuer_id)).key.id == rotated.id
    jwks = await issuance.jwks(award_session, SETTINGS, granted.issuer_id)
    assert [key["kid"].split("#")[1] for key in jwks["keys"]] == published


async def test_webhook_messages_wait_for_the_platform_then_fan_out_to_subscribers(engines) -> None:
    settings = SETTINGS.model_copy(update={"webhook_allow_private_targets": True, "webhook_allow_http": True})
    sessions = create_session_factory(engines("award"))
    platform_id, submission_id = f"platform-{new_id()}", new_id()
    async with sessions() as session, session.begin():
        subscribed, _ = await webhooks.create_endpoint(
            session, settings, platform_id, "http://127.0.0.1:9/hooks", ["submission.status_changed"]
        )
        await webhooks.create_endpoint(
            session, settings, platform_id, "http://127.0.0.1:9/other", ["submission.denied"]
        )
        webhooks.status_changed(session, submission_id, "in_review", 1)
    worker = WebhookDeliveryWorker(sessions, settings)

    await worker.fan_out()
    async with sessions() as session:
        assert await deliveries_to(session, subscribed.id) == []  # the platform is not known yet
    async with sessions() as session, session.begin():
        await issuance.record_recipient(session, a_recipient(submission_id, platform_id=platform_id))
    await worker.fan_out()

    async with sessions() as session:
        [delivery] = await deliveries_to(session, subscribed.id)
        message = await session.get(WebhookMessage, delivery.message_id)
    assert delivery.state == "pending"
    assert message is not None and message.data == {"submission_id": submission_id, "status": "in_review", "attempt": 1}


async def deliveries_to(session: AsyncSession, endpoint_id: str) -> list[WebhookDelivery]:
    return list(await session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)))
