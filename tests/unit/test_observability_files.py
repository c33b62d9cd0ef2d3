"""The operator's dashboard and alerts speak of metrics the code exposes.

`deploy/grafana/awardpath.json` and `deploy/prometheus/awardpath-rules.yaml` are checked
against the code: every PromQL expression parses (promql-parser, Prometheus' grammar), and
every metric it names, every label it matches or groups by, and the label values it expects
(`kind`, `outcome`) are ones the services' registries really have. A renamed metric or label
fails here, not as an empty panel or an alert that can never fire.
"""

import ast
import inspect
import json
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import click
import promql_parser
import pytest
import typer
import yaml
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from awardpath import cli
from awardpath.services import SERVICES
from awardpath_award.webhooks.repository import WebhookRepository
from awardpath_shared import metrics as process_metrics
from awardpath_shared.observability import BACKLOG_READ_SECONDS, install_observability
from tests.support import kustomize, prometheus_rule

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "awardpath.json"
PROMTOOL = ROOT / ".tools" / "bin" / "promtool"
RULES = ROOT / "deploy" / "prometheus" / "awardpath-rules.yaml"
# promtool's unit tests of the rules: series in, alerts (labels and annotations) out.
RULE_TESTS = ROOT / "deploy" / "prometheus" / "awardpath-rules.test.yaml"
README = ROOT / "README.md"
DEPLOY_README = ROOT / "deploy" / "README.md"
K8S_DIR = ROOT / "deploy" / "k8s"
# The optional component that has the Prometheus Operator scrape and alert.
MONITORING = "monitoring"
CODE_DIRECTORIES = [ROOT / "src", ROOT / "shared" / "src", *sorted((ROOT / "services").glob("*/src"))]
METRIC_CLASSES = {"Counter", "Gauge", "Histogram", "Summary"}
# The series each metric type exposes, after its name (prometheus_client, text format).
SUFFIXES = {
    "Counter": ("_total", "_created"),
    "Gauge": ("",),
    "Histogram": ("_bucket", "_sum", "_count", "_created"),
    "Summary": ("", "_sum", "_count", "_created"),
}
# Labels Prometheus gives every series of a target: its own, the Prometheus Operator's, and
# `component` (api or worker), which the monitoring component's monitors add.
TARGET_LABELS = {"job", "instance", "namespace", "pod", "container", "endpoint", "service", "component"}
# Prometheus' own series of each scrape (https://prometheus.io/docs/concepts/jobs_instances/).
SCRAPE_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
# Grafana's variables an expression may use besides the dashboard's own.
GRAFANA_VARIABLES = {"__rate_interval", "__interval", "__range"}
# Label values an expression may match exactly, and where the code says them.
LABEL_VALUE_SOURCES = {
    ("awardpath_pending_work", "kind"): WebhookRepository.delivery_backlog,
    ("awardpath_handler_duration_seconds", "outcome"): process_metrics._timed,
}


@dataclass(frozen=True)
class Exposed:
    """One metric the code defines: its name, type and label names."""

    name: str
    kind: str
    labels: frozenset[str]

    @property
    def base(self) -> str:
        return self.name.removesuffix("_total") if self.kind == "Counter" else self.name

    def series(self) -> set[str]:
        return {self.base + suffix for suffix in SUFFIXES[self.kind]}


# ---- what the code exposes -------------------------------------------------------------


def defined_metrics() -> list[Exposed]:
    """Every prometheus_client metric constructed in the code, read from its source: the
    literal name and label names of each `Counter(...)`, `Gauge(...)`, `Histogram(...)`."""
    found = []
    for directory in CODE_DIRECTORIES:
        for path in directory.rglob("*.py"):
            tree = ast.parse(path.read_text())
            imported = {
                alias.asname or alias.name
                for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module == "prometheus_client"
                for alias in node.names
                if alias.name in METRIC_CLASSES
            }
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in imported:
                    arguments = {**dict(enumerate(node.args)), **{k.arg: k.value for k in node.keywords}}
                    name, labels = (
                        arguments.get(0, arguments.get("name")),
                        arguments.get(2, arguments.get("labelnames")),
                    )
                    assert isinstance(name, ast.Constant), f"{path}:{node.lineno}: a metric named by a literal"
                    assert isinstance(labels, ast.List | ast.Tuple), f"{path}:{node.lineno}: labels given as a list"
                    found.append(
                        Exposed(name.value, node.func.id, frozenset(ast.literal_eval(label) for label in labels.elts))
                    )
    return found


