"""The AsyncAPI 3.0 document of the Kafka topics and the topic catalogue, made from the code.

    python -m awardpath.asyncapi            # rewrite docs/asyncapi.yaml and docs/topics.md
    python -m awardpath.asyncapi --check    # exit 1 when they differ from what the code gives

Channels are the topics of `awardpath_shared.events`; message payloads are the JSON schemas of
the pydantic event models; message headers are the CloudEvents Kafka binding in binary mode
(`ce_*` attributes, `content-type`); the key is the event's subject. Receivers come from each
service's handler map (its `EventConsumer`), senders from `PRODUCERS`, which a test checks
against the services' code.
"""

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import models_json_schema

from awardpath.services import SERVICES
from awardpath_shared.events import (
    EVENT_TYPES,
    AssessmentAssigned,
    AssessmentCompleted,
    AwardDecided,
    AwardGranted,
    CredentialIssued,
    CredentialRevoked,
    Event,
    FeedbackRecorded,
    MicroCredentialPublished,
    RecipientIdentified,
    SubmissionResubmitted,
    SubmissionStatusChanged,
    SubmissionSubmitted,
    SubmissionWithdrawn,
)
from awardpath_shared.messaging.delivery import RetryPolicy
from awardpath_shared.messaging.inbox import EventConsumer
from awardpath_shared.messaging.inprocess import InProcessTransport
from awardpath_shared.messaging.kafka_dead_letters import DLQ_HEADERS
from awardpath_shared.messaging.kafka_topics import DEAD_LETTER_SUFFIX
from awardpath_shared.settings import ServiceSettings

# Which service records each event in its outbox.
PRODUCERS: dict[str, tuple[type[Event], ...]] = {
    "submission": (
        SubmissionSubmitted,
        SubmissionResubmitted,
        SubmissionStatusChanged,
        SubmissionWithdrawn,
        FeedbackRecorded,
        RecipientIdentified,
    ),
    "assessment": (AssessmentAssigned, AssessmentCompleted),
    "award": (MicroCredentialPublished, AwardDecided, AwardGranted, CredentialIssued, CredentialRevoked),
}
DEAD_LETTER_PATTERN = f"<topic>{DEAD_LETTER_SUFFIX}"
KAFKA_BINDING_VERSION = "0.5.0"
SCHEMA_REF = "#/components/schemas/{model}"
# Never connected to: building a runtime only to read its consumer's group and handler map.
UNUSED_DATABASE_URL = "postgresql+asyncpg://asyncapi@127.0.0.1/unused"

CLOUDEVENT_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0, Kafka protocol binding, binary content mode: every context "
    "attribute is a `ce_` header, the event data is the record value.",
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "content-type"],
    "properties": {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {"type": "string", "description": "Unique per event (the outbox row id): consumers drop repeats."},
        "ce_source": {"type": "string", "description": "`/awardpath/<producing service>`."},
        "ce_type": {"type": "string", "description": "`<event name>.v<version>`."},
        "ce_subject": {"type": "string", "description": "The submission (or catalog entry) id; also the record key."},
        "ce_time": {"type": "string", "format": "date-time"},
        "content-type": {"type": "string", "const": "application/json"},
    },
}


def consumer_of(service: str) -> EventConsumer[Any]:
    """The service's event consumer, wired as every process wires it."""
    entry = SERVICES[service]
    settings = entry.settings(database_url=UNUSED_DATABASE_URL)
    return entry.build_runtime(settings, InProcessTransport(RetryPolicy.of(settings))).consumer


def producer_of(event_class: type[Event]) -> str:
    (service,) = [name for name, events in PRODUCERS.items() if event_class in events]
    return service


def topics() -> list[str]:
    return list(dict.fromkeys(event_class.topic for event_class in EVENT_TYPES.values()))


def events_on(topic: str) -> list[type[Event]]:
    return [event_class for event_class in EVENT_TYPES.values() if event_class.topic == topic]


def consumers_of(event_class: type[Event], consumers: dict[str, EventConsumer[Any]]) -> list[str]:
    return [name for name, consumer in consumers.items() if consumer.wants(event_class.event_type())]


def summary_of(event_class: type[Event]) -> str:
    return " ".join((event_class.__doc__ or "").split())


def setting(name: str) -> str:
    """A transport setting's default and its variable, as the catalogue states them."""
    return f"{ServiceSettings.model_fields[name].default!r} (`AWARDPATH_{name.upper()}`)"


# ---- the AsyncAPI document ---------------------------------------------------------------


def asyncapi_document() -> dict[str, Any]:
    consumers = {name: consumer_of(name) for name in SERVICES}
    _, definitions = models_json_schema(
        [(event_class, "serialization") for event_class in EVENT_TYPES.values()], ref_template=SCHEMA_REF
    )
    schemas = {"CloudEventHeaders": CLOUDEVENT_HEADERS, **dict(sorted(definitions["$defs"].items()))}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Awardpath events",
            "version": "1.0.0",
            "description": "The events the Awardpath services exchange over Kafka. Generated by "
            "`python -m awardpath.asyncapi` from `awardpath_shared.events` and the services' "
            "handler maps; do not edit by hand. Each service consumes in its own consumer group "
            f"`awardpath-<service>`. A message that keeps failing goes to `{DEAD_LETTER_PATTERN}` "
            "with its original headers and the error.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "kafka:9092",
                "protocol": "kafka",
                "description": "The brokers named by `KAFKA_BOOTSTRAP_SERVERS`.",
            }
        },
        "channels": {topic: _channel(topic) for topic in topics()},
        "operations": _operations(consumers),
        "components": {
            "messages": {event_class.event_type(): _message(event_class) for event_class in EVENT_TYPES.values()},
            "schemas": schemas,
        },
    }


