"""What the messaging tests share: an event to send, and a transport that records what it
is handed (and can refuse, or die after publishing, as a broker or a process would)."""

from cloudevents.core.base import BaseCloudEvent

from awardpath_shared.events import MicroCredentialPublished
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.messaging.transport import Consumer
from awardpath_shared.rubrics import RubricLevel, RubricSection
from awardpath_shared.vocabulary import DecisionPolicy


def published_event(title: str = "Climate", micro_credential_id: str | None = None) -> MicroCredentialPublished:
    return MicroCredentialPublished(
        micro_credential_id=micro_credential_id or new_id(),
        version=1,
        issuer_id="issuer-1",
        title=title,
        competency="c",
        key_method="k",
        max_attempts=2,
        decision_policy=DecisionPolicy.MANUAL,
        sections=[
            RubricSection(
                id="overview",
                title="Overview",
                prompt="p",
                levels=[RubricLevel(id="not_yet", name="Not yet"), RubricLevel(id="ok", name="OK")],
                passing_level="ok",
            )
        ],
        published_at=utcnow(),
    )


class ProcessKilled(BaseException):
    """The process died: not an error anything in it handles (like SIGKILL)."""


class RecordingTransport:
    """Collects published events; can refuse the next ones (broker down) or kill the
    process right after the broker accepted the next one."""

    def __init__(self) -> None:
        self.published: list[BaseCloudEvent] = []
        self.failures_left = 0
        self.die_after_next_publish = False
        self.consumers: list[Consumer] = []

    def subscribe(self, consumer: Consumer) -> None:
        self.consumers.append(consumer)

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, topic: str, key: str, cloudevent: BaseCloudEvent) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("broker unavailable")
        self.published.append(cloudevent)
        if self.die_after_next_publish:
            raise ProcessKilled("killed between publish and mark-sent")