def registered_families() -> set[str]:
    """The metric families the processes really register: an API's registry (requests,
    latency, backlog) and the process registry (handlers, dead letters, relay)."""
    app = FastAPI()
    install_observability(app, "submission")
    registries: list[CollectorRegistry] = [app.state.metrics_registry, process_metrics.PROCESS_REGISTRY]
    return {family.name for registry in registries for family in registry.collect()}


@cache
def exposed() -> dict[str, Exposed]:
    """{series name: its metric}, every series the code can expose."""
    metrics = defined_metrics()
    return {series: metric for metric in metrics for series in metric.series()}


def test_the_source_reading_finds_every_registered_metric():
    """The source is read to know label names; the registries say which metrics exist, so a
    metric defined in a way the reading misses fails here."""
    assert {metric.base for metric in exposed().values()} >= registered_families()
    for metric in exposed().values():
        assert "service" in metric.labels, f"{metric.name}: every series carries `service`"


def test_the_readme_lists_exactly_the_exposed_metrics():
    table = README.read_text().split("| metric | what |", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r"`((?:awardpath|http)_\w+)", table))
    assert listed == {metric.name for metric in exposed().values()}


# ---- reading the files -------------------------------------------------------------------


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def rules() -> dict[str, Any]:
    return yaml.safe_load(RULES.read_text())


def dashboard_panels() -> list[dict[str, Any]]:
    panels = []
    for panel in dashboard()["panels"]:
        panels += [panel, *panel.get("panels", [])]
    return panels


def dashboard_expressions() -> list[tuple[str, str]]:
    """(where, PromQL) of every query of the dashboard: panels and the `service` variable."""
    found = [
        (f"panel {panel['id']} {panel['title']!r} {target['refId']}", target["expr"])
        for panel in dashboard_panels()
        for target in panel.get("targets", [])
    ]
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]["query"]
            call = re.fullmatch(r"label_values\((?P<expr>.+), *(?P<label>\w+)\)", query)
            assert call, f"variable {variable['name']}: {query}"
            found.append((f"variable {variable['name']}", f"group by ({call['label']}) ({call['expr']})"))
    return found


def all_rules() -> list[dict[str, Any]]:
    return [rule for group in rules()["groups"] for rule in group["rules"]]


def recorded() -> set[str]:
    return {rule["record"] for rule in all_rules() if "record" in rule}


def rule_expressions() -> list[tuple[str, str]]:
    return [(rule.get("alert") or rule["record"], rule["expr"]) for rule in all_rules()]


def as_promql(expression: str) -> str:
    """A dashboard query as Prometheus gets it: Grafana's range variables become durations
    (the dashboard's own variables sit in label values, which parse as they are)."""
    used = set(re.findall(r"\$\{?(\w+)", expression))
    known = {variable["name"] for variable in dashboard()["templating"]["list"]} | GRAFANA_VARIABLES
    assert used <= known, f"unknown variables {sorted(used - known)} in {expression}"
    return re.sub(r"\$__(rate_interval|interval|range)\b", "5m", expression)


@dataclass
class Use:
    """What an expression asks of the metrics: selectors and the labels it groups by."""

    selectors: list[promql_parser.VectorSelector]
    grouped_by: set[str]


def uses(expression: str) -> Use:
    use = Use([], set())

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            use.selectors.append(node)
        elif isinstance(node, promql_parser.AggregateExpr) and node.modifier is not None:
            use.grouped_by |= set(node.modifier.labels)
        elif isinstance(node, promql_parser.BinaryExpr) and node.modifier is not None:
            use.grouped_by |= set(node.modifier.group_labels or [])
            if node.modifier.matching is not None:
                use.grouped_by |= set(node.modifier.matching.labels)

    promql_parser.walk(promql_parser.parse(expression), pre_visit=visit)
    return use


