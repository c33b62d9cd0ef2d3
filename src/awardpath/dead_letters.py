"""`awardpath dead-letters list|replay SERVICE`: what a service gave up on, and another try.

Two kinds: messages the service's consumer group dead-lettered (Kafka `<topic>.dlq`, with
the error and original headers) and outbox rows its relay gave up publishing (any
transport). A dead letter is `pending` until the event has been processed, by a replay or
otherwise; replaying hands pending ones to the handlers again (the idempotent consumer makes
a second replay change nothing). Dead outbox rows get fresh attempts; the running
processes' relays then publish them.
"""

from awardpath.services import SERVICES
from awardpath_shared.messaging.dead_letters import DeadLetter, read_dead_letters, replay
from awardpath_shared.messaging.inprocess import InProcessTransport
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
            lines.append(
                "\t".join(
                    [
                        "outbox",
                        row.id,
                        row.event_type,
                        row.key,
                        row.topic,
                        str(row.attempts),
                        row.dead_at.isoformat(),
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
            failures += outcome in ("failed", "undecodable")
            lines.append(_letter_line(letter, outcome, error or letter.error))
        requeued = await runtime.relay.requeue_dead()
        lines.append(
            f"{len(lines)} dead letter(s) replayed, {failures} still failing; "
            f"{requeued} dead outbox row(s) queued for delivery again"
        )
        return lines, failures
    finally:
        await runtime.close()


def _runtime(name: str, settings: ServiceSettings) -> ServiceRuntime:
    # Handlers run here, in the operator's process; nothing is published from it.
    return SERVICES[name].build_runtime(settings, InProcessTransport())


async def _consumer_dead_letters(runtime: ServiceRuntime) -> list[DeadLetter]:
    if runtime.settings.transport != "kafka":
        return []  # in-process delivery fails back into the outbox: see its dead rows
    return await read_dead_letters(runtime.settings, runtime.consumer.group)


async def _processed(runtime: ServiceRuntime, letter: DeadLetter) -> bool:
    return letter.cloudevent is not None and await runtime.consumer.is_processed(letter.event_id)


def _letter_line(letter: DeadLetter, status: str, error: str | None = None) -> str:
    subject = letter.cloudevent.get_subject() if letter.cloudevent else "-"
    return "\t".join(
        [
            "consumer",
            letter.event_id,
            letter.event_type,
            subject or "-",
            letter.topic,
            str(letter.attempts),
            letter.failed_at,
            status,
            _one_line(error if error is not None else letter.error),
        ]
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
