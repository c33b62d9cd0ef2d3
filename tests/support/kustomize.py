"""`kubectl kustomize`, offline and in Python, for what deploy/k8s uses of it (resources,
components with JSON 6902 `add` patches, images), and the Secrets deploy/README.md tells the
operator to create. A kustomization using anything else fails here, rather than be read
wrong; `test_deployment_files` compares this with the real kustomize where kubectl exists."""

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

RENDERED_KEYS = {"apiVersion", "kind", "resources", "components", "patches", "images"}


def render(directory: Path, components: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The documents `kubectl kustomize directory` prints, with `components` added to the
    kustomization's own."""
    kustomization = _kustomization(directory, "Kustomization")
    documents = _resources(directory, kustomization)
    for component in [*kustomization.get("components", []), *components]:
        component_directory = directory / component
        spec = _kustomization(component_directory, "Component")
        documents += _resources(component_directory, spec)
        _patch(documents, spec.get("patches", []))
    _patch(documents, kustomization.get("patches", []))
    for image in kustomization.get("images", []):
        for container in _containers(documents):
            name = re.split(r"[:@]", container["image"], maxsplit=1)[0]
            if name == image["name"]:
                container["image"] = f"{image.get('newName', name)}:{image['newTag']}"
    return documents


def _kustomization(directory: Path, kind: str) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((directory / "kustomization.yaml").read_text())
    assert spec["kind"] == kind, f"{directory}: a {kind} expected"
    assert set(spec) <= RENDERED_KEYS, f"{directory}: this renderer knows only {sorted(RENDERED_KEYS)}"
    return spec


def _resources(directory: Path, spec: dict[str, Any]) -> list[dict[str, Any]]:
    documents = []
    for resource in spec.get("resources", []):
        path = directory / resource
        if path.is_dir():
            documents += render(path)
        else:
            documents += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return documents


def _patch(documents: list[dict[str, Any]], patches: list[dict[str, Any]]) -> None:
    for patch in patches:
        target = patch["target"]
        matched = [
            doc
            for doc in documents
            if doc["kind"] == target["kind"] and doc["metadata"]["name"] == target.get("name", doc["metadata"]["name"])
        ]
        assert matched, f"patch target {target} matches nothing"
        for doc in matched:
            for operation in yaml.safe_load(patch["patch"]):
                assert operation["op"] == "add", f"this renderer applies `add` only: {operation}"
                *parents, last = [part for part in operation["path"].split("/") if part]
                node: Any = doc
                for part in parents:
                    node = node[int(part)] if isinstance(node, list) else node[part]
                assert not isinstance(node, list), "adding to a list is not rendered here"
                node[last] = operation["value"]


def _containers(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pods = [doc["spec"]["template"]["spec"] for doc in documents if "template" in doc.get("spec", {})]
    return [container for pod in pods for container in pod.get("initContainers", []) + pod["containers"]]


def operator_secrets(readme: Path) -> dict[str, dict[str, str]]:
    """Every `kubectl create secret generic NAME --from-literal=KEY=VALUE ...` (or
    `--from-file=KEY=PATH`) in `readme`: {NAME: {KEY: VALUE as written}}."""
    text = readme.read_text().replace("\\\n", " ")
    secrets: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        if "create secret generic" not in line:
            continue
        words = shlex.split(line, comments=True)
        name = words[words.index("generic") + 1]
        keys = secrets.setdefault(name, {})
        for word in words:
            source = re.match(r"--from-(?:literal|file)=([^=]+)=(.*)", word, re.S)
            if source:
                keys[source.group(1)] = source.group(2)
    return secrets
