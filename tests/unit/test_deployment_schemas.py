"""The deployment files are valid against their schemas, offline: docker-compose.yml against
the Compose Specification, every Kubernetes object (with and without the optional components)
against the API of the oldest and newest Kubernetes we support, the KEDA objects against
KEDA's and the Prometheus Operator's CRDs; unknown fields are errors, as with `kubectl apply
--validate=strict`."""

import json
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from jsonschema import Draft7Validator

from tests.support import kustomize

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "tests" / "fixtures" / "schemas"
K8S_DIR = ROOT / "deploy" / "k8s"
# The Kubernetes releases the manifests are written for: the oldest and the newest.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
# Optional parts an operator may enable (each a kustomize component).
COMPONENTS = tuple(path.parent.name for path in K8S_DIR.glob("*/kustomization.yaml") if "Component" in path.read_text())
CRD_SCHEMAS = {
    **{("keda.sh/v1alpha1", kind): f"keda-{kind}-v1alpha1.json" for kind in ("ScaledObject", "TriggerAuthentication")},
    **{
        ("monitoring.coreos.com/v1", kind): f"prometheus-operator-{kind}-v1.json"
        for kind in ("ServiceMonitor", "PodMonitor", "PrometheusRule")
    },
}


def all_k8s_documents() -> list[dict[str, Any]]:
    """Every object the kustomization applies, plus what each optional component adds."""
    base = kustomize.render(K8S_DIR)
    added = [document for component in COMPONENTS for document in kustomize.render(K8S_DIR, (component,))]
    unique = {
        (d["apiVersion"], d["kind"], d["metadata"]["name"], json.dumps(d, sort_keys=True)): d for d in base + added
    }
    return list(unique.values())


def described(document: dict[str, Any]) -> str:
    return f"{document['kind']}/{document['metadata']['name']}"


@cache
def crd_validator(file_name: str) -> Draft7Validator:
    return Draft7Validator(strict(json.loads((SCHEMAS / file_name).read_text())))


def strict(schema: Any) -> Any:
    """A CRD's schema with unknown fields refused where it lists the fields (the API server's
    strict field validation), and left open where it preserves unknown fields."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema.setdefault("additionalProperties", False)
        return schema
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def test_compose_file_follows_the_compose_specification():
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    errors = sorted(
        Draft7Validator(schema).iter_errors(yaml.safe_load((ROOT / "docker-compose.yml").read_text())), key=str
    )
    assert [f"{list(error.absolute_path)}: {error.message}" for error in errors] == []


@pytest.mark.parametrize("document", all_k8s_documents(), ids=described)
def test_every_kubernetes_object_is_valid(document):
    key = (document["apiVersion"], document["kind"])
    if key in CRD_SCHEMAS:
        errors = [
            f"{list(error.absolute_path)}: {error.message}"
            for error in crd_validator(CRD_SCHEMAS[key]).iter_errors(document)
        ]
        assert errors == []
        return
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(document, version, strict=True)


def test_the_validation_would_catch_a_misspelt_field():
    [deployment] = [d for d in kustomize.render(K8S_DIR) if d["kind"] == "Deployment"][:1]
    deployment = json.loads(json.dumps(deployment))
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)
    [scaled] = [d for d in kustomize.render(K8S_DIR) if d["kind"] == "ScaledObject"][:1]
    scaled = json.loads(json.dumps(scaled))
    scaled["spec"]["minReplicaCountt"] = 1
    assert list(crd_validator(CRD_SCHEMAS[("keda.sh/v1alpha1", "ScaledObject")]).iter_errors(scaled))
