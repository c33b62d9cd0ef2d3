"""`awardpath dead-letters list|replay SERVICE`: what a service gave up on, and another try.

Two kinds: events the service's consumer group dead-lettered (on Kafka in `<topic>.dlq`,
with in-process delivery in the service's `dead_letters` table, each with the error) and
outbox rows its relay gave up publishing (any transport). A dead letter is `pending` until
the event has been processed, by a replay or otherwise; replaying hands pending ones to the
handlers again (the idempotent consumer makes a second replay change nothing). Dead outbox
rows get fresh attempts; the running processes' relays then publish them.
"""

from typing import Any

from awardpath.services import SERVICES
from awardpath_shared.messaging.dead_letters import DeadLetter, ReplayOutcome, replay
from awardpath_shared.messaging.delivery import RetryPolicy
from awardpath_shared.messaging.inprocess import InProcessTransport
from awardpath_shared.messaging.kafka_dead_letters import read_dead_letters
from awardpath_shared.runtime import ServiceRuntime
from awardpath_shared.settings import ServiceSettings

HEADER = "kind\tevent_id\ttype\tsubject\ttopic\tattempts\tfailed_at\tstatus\terror"


async def listing(name: str, settings: ServiceSettings) -> list[str]:
    runtime = _runtime(name, settings)
    try:
        lines = [HEADER]
        for letter in await _consumer_dead_letters(runtime):
            status = "processed" if await _processed(runtime, letter) else "pending"
            lines.append(_letter_line(letter, status))
        for row in await runtime.relay.dead_rows():
            dead_at = row.dead_at.isoformat() if row.dead_at else "-"
            lines.append(
                "\t".join(
                    [
                        "outbox",
                        row.id,
                        row.event_type,
                        row.key,
                        row.topic,
                        str(row.attempts),
                        dead_at,
                        "dead",
                        _one_line(row.last_error or ""),
                    ]
                )
            )
        return lines
    finally:
        await runtime.close()


async def replay_all(name: str, settings: ServiceSettings) -> tuple[list[str], int]:
    """Replay every pending dead letter of the service; returns report lines and failures."""
    runtime = _runtime(name, settings)
    lines, failures = [], 0
    try:
        for letter in await _consumer_dead_letters(runtime):
            if await _processed(runtime, letter):
                continue
            outcome, error = await replay(runtime.consumer, letter)
            failures += outcome in (ReplayOutcome.FAILED, ReplayOutcome.UNDECODABLE)
            lines.append(_letter_line(letter, outcome, error or letter.error))
        requeued = await runtime.relay.requeue_dead()
        lines.append(
            f"{len(lines)} dead letter(s) replayed, {failures} still failing; "
            f"{requeued} dead outbox row(s) queued for delivery again"
        )
        return lines, failures
    finally:
        await runtime.close()


def _runtime(name: str, settings: ServiceSettings) -> ServiceRuntime[Any, Any]:
    # Handlers run here, in the operator's process; nothing is published from it.
    return SERVICES[name].build_runtime(settings, InProcessTransport(RetryPolicy.of(settings)))


async def _consumer_dead_letters(runtime: ServiceRuntime[Any, Any]) -> list[DeadLetter]:
    if runtime.settings.transport == "kafka":
        return await read_dead_letters(runtime.settings, runtime.consumer.group)
    return await runtime.consumer.dead_letters.read()


async def _processed(runtime: ServiceRuntime[Any, Any], letter: DeadLetter) -> bool:
    return letter.cloudevent is not None and await runtime.consumer.is_processed(letter.event_id)


def _letter_line(letter: DeadLetter, status: str, error: str | None = None) -> str:
    return "\t".join(
        [
            "consumer",
            letter.event_id,
            letter.event_type,
            letter.subject,
            letter.topic,
            str(letter.attempts),
            letter.failed_at,
            status,
            _one_line(error if error is not None else letter.error),
        ]
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
