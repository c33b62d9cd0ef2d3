"""CloudEvents 1.0 envelopes for the event contracts."""

from collections.abc import Mapping
from datetime import datetime

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.v1.event import CloudEvent

from awardpath_shared.events import EVENT_TYPES, Event


class UnknownEventType(ValueError):
    pass


def to_cloudevent(
    event: Event, *, event_id: str, source: str, time: datetime, extensions: Mapping[str, str] | None = None
) -> CloudEvent:
    """The event's CloudEvent; `extensions` adds extension attributes (the trace context)."""
    return CloudEvent(
        attributes={
            "id": event_id,
            "source": source,
            "type": event.event_type(),
            "subject": event.subject(),
            "time": time,
            "datacontenttype": "application/json",
            **(extensions or {}),
        },
        data=event.model_dump(mode="json"),
    )


def from_cloudevent(cloudevent: BaseCloudEvent) -> Event:
    event_class = EVENT_TYPES.get(cloudevent.get_type())
    if event_class is None:
        raise UnknownEventType(cloudevent.get_type())
    return event_class.model_validate(cloudevent.get_data())


def topic_of(event_type: str) -> str:
    event_class = EVENT_TYPES.get(event_type)
    if event_class is None:
        raise UnknownEventType(event_type)
    return event_class.topic