def every_expression() -> list[Any]:
    found = [(f"dashboard {where}", as_promql(expression)) for where, expression in dashboard_expressions()]
    found += [(f"rules {where}", expression) for where, expression in rule_expressions()]
    return [pytest.param(expression, id=where) for where, expression in found]


# ---- every expression ----------------------------------------------------------------------


@pytest.mark.parametrize("expression", every_expression())
def test_every_expression_parses_and_names_only_exposed_metrics_and_labels(expression):
    use = uses(expression)  # raises ValueError with the parser's message on a syntax error
    assert use.selectors, f"no metric in {expression}"
    known_labels = TARGET_LABELS | {"le", *(label for metric in exposed().values() for label in metric.labels)}
    for selector in use.selectors:
        name = selector.name
        assert name in exposed() or name in recorded() or name in SCRAPE_SERIES, (
            f"{name}: the code exposes no such metric"
        )
        matched = {matcher.name for matcher in selector.matchers.matchers}
        if name in exposed():
            labels = exposed()[name].labels | TARGET_LABELS | ({"le"} if name.endswith("_bucket") else set())
            assert matched <= labels, f"{name} has no label {sorted(matched - labels)}"
            for matcher in selector.matchers.matchers:
                if (source := LABEL_VALUE_SOURCES.get((exposed()[name].name, matcher.name))) is not None:
                    assert_value_in_code(matcher, inspect.getsource(source))
        else:
            assert matched <= known_labels, f"{name}: {sorted(matched - known_labels)}"
    assert use.grouped_by <= known_labels, f"grouped by labels no metric has: {sorted(use.grouped_by - known_labels)}"


def assert_value_in_code(matcher: promql_parser.Matcher, source: str) -> None:
    """An exact value is a literal of the code that sets it; a regex matches at least one."""
    literals = set(re.findall(r"\"(\w+)\"", source))
    if matcher.op == promql_parser.MatchOp.Equal:
        assert matcher.value in literals, f"{matcher.name}={matcher.value!r} is never set (the code sets {literals})"
    elif matcher.op == promql_parser.MatchOp.Re:
        assert any(re.fullmatch(matcher.value, literal) for literal in literals), (matcher.name, matcher.value)


def test_a_syntax_error_is_caught():
    with pytest.raises(ValueError):
        uses("sum(rate(http_requests_total[5m])")


# ---- the dashboard -------------------------------------------------------------------------


