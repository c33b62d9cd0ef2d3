"""Credential issuance and webhook fan-out on a migrated database (both backends): the award
and the recipient join whichever arrives first, a credential is issued once, keys are sealed,
and a message waits for its platform before it is fanned out."""

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award.credentials.service import CredentialService, RecipientNotYetKnown
from awardpath_award.decisions.service import DecisionService
from awardpath_award.keys.service import KeyService
from awardpath_award.models import Credential, IssuerKey, WebhookDelivery, WebhookMessage
from awardpath_award.recipients.service import RecipientService
from awardpath_award.settings import AwardSettings
from awardpath_award.uow import AwardUnitOfWork
from awardpath_award.webhooks.notifier import WebhookNotifier
from awardpath_award.webhooks.service import DeliveryService, WebhookService
from awardpath_shared.events import AwardGranted, CredentialIssued, SubmissionStatusChanged
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.privacy import identity_hash
from tests.support.award import a_micro_credential, a_recipient, an_assessment
from tests.support.outbox import staged

SETTINGS = AwardSettings(public_url="https://badges.example.org", master_key="integration-master-key")


@pytest.fixture
def uow(award_session: AsyncSession) -> AwardUnitOfWork:
    return AwardUnitOfWork(award_session)


@pytest.fixture
def credentials(uow: AwardUnitOfWork) -> CredentialService:
    return CredentialService(uow, SETTINGS)


@pytest.fixture
def keys(uow: AwardUnitOfWork) -> KeyService:
    return KeyService(uow, SETTINGS)


async def an_award(uow: AwardUnitOfWork) -> AwardGranted:
    published = await a_micro_credential(uow, decision_policy="auto")
    await DecisionService(uow).record_assessment(an_assessment(published))
    [granted] = await staged(uow, AwardGranted)
    return AwardGranted.model_validate(granted)


async def test_the_award_waits_for_its_recipient_and_is_issued_once(uow, credentials) -> None:
    granted = await an_award(uow)
    with pytest.raises(RecipientNotYetKnown):
        await credentials.issue(granted)

    await RecipientService(uow).record(a_recipient(granted.submission_id))
    credential = await credentials.issue(granted)
    again = await credentials.issue(granted)

    assert again.id == credential.id
    assert len(list(await uow.session.scalars(select(Credential).where(Credential.award_id == granted.award_id)))) == 1
    subject = credential.document["credentialSubject"]
    assert subject["identifier"][0]["identityHash"] == identity_hash("ada@school.example.org", "salt-1")
    assert credential.document["issuer"]["id"] == f"did:web:badges.example.org:v1:issuers:{granted.issuer_id}"
    [issued] = await staged(uow, CredentialIssued)
    assert issued["credential_id"] == credential.id and issued["submission_id"] == granted.submission_id


async def test_a_recipient_that_came_first_is_joined_when_the_award_arrives(uow, credentials) -> None:
    published = await a_micro_credential(uow, decision_policy="auto")
    assessment = an_assessment(published)
    await RecipientService(uow).record(a_recipient(assessment.submission_id))
    await DecisionService(uow).record_assessment(assessment)
    [granted] = await staged(uow, AwardGranted)
    credential = await credentials.issue(AwardGranted.model_validate(granted))
    assert credential.submission_id == assessment.submission_id


async def test_issuer_keys_are_sealed_and_rotation_keeps_the_old_ones_published(uow, keys) -> None:
    granted = await an_award(uow)
    signer = await keys.signer(granted.issuer_id)
    seed = signer.private_key.private_bytes_raw()
    stored = await uow.session.get(IssuerKey, signer.key.id)
    assert stored is not None and seed.hex() not in stored.sealed_private_key

    rotated = await keys.rotate(granted.issuer_id, acting_issuer_id=granted.issuer_id)
    document = await keys.did_document(granted.issuer_id)
    published = [method["publicKeyMultibase"] for method in document["verificationMethod"]]
    assert published == [rotated.public_key_multibase, signer.key.public_key_multibase]
    assert (await keys.signer(granted.issuer_id)).key.id == rotated.id
    jwks = await keys.jwks(granted.issuer_id)
    assert [key["kid"].split("#")[1] for key in jwks["keys"]] == published


async def test_webhook_messages_wait_for_the_platform_then_fan_out_to_subscribers(uow) -> None:
    # The address guard stays on: the loopback receiver is allowed by name.
    settings = AwardSettings(
        public_url=SETTINGS.public_url,
        master_key=SETTINGS.master_key,
        webhook_allow_http=True,
        webhook_allowed_targets="127.0.0.1/32",
    )
    webhooks, deliveries = WebhookService(uow, settings), DeliveryService(uow, settings)
    platform_id, submission_id = f"platform-{new_id()}", new_id()
    subscribed = (
        await webhooks.create_endpoint(platform_id, "http://127.0.0.1:9/hooks", ["submission.status_changed"])
    ).endpoint
    await webhooks.create_endpoint(platform_id, "http://127.0.0.1:9/other", ["submission.denied"])
    WebhookNotifier(uow).relay_status(
        SubmissionStatusChanged(
            submission_id=submission_id, status="in_review", attempt=1, sequence=2, changed_at=utcnow()
        )
    )
    await uow.flush()

    await deliveries.fan_out()
    assert await deliveries_to(uow, subscribed.id) == []  # the platform is not known yet
    await RecipientService(uow).record(a_recipient(submission_id, platform_id=platform_id))
    await deliveries.fan_out()

    [delivery] = await deliveries_to(uow, subscribed.id)
    message = await uow.session.get(WebhookMessage, delivery.message_id)
    assert delivery.state == "pending"
    assert message is not None
    assert message.data == {"submission_id": submission_id, "status": "in_review", "attempt": 1, "sequence": 2}


async def deliveries_to(uow: AwardUnitOfWork, endpoint_id: str) -> list[WebhookDelivery]:
    return list(await uow.session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)))
