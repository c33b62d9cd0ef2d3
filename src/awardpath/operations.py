"""Operator commands that run one service's code in the operator's process, each in a unit of
work of its own (`awardpath reseal`)."""

from awardpath.services import SERVICES
from awardpath_award.keys.service import KeyService, Resealed
from awardpath_award.settings import AwardSettings
from awardpath_shared.messaging.delivery import RetryPolicy
from awardpath_shared.messaging.inprocess import InProcessTransport


async def reseal(settings: AwardSettings) -> Resealed:
    # Nothing is published from here: the transport only completes the runtime.
    runtime = SERVICES["award"].build_runtime(settings, InProcessTransport(RetryPolicy.of(settings)))
    try:
        async with runtime.transaction() as uow:
            return await KeyService(uow, settings).reseal_all()
    finally:
        await runtime.close()