def test_the_dashboard_is_importable():
    board = dashboard()
    assert board["schemaVersion"] >= 39  # Grafana 10.4 and later
    assert board["uid"] and board["title"]
    variables = {variable["name"]: variable for variable in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert variables["service"]["type"] == "query" and variables["service"]["includeAll"]
    source = {"type": "prometheus", "uid": "${datasource}"}
    for panel in dashboard_panels():
        if panel["type"] != "row":
            assert panel["datasource"] == source, panel["title"]
            assert all(target["datasource"] == source for target in panel["targets"]), panel["title"]
            refs = [target["refId"] for target in panel["targets"]]
            assert len(refs) == len(set(refs)), panel["title"]


def test_dashboard_panels_have_unique_ids_and_do_not_overlap():
    panels = dashboard_panels()
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    cells: dict[tuple[int, int], str] = {}
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']!r} overlaps {cells[(x, y)]!r}"
                cells[(x, y)] = panel["title"]


def test_the_dashboard_shows_intake_path_backlog_and_errors():
    rows = [panel["title"].split(":")[0].lower() for panel in dashboard()["panels"] if panel["type"] == "row"]
    assert rows == ["intake", "the path", "backlog", "errors"]
    shown = {
        selector.name for _, expression in dashboard_expressions() for selector in uses(as_promql(expression)).selectors
    }
    # Every metric the code exposes is on it.
    assert {metric.name for metric in exposed().values()} <= {exposed()[name].name for name in shown}


def test_every_dashboard_panel_filters_by_the_service_variable():
    for where, expression in dashboard_expressions():
        if where.startswith("panel"):
            for selector in uses(as_promql(expression)).selectors:
                assert ("service", "$service") in {(m.name, m.value) for m in selector.matchers.matchers}, where


# ---- the rules ------------------------------------------------------------------------------


def test_every_alert_says_how_bad_for_how_long_what_and_what_to_do():
    alerts = [rule for rule in all_rules() if "alert" in rule]
    assert alerts
    for rule in alerts:
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert {"summary", "description", "runbook"} <= set(rule["annotations"]), rule["alert"]
    names = [rule["alert"] for rule in alerts]
    assert len(names) == len(set(names))


def test_the_alerts_cover_the_path():
    """A stuck relay, growing lag, dead letters and dead outbox rows, failing webhooks, API
    errors, a process down: each watched by an alert on its metric."""
    watched = {selector.name for rule in all_rules() if "alert" in rule for selector in uses(rule["expr"]).selectors}
    watched |= {
        selector.name
        for rule in all_rules()
        if rule.get("record") in watched
        for selector in uses(rule["expr"]).selectors
    }
    assert {
        "awardpath_outbox_oldest_unsent_age_seconds",
        "awardpath_consumer_lag_messages",
        "awardpath_dead_letters_total",
        "awardpath_outbox_dead_rows",
        "awardpath_pending_work",
        "http_requests_total",
        "up",
    } <= watched


def test_runbooks_name_commands_the_cli_has():
    commands = set(re.findall(r"`awardpath ([a-z-]+) ([a-z-]+)", RULES.read_text()))
    assert {("dead-letters", "list"), ("dead-letters", "replay")} <= commands
    group = typer.main.get_command(cli.app)
    root = click.Context(group, info_name="awardpath")
    for verb, argument in commands:
        command = group.get_command(root, verb)
        assert command is not None, f"`awardpath {verb}` is not a command"
        if isinstance(command, click.Group):
            assert argument in command.list_commands(root), f"`awardpath {verb} {argument}` is not a command"


def test_promtool_accepts_the_rules_and_they_fire_as_their_unit_tests_expect():
    """Prometheus' own checks: the rule file loads (expressions and annotation templates),
    and each alert fires, or stays quiet, on the series of awardpath-rules.test.yaml.
    `make install` unpacks promtool into .tools/bin."""
    for command in (["check", "rules", str(RULES)], ["test", "rules", str(RULE_TESTS)]):
        done = subprocess.run([str(PROMTOOL), *command], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_rule_unit_tests_test_every_alert():
    tested = {
        case["alertname"]
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case["exp_alerts"]
    }
    assert tested == {rule["alert"] for rule in all_rules() if "alert" in rule}


def test_recording_rules_are_named_by_convention_and_used():
    used = {selector.name for _, expression in rule_expressions() for selector in uses(expression).selectors}
    for name in recorded():
        assert re.fullmatch(r"awardpath:\w+:\w+", name), name  # level:metric:operations
        assert name in used, f"{name} is recorded and never used"


# ---- kubernetes: the optional monitoring component -------------------------------------------


@cache
def with_monitoring() -> list[dict[str, Any]]:
    return kustomize.render(K8S_DIR, (MONITORING,))


def one(kind: str) -> dict[str, Any]:
    (found,) = [doc for doc in with_monitoring() if doc["kind"] == kind]
    return found


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels, matchExpressions with In) applied to labels."""
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", expression
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return selector.get("matchLabels", {}).items() <= labels.items()


def relabelled(relabelings: list[dict[str, Any]], name: str) -> dict[str, str]:
    """The target labels the relabelings give a target whose app.kubernetes.io/name is `name`."""
    labels = {}
    for step in relabelings:
        assert step["action"] == "replace" and len(step["sourceLabels"]) == 1, step
        assert step["sourceLabels"][0].endswith("_label_app_kubernetes_io_name"), step
        match = re.fullmatch(step["regex"], name)
        assert match, f"{step['regex']} does not match {name}"
        labels[step["targetLabel"]] = match.expand(step["replacement"].replace("$", "\\"))
    return labels


def test_the_monitoring_component_is_optional():
    """The Prometheus Operator's kinds exist only where it is installed: off by default."""
    base = kustomize.render(K8S_DIR)
    assert not [doc for doc in base if doc["apiVersion"].startswith("monitoring.coreos.com/")]
    kinds = {doc["kind"] for doc in with_monitoring() if doc["apiVersion"] == "monitoring.coreos.com/v1"}
    assert kinds == {"ServiceMonitor", "PodMonitor", "PrometheusRule"}


def test_the_prometheus_rule_holds_exactly_the_rule_files_groups():
    rule = one("PrometheusRule")
    assert rule["spec"]["groups"] == rules()["groups"], (
        "regenerate: .venv/bin/python -m tests.support.prometheus_rule > deploy/k8s/monitoring/prometheus-rule.yaml"
    )
    assert rule == prometheus_rule.prometheus_rule()


def test_the_service_monitor_scrapes_every_api_and_nothing_else():
    monitor = one("ServiceMonitor")
    services = [doc for doc in with_monitoring() if doc["kind"] == "Service"]
    selected = [doc for doc in services if selects(monitor["spec"]["selector"], doc["metadata"]["labels"])]
    assert {doc["metadata"]["name"] for doc in selected} == {f"{name}-api" for name in SERVICES}
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics" and endpoint["honorLabels"] is True
    for service in selected:
        assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}, service["metadata"]["name"]
        name = service["metadata"]["labels"]["app.kubernetes.io/name"]
        assert relabelled(endpoint["relabelings"], name) == {"service": name.removesuffix("-api"), "component": "api"}