def _channel(topic: str) -> dict[str, Any]:
    return {
        "address": topic,
        "title": topic,
        "description": "Key: the event's subject (the submission id, or the micro-credential id for "
        "catalog events), so the events of one submission stay in order.",
        "messages": {
            event_class.event_type(): {"$ref": f"#/components/messages/{event_class.event_type()}"}
            for event_class in events_on(topic)
        },
        "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _message(event_class: type[Event]) -> dict[str, Any]:
    event_type = event_class.event_type()
    return {
        "name": event_type,
        "title": event_class.__name__,
        "summary": summary_of(event_class),
        "contentType": "application/json",
        "headers": {
            "allOf": [
                {"$ref": "#/components/schemas/CloudEventHeaders"},
                {
                    "type": "object",
                    "properties": {
                        "ce_type": {"const": event_type},
                        "ce_source": {"const": f"/awardpath/{producer_of(event_class)}"},
                    },
                },
            ]
        },
        "payload": {"$ref": SCHEMA_REF.format(model=event_class.__name__)},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The event's subject."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _operations(consumers: dict[str, EventConsumer[Any]]) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for service in SERVICES:
        for topic in topics():
            sent = [event_class for event_class in PRODUCERS[service] if event_class.topic == topic]
            if sent:
                operations[f"{service}.sends.{topic}"] = _operation("send", service, topic, sent, None)
            received = [e for e in events_on(topic) if consumers[service].wants(e.event_type())]
            if received:
                operations[f"{service}.receives.{topic}"] = _operation(
                    "receive", service, topic, received, consumers[service].group
                )
    return operations


def _operation(
    action: str, service: str, topic: str, events: Iterable[type[Event]], group: str | None
) -> dict[str, Any]:
    names = ", ".join(f"`{event_class.event_type()}`" for event_class in events)
    operation: dict[str, Any] = {
        "action": action,
        "channel": {"$ref": f"#/channels/{topic}"},
        "summary": f"The {service} service {'publishes' if action == 'send' else 'consumes'} {names}.",
        "messages": [{"$ref": f"#/channels/{topic}/messages/{event_class.event_type()}"} for event_class in events],
    }
    if group is not None:
        operation["bindings"] = {
            "kafka": {"groupId": {"type": "string", "enum": [group]}, "bindingVersion": KAFKA_BINDING_VERSION}
        }
    return operation


def render_asyncapi() -> str:
    return yaml.safe_dump(asyncapi_document(), sort_keys=False, width=100, allow_unicode=True)


# ---- the topic catalogue -----------------------------------------------------------------


def render_topics() -> str:
    consumers = {name: consumer_of(name) for name in SERVICES}
    rows = []
    for topic in topics():
        events = events_on(topic)
        producers = dict.fromkeys(producer_of(event_class) for event_class in events)
        receivers = [consumer.group for consumer in consumers.values() if topic in consumer.topics]
        rows.append(
            f"| `{topic}` | {'<br>'.join(f'`{e.event_type()}`' for e in events)} "
            f"| {', '.join(producers)} | {', '.join(f'`{group}`' for group in receivers) or '-'} "
            f"| `{topic}{DEAD_LETTER_SUFFIX}` |"
        )
    event_rows = [
        f"| `{event_class.event_type()}` | `{event_class.topic}` | {producer_of(event_class)} "
        f"| {', '.join(consumers_of(event_class, consumers)) or '-'} "
        f"| {summary_of(event_class)} |"
        for event_class in EVENT_TYPES.values()
    ]
    return "\n".join(
        [
            "# Topic catalogue",
            "",
            "Generated by `python -m awardpath.asyncapi` from `awardpath_shared.events` and the services'",
            "handler maps (a test fails when this file is stale). The message schemas are in",
            "[asyncapi.yaml](asyncapi.yaml).",
            "",
            "- **Key**: the event's subject: the submission id (the micro-credential id on",
            "  `awardpath.catalog`), so the events of one submission keep their order.",
            f"- **Partitions**: {setting('kafka_topic_partitions')}, replication factor "
            f"{setting('kafka_replication_factor')}: every process creates the topics at startup if they are missing.",
            "- **Names**: as listed; `AWARDPATH_KAFKA_NAMESPACE` (empty by default) prefixes every topic",
            "  and consumer group name, for several environments on one cluster.",
            "- **Value**: the event as JSON; CloudEvents attributes travel as `ce_*` headers",
            "  (binary mode) with `content-type: application/json`.",
            "- **Consumer groups**: one per service, `awardpath-<service>`; replicas of a worker split",
            "  the partitions.",
            f"- **Dead letters**: a message that keeps failing goes to `{DEAD_LETTER_PATTERN}` with its",
            "  original headers plus " + ", ".join(f"`{header}`" for header in DLQ_HEADERS) + ",",
            "  and the partition moves on; `awardpath dead-letters list|replay SERVICE` reads them.",
            "",
            "| topic | events | producers | consumer groups | dead-letter topic |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "| event type | topic | producer | consumers | what |",
            "|---|---|---|---|---|",
            *event_rows,
            "",
        ]
    )


# ---- the command -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m awardpath.asyncapi", description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="directory of the documents")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when stale")
    arguments = parser.parse_args(argv)
    stale = []
    for name, text in (("asyncapi.yaml", render_asyncapi()), ("topics.md", render_topics())):
        path = arguments.docs / name
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path)
        if not arguments.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    for path in stale:
        print(f"{path}: {'stale' if arguments.check else 'written'}")
    return 1 if arguments.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
