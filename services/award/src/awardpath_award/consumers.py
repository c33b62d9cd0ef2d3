"""Event handlers of the award service, as an explicit map of contract to handler."""

from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award import service
from awardpath_award.settings import AwardSettings
from awardpath_shared.events import AssessmentCompleted
from awardpath_shared.messaging.inbox import HandlerMap


async def on_assessment_completed(session: AsyncSession, event: AssessmentCompleted) -> None:
    await service.record_assessment(session, event)


def handlers(settings: AwardSettings) -> HandlerMap:
    return {AssessmentCompleted: on_assessment_completed}