def test_the_pod_monitor_scrapes_every_worker_on_its_ops_port():
    monitor = one("PodMonitor")
    deployments = [doc for doc in with_monitoring() if doc["kind"] == "Deployment"]
    selected = [
        doc
        for doc in deployments
        if selects(monitor["spec"]["selector"], doc["spec"]["template"]["metadata"]["labels"])
    ]
    assert {doc["metadata"]["name"] for doc in selected} == {f"{name}-worker" for name in SERVICES}
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["path"] == "/metrics" and endpoint["honorLabels"] is True
    for deployment in selected:
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert endpoint["port"] in {port["name"] for port in container["ports"]}, deployment["metadata"]["name"]
        assert "0.0.0.0" in container["args"], "the worker's ops port must listen beyond the pod's loopback"
        name = deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
        assert relabelled(endpoint["relabelings"], name) == {
            "service": name.removesuffix("-worker"),
            "component": "worker",
        }


def test_a_scrape_has_time_to_read_the_backlog():
    """A scrape reads the outbox, then the lag, each bounded by BACKLOG_READ_SECONDS."""
    for endpoint in [*one("ServiceMonitor")["spec"]["endpoints"], *one("PodMonitor")["spec"]["podMetricsEndpoints"]]:
        assert int(endpoint["scrapeTimeout"].removesuffix("s")) > 2 * BACKLOG_READ_SECONDS
        assert int(endpoint["interval"].removesuffix("s")) >= int(endpoint["scrapeTimeout"].removesuffix("s"))


# ---- the docs ---------------------------------------------------------------------------------


def test_the_docs_tell_how_to_import_the_dashboard_load_the_rules_and_what_each_alert_means():
    section = " ".join(DEPLOY_README.read_text().split("## Dashboards and alerts", 1)[1].split())
    for path in (DASHBOARD, RULES):
        assert str(path.relative_to(ROOT)) in section, path
    assert f"`{MONITORING}` component" in section
    documented = set(re.findall(r"`(Awardpath\w+)`", section))
    assert documented == {rule["alert"] for rule in all_rules() if "alert" in rule}
    assert "deploy/README.md#dashboards-and-alerts" in README.read_text()
