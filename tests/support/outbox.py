"""What a unit of work staged in its service's outbox, for service-level tests."""

from typing import Any

from sqlalchemy import select

from awardpath_shared.events import Event
from awardpath_shared.unit_of_work import UnitOfWork


async def staged(uow: UnitOfWork, event_class: type[Event]) -> list[dict[str, Any]]:
    """The payloads of the staged events of one type, oldest first."""
    outbox = uow.outbox_model
    await uow.flush()
    rows = await uow.session.scalars(
        select(outbox.payload).where(outbox.event_type == event_class.event_type()).order_by(outbox.id)
    )
    return list(rows)
