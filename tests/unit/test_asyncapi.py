"""docs/asyncapi.yaml and docs/topics.md say what the code does: every event, its schema, its
topic, who sends it and who receives it."""

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from awardpath import asyncapi
from awardpath.services import SERVICES
from awardpath_shared.events import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return yaml.safe_load((DOCS / "asyncapi.yaml").read_text())


def resolve(document: dict[str, Any], ref: str) -> Any:
    """The node a local `$ref` points at, following references to references."""
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return resolve(document, node["$ref"]) if isinstance(node, dict) and "$ref" in node else node


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in references(value)]
    return []


@pytest.mark.parametrize(
    "name,render", [("asyncapi.yaml", asyncapi.render_asyncapi), ("topics.md", asyncapi.render_topics)]
)
def test_committed_documents_are_what_the_code_generates(name, render):
    assert (DOCS / name).read_text() == render(), f"docs/{name} is stale: run `python -m awardpath.asyncapi`"


def test_check_mode_reports_a_stale_document(tmp_path, capsys):
    assert asyncapi.main(["--docs", str(tmp_path)]) == 0
    assert asyncapi.main(["--docs", str(tmp_path), "--check"]) == 0
    (tmp_path / "topics.md").write_text("edited by hand\n")
    assert asyncapi.main(["--docs", str(tmp_path), "--check"]) == 1
    assert "topics.md: stale" in capsys.readouterr().out


def test_the_document_is_asyncapi_3_and_every_reference_resolves(document):
    assert document["asyncapi"] == "3.0.0"
    for ref in references(document):
        assert resolve(document, ref) is not None, ref
    for _name, schema in document["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("event_type,event_class", list(EVENT_TYPES.items()))
def test_every_event_appears_on_its_topic_with_its_schema_and_headers(document, event_type, event_class):
    message = document["components"]["messages"][event_type]
    channel = document["channels"][event_class.topic]
    assert channel["address"] == event_class.topic
    assert resolve(document, channel["messages"][event_type]["$ref"]) == message

    expected = event_class.model_json_schema(mode="serialization", ref_template=asyncapi.SCHEMA_REF)
    nested = expected.pop("$defs", {})
    assert resolve(document, message["payload"]["$ref"]) == expected
    for name, schema in nested.items():
        assert document["components"]["schemas"][name] == schema

    headers = message["headers"]["allOf"]
    assert resolve(document, headers[0]["$ref"])["required"] == [
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_subject",
        "ce_time",
        "content-type",
    ]
    assert headers[1]["properties"]["ce_type"] == {"const": event_type}


def test_operations_say_which_service_sends_and_which_receives(document):
    sent: dict[str, set[str]] = {name: set() for name in SERVICES}
    received: dict[str, set[str]] = {name: set() for name in SERVICES}
    for operation_id, operation in document["operations"].items():
        service = operation_id.split(".")[0]
        types = {resolve(document, ref["$ref"])["name"] for ref in operation["messages"]}
        (sent if operation["action"] == "send" else received)[service] |= types
        if operation["action"] == "receive":
            assert operation["bindings"]["kafka"]["groupId"]["enum"] == [f"awardpath-{service}"]
    for name in SERVICES:
        assert received[name] == set(asyncapi.consumer_of(name).event_types), name
        assert sent[name] == {event_class.event_type() for event_class in asyncapi.PRODUCERS[name]}, name
    assert set().union(*sent.values()) == set(EVENT_TYPES)


def names_used_in_code(path: Path) -> set[str]:
    """Names a module uses as values: not in imports, not in type annotations."""
    tree = ast.parse(path.read_text())
    in_annotations = {
        id(inner)
        for node in ast.walk(tree)
        for annotation in (getattr(node, "annotation", None), getattr(node, "returns", None))
        if annotation is not None
        for inner in ast.walk(annotation)
    }
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and id(node) not in in_annotations}


@pytest.mark.parametrize("event_class", list(EVENT_TYPES.values()), ids=list(EVENT_TYPES))
def test_the_declared_producer_is_the_only_service_that_creates_the_event(event_class):
    # Outside the handler map (consumers.py), a service's code names an event class to make one.
    creators = {
        name
        for name in SERVICES
        for path in (ROOT / "services" / name).rglob("*.py")
        if path.name != "consumers.py" and event_class.__name__ in names_used_in_code(path)
    }
    assert creators == {asyncapi.producer_of(event_class)}
