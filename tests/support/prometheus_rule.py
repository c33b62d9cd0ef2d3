"""Writes deploy/k8s/monitoring/prometheus-rule.yaml: the PrometheusRule (Prometheus
Operator) holding the groups of deploy/prometheus/awardpath-rules.yaml, the one place rules
are edited. `.venv/bin/python -m tests.support.prometheus_rule > deploy/k8s/monitoring/prometheus-rule.yaml`;
tests/unit/test_observability_files.py checks the two agree."""

import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "awardpath-rules.yaml"
PROMETHEUS_RULE = ROOT / "deploy" / "k8s" / "monitoring" / "prometheus-rule.yaml"
HEADER = """\
# GENERATED from deploy/prometheus/awardpath-rules.yaml: edit that file, then
#   .venv/bin/python -m tests.support.prometheus_rule > deploy/k8s/monitoring/prometheus-rule.yaml
# (tests/unit/test_observability_files.py checks they agree). Your Prometheus must select this
# object: its ruleSelector (a chart's often wants a `release` label: add it in an overlay) and
# ruleNamespaceSelector.
"""


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (expressions) as literal blocks, as they are written by hand."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _string)


def prometheus_rule() -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "awardpath",
            "namespace": "awardpath",
            "labels": {"app.kubernetes.io/part-of": "awardpath"},
        },
        "spec": {"groups": yaml.safe_load(RULES.read_text())["groups"]},
    }


def render() -> str:
    return HEADER + yaml.dump(prometheus_rule(), Dumper=_Dumper, sort_keys=False, width=120)


if __name__ == "__main__":
    sys.stdout.write(render())
