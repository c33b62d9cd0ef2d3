"""Rotating the award master key (both backends): with the old key listed as previous,
everything sealed under it still opens; `reseal_all` (`awardpath reseal`) moves every issuer
key and webhook secret to the new key, once; after it the old key can go."""

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath import operations
from awardpath.services import SERVICES
from awardpath_award.keys.service import KeyService, Resealed
from awardpath_award.settings import AwardSettings
from awardpath_award.uow import AwardUnitOfWork
from awardpath_award.webhooks.service import WebhookService
from awardpath_award.webhooks.signing import signing_secrets
from awardpath_shared.ids import utcnow
from awardpath_shared.messaging.delivery import RetryPolicy
from awardpath_shared.messaging.inprocess import InProcessTransport
from tests.support.award import an_issuer

# Endpoints registered only (TEST-NET-3: never routed, allowed by name), never called.
OLD = AwardSettings(
    master_key="old-master-key-0123456789abcdefghijklmnop",
    webhook_allow_http=True,
    webhook_allowed_targets="203.0.113.0/24",
)
ROTATED = OLD.model_copy(
    update={"master_key": "new-master-key-0123456789abcdefghijklmnop", "previous_master_keys": (OLD.master_key,)}
)
NEW_ONLY = ROTATED.model_copy(update={"previous_master_keys": ()})


@pytest.fixture
def uow(award_session: AsyncSession) -> AwardUnitOfWork:
    return AwardUnitOfWork(award_session)


async def test_a_rotated_master_key_opens_old_values_and_reseal_moves_them_once(uow):
    issuer = await an_issuer(uow)
    signer = await KeyService(uow, OLD).signer(issuer.id)
    webhooks = WebhookService(uow, OLD)
    endpoint = await webhooks.create_endpoint("platform-1", "http://203.0.113.7/hooks", ["submission.status_changed"])
    rotated_secret = await webhooks.rotate_secret("platform-1", endpoint.id)
    secrets_in_use = [rotated_secret.secret, endpoint.secret]

    # Before resealing, the old key (listed as previous) still opens everything.
    assert (
        await KeyService(uow, ROTATED).signer(issuer.id)
    ).private_key.public_key() == signer.private_key.public_key()
    assert signing_secrets(endpoint.endpoint, ROTATED.master_keys, utcnow()) == secrets_in_use

    assert await KeyService(uow, ROTATED).reseal_all() == Resealed(issuer_keys=1, webhook_secrets=2)
    assert await KeyService(uow, ROTATED).reseal_all() == Resealed(issuer_keys=0, webhook_secrets=0)

    # The old key removed: the same keys sign, the same secrets sign webhooks.
    after = await KeyService(uow, NEW_ONLY).signer(issuer.id)
    assert after.key.id == signer.key.id and after.private_key.public_key() == signer.private_key.public_key()
    assert signing_secrets(endpoint.endpoint, NEW_ONLY.master_keys, utcnow()) == secrets_in_use


async def test_without_the_previous_key_old_values_do_not_open(uow):
    issuer = await an_issuer(uow)
    await KeyService(uow, OLD).signer(issuer.id)
    with pytest.raises(InvalidTag, match="no configured master key"):
        await KeyService(uow, NEW_ONLY).signer(issuer.id)


async def test_awardpath_reseal_commits_the_moved_values(database_url):
    old = OLD.model_copy(update={"database_url": database_url})
    runtime = SERVICES["award"].build_runtime(old, InProcessTransport(RetryPolicy.of(old)))
    try:
        async with runtime.transaction() as uow:
            await KeyService(uow, old).signer((await an_issuer(uow)).id)
    finally:
        await runtime.close()
    rotated = ROTATED.model_copy(update={"database_url": database_url})

    assert await operations.reseal(rotated) == Resealed(issuer_keys=1, webhook_secrets=0)
    assert await operations.reseal(rotated) == Resealed(issuer_keys=0, webhook_secrets=0)  # committed the first time
