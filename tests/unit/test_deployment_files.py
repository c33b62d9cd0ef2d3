"""The deployment files run commands the `awardpath` CLI has, with settings the services read.

`docker-compose.yml` and `deploy/k8s/` are checked against the code itself: the CLI's Typer app,
`SERVICES`, the pydantic-settings classes, the apps' routes and each service's consumer group
and topics. A deployment file that names a command, a variable, a probe path, a consumer
group or a topic the code does not have fails here, not in a cluster.
"""

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click
import pytest
import typer
import yaml
from fastapi.routing import APIRoute
from pydantic import AliasChoices
from sqlalchemy.engine import make_url

from awardpath import cli
from awardpath.services import SERVICES
from awardpath.workspace.app import create_workspace_app
from awardpath.workspace.settings import WorkspaceSettings
from awardpath_shared.messaging.delivery import RetryPolicy
from awardpath_shared.messaging.inprocess import InProcessTransport
from awardpath_shared.runtime import ServiceRuntime
from awardpath_shared.settings import ServiceSettings
from tests.support import kustomize

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
K8S_DIR = ROOT / "deploy" / "k8s"
DEPLOY_README = ROOT / "deploy" / "README.md"
# The optional component that authenticates KEDA's Kafka scaler (TLS and/or SASL).
KAFKA_AUTH = "kafka-auth"
# The optional component that has the Prometheus Operator scrape and alert
# (tests/unit/test_observability_files.py checks what it holds).
MONITORING = "monitoring"
COMPONENTS = (KAFKA_AUTH, MONITORING)
IMAGE = "awardpath"
# Commands whose argument names exactly one service: one process per service and role.
PER_SERVICE_COMMANDS = ("serve", "worker")
# The pages of assessors, issuers and administrators: a client of the APIs, no service.
WORKSPACE_COMMAND = "workspace"
# What the workspace holds of the secrets: the services' token key (it signs each person's
# API tokens) and its own.
WORKSPACE_SECRETS = ("AWARDPATH_JWT_SECRET", "AWARDPATH_WORKSPACE_SESSION_SECRET")
SECRET_VARIABLES = ("AWARDPATH_JWT_SECRET", "AWARDPATH_CONFLICT_HASH_KEY", "AWARDPATH_FILE_LINK_SECRET")
# What an operator exports before `docker compose up`: Compose has no default for any of them.
# The database password has every character a URL would need escaped.
COMPOSE_OPERATOR_ENV = {
    "POSTGRES_PASSWORD": "p@ss/w:rd%41 #1",
    "AWARDPATH_JWT_SECRET": "operator-jwt-secret-7Qm2vX9pL4sT8wK1nB6cR3yH5jD0fG",
    "AWARDPATH_CONFLICT_HASH_KEY": "operator-conflict-hash-key-Zr8Nq3Wt6Ye1Ua4Io7Pb2Lc5",
    "AWARDPATH_FILE_LINK_SECRET": "operator-file-link-secret-Kt5Wp2Xa9Qe4Rb7Ns3Jm8Vd1",
    "AWARDPATH_AWARD_MASTER_KEY": "operator-award-master-key-Hx4Jv9Kc2Md7Ns1Qf6Tg3Wb8",
    "AWARDPATH_AWARD_PUBLIC_URL": "https://awards.operator.example",
    "AWARDPATH_WORKSPACE_SESSION_SECRET": "operator-workspace-session-Pq7Lm2Ns9Kd4Vb1Xc6Zh3",
    "AWARDPATH_WORKSPACE_PUBLIC_URL": "https://workspace.operator.example",
}
# Read by the database driver (asyncpg, like libpq) when the URL names no password.
DRIVER_VARIABLES = ("PGPASSWORD",)
# Kubernetes keeps evidence files in S3 (pods on several nodes share no directory); its keys
# are secrets too (a pod role may replace them, deploy/README.md).
S3_CREDENTIAL_VARIABLES = ("AWARDPATH_S3_ACCESS_KEY_ID", "AWARDPATH_S3_SECRET_ACCESS_KEY")
# Every secret a Kubernetes pod gets, from a Secret the operator creates (deploy/README.md).
K8S_SECRET_VARIABLES = (*SECRET_VARIABLES, *DRIVER_VARIABLES, *S3_CREDENTIAL_VARIABLES)
# What the `restricted` Pod Security Standard lets a pod mount.
RESTRICTED_VOLUME_TYPES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim"}
RESTRICTED_VOLUME_TYPES |= {"projected", "secret"}
# Seals the issuer signing keys: the award service's processes hold it, no other.
AWARD_SECRET = "AWARDPATH_AWARD_MASTER_KEY"
# Compose: the one-shot that gives the evidence volume to the image's user (its entrypoint is
# not `awardpath`).
VOLUME_OWNER = "evidence-files-owner"
# Where a running service needs an explicit value (the defaults are for a laptop).
REQUIRED_VARIABLES = (
    "AWARDPATH_TRANSPORT",
    "KAFKA_BOOTSTRAP_SERVERS",
    "AWARDPATH_DATABASE_URL",
    *SECRET_VARIABLES,
)


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


@dataclass
class Container:
    """One process an awardpath deployment file starts: `awardpath *args` with `env`."""

    where: str
    args: list[str]
    env: dict[str, str]
    probes: dict[str, tuple[str, int]] = field(default_factory=dict)  # kind -> (path, port)

    @property
    def verb(self) -> str:
        return self.args[0]

    @property
    def target(self) -> str:
        return self.args[1]


# ---- reading the files -----------------------------------------------------------------


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@cache
def k8s_documents(components: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """What `kubectl apply -k deploy/k8s` applies (with `components` enabled); read once, never
    changed by a test."""
    return kustomize.render(K8S_DIR, components)


def k8s_image() -> str:
    """The image every Awardpath container runs once kustomize named it."""
    (image,) = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())["images"]
    assert image["name"] == IMAGE
    return f"{image['newName']}:{image['newTag']}"


@cache
def operator_secrets() -> dict[str, dict[str, str]]:
    """The Secrets deploy/README.md has the operator create: {name: {key: value}}, a value the
    shell would make (`"$(openssl rand -base64 48)"`, `"$DATABASE_PASSWORD"`) made up here."""
    return {
        name: {
            key: f"operator-{key}-Yd3Kq8Vn1Zt6Rw4Xc9Lb2Mf7" if "$" in value else value for key, value in keys.items()
        }
        for name, keys in kustomize.operator_secrets(DEPLOY_README).items()
    }


def k8s_of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for doc in k8s_documents() if doc["kind"] == kind]


def k8s_named(kind: str, name: str) -> dict[str, Any]:
    (found,) = [doc for doc in k8s_of_kind(kind) if doc["metadata"]["name"] == name]
    return found


COMPOSE_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z0-9_]+)(?:(?P<operator>:?[-?])(?P<argument>[^}]*))?\}")


def interpolate(value: Any, env: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}` as it runs with `env`."""

    def substitute(match: re.Match[str]) -> str:
        name, operator, argument = match.group("name", "operator", "argument")
        if env.get(name) or (name in env and operator in ("-", "?")):
            return env[name]
        if operator in (":?", "?"):
            raise LookupError(f"compose refuses to start: {argument}")
        return argument or ""

    return COMPOSE_VARIABLE.sub(substitute, str(value))


def compose_containers() -> list[Container]:
    containers = []
    for name, service in compose()["services"].items():
        if not service.get("image", "").startswith(f"{IMAGE}:") or name == VOLUME_OWNER:
            continue
        env = {key: interpolate(value, COMPOSE_OPERATOR_ENV) for key, value in service.get("environment", {}).items()}
        probes = {}
        if "healthcheck" in service:
            url = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/]+)", " ".join(service["healthcheck"]["test"]))
            assert url, f"compose {name}: the healthcheck calls no local URL"
            probes["healthcheck"] = (url.group(2), int(url.group(1)))
        containers.append(Container(f"compose:{name}", list(service["command"]), env, probes))
    return containers


def k8s_pod_specs() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"k8s:{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"])
        for doc in k8s_documents()
        if "template" in doc.get("spec", {})
    ]


def k8s_env_from(container: dict[str, Any]) -> dict[str, str]:
    """The container's environment: the ConfigMap's data, then each Secret's keys as the
    operator creates them (a later source wins, as in Kubernetes)."""
    env = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env |= k8s_named("ConfigMap", source["configMapRef"]["name"])["data"]
        if "secretRef" in source:
            env |= operator_secrets()[source["secretRef"]["name"]]
    for item in container.get("env", []):
        if "valueFrom" in item:
            reference = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = operator_secrets()[reference["name"]][reference["key"]]
        else:
            env[item["name"]] = item["value"]
    return env


def k8s_containers() -> list[Container]:
    containers = []
    for where, pod in k8s_pod_specs():
        for container in pod.get("initContainers", []) + pod["containers"]:
            assert container["image"] == k8s_image(), f"{where}: runs {container['image']}"
            assert "command" not in container, f"{where}: the image's entrypoint is `awardpath`; give args only"
            ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
            probes = {
                kind: (container[kind]["httpGet"]["path"], ports[container[kind]["httpGet"]["port"]])
                for kind in ("livenessProbe", "readinessProbe", "startupProbe")
                if kind in container
            }
            containers.append(Container(where, list(container["args"]), k8s_env_from(container), probes))
    return containers


def all_containers() -> list[Container]:
    return compose_containers() + k8s_containers()


def service_containers() -> list[Container]:
    """The containers of the services (every one but the workspace's)."""
    return [container for container in all_containers() if container.verb != WORKSPACE_COMMAND]


def workspace_containers() -> list[Container]:
    return [container for container in all_containers() if container.verb == WORKSPACE_COMMAND]


def by_where(containers: list[Container]) -> list[Any]:
    return [pytest.param(container, id=container.where) for container in containers]


# ---- what the code has -----------------------------------------------------------------


def cli_command(args: list[str]) -> tuple[click.Command, click.Context]:
    """Parse `awardpath *args` as the CLI would, without running it."""
    group = typer.main.get_command(cli.app)
    root = click.Context(group, info_name="awardpath")
    command = group.get_command(root, args[0])
    assert command is not None, (
        f"`awardpath {args[0]}` is not a command of the CLI (it has: {', '.join(sorted(group.list_commands(root)))})"
    )
    return command, command.make_context(args[0], args[1:], parent=root)


def settings_variables() -> set[str]:
    """Every environment variable a service's settings class reads (upper case)."""
    classes = {ServiceSettings, WorkspaceSettings, *(entry.settings for entry in SERVICES.values())}
    names = set()
    for settings_class in classes:
        prefix = settings_class.model_config.get("env_prefix", "")
        for name, info in settings_class.model_fields.items():
            alias = info.validation_alias
            if isinstance(alias, AliasChoices):
                names |= {choice for choice in alias.choices if isinstance(choice, str)}
            elif isinstance(alias, str):
                names.add(alias)
            else:
                names.add(f"{prefix}{name}")
    return {name.upper() for name in names}


def settings_in(
    settings_class: Callable[[], SettingsT], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> SettingsT:
    """The settings a process builds inside a container with exactly `env`."""
    for name in list(os.environ):
        if name.upper().startswith(("AWARDPATH_", "KAFKA_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    return settings_class()


def runtime_of(name: str) -> ServiceRuntime:
    """The service wired as a process wires it (no connection is made)."""
    entry = SERVICES[name]
    settings = entry.settings(database_url="postgresql+asyncpg://deploy-check@127.0.0.1/unused")
    return entry.build_runtime(settings, InProcessTransport(RetryPolicy.of(settings)))


def routes_of(name: str) -> set[str]:
    return set(SERVICES[name].create_app(runtime_of(name)).openapi()["paths"])


# ---- every process -----------------------------------------------------------------------


@pytest.mark.parametrize("container", by_where(service_containers()))
def test_every_container_runs_a_command_of_the_cli_on_a_real_service(container):
    command, context = cli_command(container.args)
    arguments = [param for param in command.params if param.param_type_name == "argument"]
    assert arguments, f"{container.where}: `awardpath {container.verb}` takes no service argument"
    service = context.params[arguments[0].name]
    allowed = set(SERVICES) if container.verb in PER_SERVICE_COMMANDS else {*SERVICES, "all"}
    assert service in allowed, f"{container.where}: {service!r} is not one of {sorted(allowed)}"


@pytest.mark.parametrize("container", by_where(service_containers()))
def test_every_container_sets_only_variables_the_settings_read(container):
    unknown = {
        name
        for name in container.env
        if name.upper().startswith(("AWARDPATH_", "KAFKA_")) and name.upper() not in settings_variables()
    }
    assert not unknown, f"{container.where}: no settings class reads {sorted(unknown)}"
    missing = set(REQUIRED_VARIABLES) - set(container.env)
    assert not missing, f"{container.where}: must set {sorted(missing)}"
    others = {name for name in container.env if name.upper().startswith("PG")} - set(DRIVER_VARIABLES)
    assert not others, f"{container.where}: the driver is given only {DRIVER_VARIABLES}, not {sorted(others)}"


@pytest.mark.parametrize("container", by_where(service_containers()))
def test_every_container_gets_kafka_postgresql_and_secrets(container, monkeypatch):
    services = list(SERVICES) if container.target == "all" else [container.target]
    for name in services:
        settings = settings_in(SERVICES[name].settings, container.env, monkeypatch)
        assert settings.transport == "kafka", container.where
        assert settings.database_url.startswith("postgresql+asyncpg://"), container.where
    if container.where.startswith("compose:"):
        for name in SECRET_VARIABLES:
            assert container.env[name] == COMPOSE_OPERATOR_ENV[name], f"{container.where}: {name} is the operator's"


@pytest.mark.parametrize("container", by_where([c for c in all_containers() if c.verb in PER_SERVICE_COMMANDS]))
def test_only_the_award_service_holds_the_award_master_key(container):
    if container.target != "award":
        assert AWARD_SECRET not in container.env, container.where
    elif container.where.startswith("compose:"):
        assert container.env[AWARD_SECRET] == COMPOSE_OPERATOR_ENV[AWARD_SECRET], container.where
    else:
        assert AWARD_SECRET in operator_secrets()["awardpath-award-secrets"], container.where


def test_each_service_has_an_api_and_a_worker_beside_the_workspace_and_compose_migrates_once_first():
    commands = sorted((container.verb, container.target) for container in compose_containers())
    processes = [(verb, name) for verb in PER_SERVICE_COMMANDS for name in SERVICES]
    assert commands == sorted([("migrate", "all"), *processes, (WORKSPACE_COMMAND, "--host")])


def test_every_kubernetes_pod_migrates_its_service_before_it_starts():
    """An init container per pod: a new image migrates before it serves, on every rollout;
    nothing (a Job) has to be ordered or re-applied by hand."""
    assert not k8s_of_kind("Job")
    started = []
    for deployment in k8s_of_kind("Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        if pod["containers"][0]["args"][0] == WORKSPACE_COMMAND:
            assert "initContainers" not in pod, "the workspace owns no schema"
            continue
        (init,) = pod["initContainers"]
        (main,) = pod["containers"]
        assert main["args"][0] in PER_SERVICE_COMMANDS and "--no-migrate" in main["args"], deployment["metadata"]
        assert init["args"] == ["migrate", main["args"][1]], deployment["metadata"]["name"]
        # Settings the migration reads are those of the process it precedes.
        assert init["envFrom"] == main["envFrom"], deployment["metadata"]["name"]
        started.append((main["args"][0], main["args"][1]))
    assert sorted(started) == sorted((verb, name) for verb in PER_SERVICE_COMMANDS for name in SERVICES)


@pytest.mark.parametrize("container", by_where([c for c in all_containers() if c.verb == "serve"]))
def test_api_probes_call_real_health_paths_on_the_service_port(container, monkeypatch):
    settings = settings_in(SERVICES[container.target].settings, container.env, monkeypatch)
    routes = routes_of(container.target)
    expected_paths = {
        "healthcheck": "/health/ready",
        "readinessProbe": "/health/ready",
        "livenessProbe": "/health/live",
        "startupProbe": "/health/live",
    }
    assert {"healthcheck"} <= set(container.probes) or {"livenessProbe", "readinessProbe"} <= set(container.probes)
    for kind, (path, port) in container.probes.items():
        assert path == expected_paths[kind] and path in routes, (container.where, kind, path)
        assert port == settings.port, (container.where, kind, port)


# ---- the workspaces ------------------------------------------------------------------------


def test_compose_and_kubernetes_each_run_the_workspaces():
    assert sorted(container.where.split(":")[0] for container in workspace_containers()) == ["compose", "k8s"]


@pytest.mark.parametrize("container", by_where(workspace_containers()))
def test_the_workspace_is_fit_for_production_and_holds_only_its_own_secrets(container, monkeypatch):
    """It signs each person's API tokens with the key the services verify them with; no
    database password, storage key or award master key is in its reach."""
    cli_command(container.args)
    unknown = {name for name in container.env if name.upper().startswith("AWARDPATH_")} - settings_variables()
    assert not unknown, f"{container.where}: no settings class reads {sorted(unknown)}"
    settings = settings_in(WorkspaceSettings, container.env, monkeypatch)
    assert settings.unsafe_settings() == [], container.where
    held = set(container.env) & {*K8S_SECRET_VARIABLES, AWARD_SECRET, *WORKSPACE_SECRETS}
    assert held == set(WORKSPACE_SECRETS), f"{container.where}: holds {sorted(held)}"
    same_file = [other for other in service_containers() if other.where.split(":")[0] == container.where.split(":")[0]]
    assert {other.env["AWARDPATH_JWT_SECRET"] for other in same_file} == {settings.jwt_secret}
    for other in same_file:  # its tokens name the issuer and audience every service verifies
        verifies = settings_in(ServiceSettings, other.env, monkeypatch)
        assert (verifies.jwt_issuer, verifies.jwt_audience) == (settings.jwt_issuer, settings.jwt_audience), other.where
    routes = {route.path for route in create_workspace_app(settings).routes if isinstance(route, APIRoute)}
    assert container.probes, f"{container.where}: no health check"
    for kind, (path, port) in container.probes.items():
        assert path in routes and port == settings.port, (container.where, kind, path, port)


@pytest.mark.parametrize("container", by_where(workspace_containers()))
def test_the_workspace_calls_each_api_where_that_api_listens(container, monkeypatch):
    settings = settings_in(WorkspaceSettings, container.env, monkeypatch)
    for name in SERVICES:
        url = urlsplit(getattr(settings, f"{name}_url"))
        assert url.scheme == "http" and url.path in ("", "/"), (container.where, name)
        if container.where.startswith("compose:"):
            (api,) = [c for c in compose_containers() if c.where == f"compose:{url.hostname}"]
            listens = settings_in(SERVICES[name].settings, api.env, monkeypatch).port
        else:
            service = k8s_named("Service", str(url.hostname))
            deployment = k8s_named("Deployment", service["spec"]["selector"]["app.kubernetes.io/name"])
            where = f"k8s:Deployment/{deployment['metadata']['name']}"
            (api,) = [c for c in k8s_containers() if c.where == where and c.verb == "serve"]
            (listens,) = [port["port"] for port in service["spec"]["ports"]]
        assert api.args[:2] == ["serve", name], (container.where, name, api.where)
        assert (url.port or 80) == listens, (container.where, name)


def test_compose_starts_the_workspace_once_the_apis_answer():
    workspace = compose()["services"][WORKSPACE_COMMAND]
    assert workspace["depends_on"] == {f"{name}-api": {"condition": "service_healthy"} for name in SERVICES}
    assert workspace["ports"] == ["127.0.0.1:8004:8004"]


def test_workspace_replicas_beyond_one_share_the_taken_sign_in_links():
    """Replicas that each kept their own would let a sign-in link be taken once per replica."""
    deployment = k8s_named("Deployment", WORKSPACE_COMMAND)
    autoscaled = [
        hpa
        for hpa in k8s_of_kind("HorizontalPodAutoscaler")
        if hpa["spec"]["scaleTargetRef"]["name"] == WORKSPACE_COMMAND
    ]
    (container,) = [c for c in workspace_containers() if c.where == f"k8s:Deployment/{WORKSPACE_COMMAND}"]
    if deployment["spec"]["replicas"] > 1 or autoscaled:
        assert container.env.get("AWARDPATH_WORKSPACE_REDIS_URL"), "replicas share no store of taken links"


def test_kubernetes_serves_the_workspace_on_its_port():
    deployment = k8s_named("Deployment", WORKSPACE_COMMAND)
    service = k8s_named("Service", WORKSPACE_COMMAND)
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert service["spec"]["ports"][0]["targetPort"] in {port["name"] for port in container["ports"]}


# ---- docker compose ------------------------------------------------------------------------


def test_compose_starts_processes_after_migrations_and_a_healthy_broker():
    services = compose()["services"]
    for name in ("kafka", "postgres"):
        assert services[name]["healthcheck"]["test"], name
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]  # KRaft, no ZooKeeper
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name, service in services.items():
        if service.get("command", [None])[0] in PER_SERVICE_COMMANDS:
            assert service["depends_on"] == {
                "migrate": {"condition": "service_completed_successfully"},
                VOLUME_OWNER: {"condition": "service_completed_successfully"},
                "kafka": {"condition": "service_healthy"},
            }, name


def test_compose_has_no_default_for_any_secret():
    """Every secret is `${NAME:?what to set}`: Compose refuses to start without it, rather than
    run with a value everybody knows."""
    text = COMPOSE_FILE.read_text()
    # The one switch with a default: development mode, off unless the operator turns it on.
    references = [match for match in COMPOSE_VARIABLE.finditer(text) if match["name"] != "AWARDPATH_DEVELOPMENT"]
    assert {match["name"] for match in references} == set(COMPOSE_OPERATOR_ENV)
    for match in references:
        assert match["operator"] == ":?", f"{match[0]}: a secret gets no default, and no empty value"
        assert match["name"] in match["argument"], f"{match[0]}: the error names the variable to set"
    for name in COMPOSE_OPERATOR_ENV:
        without = {other: value for other, value in COMPOSE_OPERATOR_ENV.items() if other != name}
        with pytest.raises(LookupError, match=name):
            interpolate(text, without)


def test_compose_gives_the_database_password_verbatim_beside_a_url_without_one():
    """A password with `@`, `/`, `:` or `%` would break a URL it was pasted into: the URL
    names none, the driver reads PGPASSWORD, the server gets POSTGRES_PASSWORD, the same."""
    services = compose()["services"]
    server_password = interpolate(services["postgres"]["environment"]["POSTGRES_PASSWORD"], COMPOSE_OPERATOR_ENV)
    assert server_password == COMPOSE_OPERATOR_ENV["POSTGRES_PASSWORD"]
    for container in compose_containers():
        if container.verb == WORKSPACE_COMMAND:
            continue
        assert make_url(container.env["AWARDPATH_DATABASE_URL"]).password is None, container.where
        assert container.env["PGPASSWORD"] == server_password, container.where


def test_compose_restarts_what_runs_and_not_the_one_shots():
    for name, service in compose()["services"].items():
        if service.get("command", [None])[0] == "migrate" or name == VOLUME_OWNER:
            assert service.get("restart", "no") == "no", name
        else:
            assert service.get("restart") in ("always", "unless-stopped"), f"compose {name}: needs a restart policy"


def test_compose_shares_one_evidence_directory_the_processes_can_write():
    """Submission writes evidence files, assessment and award read them: with the local
    backend every API and worker mounts one named volume where AWARDPATH_STORAGE_PATH points,
    and the one-shot owner hands it to the image's user first (a new volume is root's)."""
    services = compose()["services"]
    mounts = set()
    for container in compose_containers():
        if container.verb not in PER_SERVICE_COMMANDS:
            continue
        path = container.env["AWARDPATH_STORAGE_PATH"]
        assert container.env["AWARDPATH_STORAGE_BACKEND"] == "local", container.where
        (volume,) = services[container.where.removeprefix("compose:")]["volumes"]
        assert volume.endswith(f":{path}"), container.where
        mounts.add(volume)
    (mount,) = mounts
    volume_name, path = mount.split(":")
    assert volume_name in compose()["volumes"], "a named volume, not a host directory"
    owner = services[VOLUME_OWNER]
    assert owner["volumes"] == [mount] and owner["restart"] == "no"
    (user,) = re.findall(r"^USER (\S+)$", DOCKERFILE.read_text().rsplit("\nFROM ", 1)[1], re.M)
    assert owner["entrypoint"] == ["chown", user, path]


def test_compose_uses_the_broker_it_runs():
    kafka = compose()["services"]["kafka"]["environment"]
    advertised = {listener.split("://")[1] for listener in kafka["KAFKA_ADVERTISED_LISTENERS"].split(",")}
    for container in compose_containers():
        if container.verb != WORKSPACE_COMMAND:
            assert set(container.env["KAFKA_BOOTSTRAP_SERVERS"].split(",")) <= advertised, container.where


# ---- the image -----------------------------------------------------------------------------


def test_the_image_runs_awardpath_as_a_non_root_user_from_the_lock():
    dockerfile = DOCKERFILE.read_text()
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    (entrypoint,) = re.findall(r"^ENTRYPOINT (.+)$", final_stage, re.M)
    assert json.loads(entrypoint) == ["awardpath"]
    (user,) = re.findall(r"^USER (\S+)$", final_stage, re.M)
    assert int(user.split(":")[0]) != 0
    assert "uv sync --frozen --no-dev --all-packages" in dockerfile
    assert re.search(r"^ARG PYTHON_VERSION=3\.11$", dockerfile, re.M)
    assert final_stage.startswith("python:${PYTHON_VERSION}-slim")
    makefile_uv = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert re.search(rf"^ARG UV_VERSION={re.escape(makefile_uv)}$", dockerfile, re.M)


def test_the_image_leaves_local_state_out_of_the_build_context():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".tools", "var", ".env"} <= ignored


# ---- kubernetes ----------------------------------------------------------------------------


def test_kustomization_lists_every_manifest():
    for directory in (K8S_DIR, *(K8S_DIR / component for component in COMPONENTS)):
        kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
        manifests = {path.name for path in directory.glob("*.yaml")} - {"kustomization.yaml"}
        assert set(kustomization["resources"]) == manifests, directory
    namespaces = {doc["metadata"].get("namespace") for doc in k8s_documents(COMPONENTS) if doc["kind"] != "Namespace"}
    assert namespaces == {k8s_of_kind("Namespace")[0]["metadata"]["name"]}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (its kustomize) is not installed")
@pytest.mark.parametrize("components", [(), *((c,) for c in COMPONENTS)], ids=["base", *COMPONENTS])
def test_the_offline_rendering_is_kustomizes(components, tmp_path):
    """What these tests read is what `kubectl apply -k` applies: the real kustomize renders
    the same documents (an overlay of the base, with the component when given)."""
    overlay = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [os.path.relpath(K8S_DIR, tmp_path)],
        "components": [os.path.relpath(K8S_DIR / component, tmp_path) for component in components],
    }
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(overlay))
    rendered = subprocess.run(["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True, check=True)

    def key(doc: dict[str, Any]) -> tuple[str, str]:
        return doc["kind"], doc["metadata"]["name"]

    assert sorted(yaml.safe_load_all(rendered.stdout), key=key) == sorted(k8s_documents(components), key=key)


def test_no_secret_ships_with_the_manifests():
    """The operator creates the Secrets (deploy/README.md); the Deployments name them."""
    for components in ((), *((c,) for c in COMPONENTS)):
        assert not [doc for doc in k8s_documents(components) if doc["kind"] == "Secret"]
    config = k8s_named("ConfigMap", "awardpath-config")["data"]
    assert not set(config) & {*K8S_SECRET_VARIABLES, AWARD_SECRET}, "a secret in the ConfigMap"
    assert make_url(config["AWARDPATH_DATABASE_URL"]).password is None, "the URL names no password: PGPASSWORD does"
    secrets = operator_secrets()
    assert set(secrets["awardpath-secrets"]) == set(K8S_SECRET_VARIABLES)
    assert set(secrets["awardpath-award-secrets"]) == {AWARD_SECRET}
    assert set(secrets["awardpath-workspace-secrets"]) == {"AWARDPATH_WORKSPACE_SESSION_SECRET"}
    referenced = {
        source["secretRef"]["name"]
        for _, pod in k8s_pod_specs()
        for container in pod.get("initContainers", []) + pod["containers"]
        for source in container["envFrom"]
        if "secretRef" in source
    }
    assert referenced == {"awardpath-secrets", "awardpath-award-secrets", "awardpath-workspace-secrets"}


@pytest.mark.parametrize("container", by_where([c for c in k8s_containers() if c.verb in PER_SERVICE_COMMANDS]))
def test_kubernetes_keeps_evidence_files_in_one_bucket(container, monkeypatch):
    """Pods on several nodes share no directory: every process reads and writes the same S3
    bucket, named in the ConfigMap, with the keys from the operator's Secret."""
    config = k8s_named("ConfigMap", "awardpath-config")["data"]
    settings = settings_in(SERVICES[container.target].settings, container.env, monkeypatch)
    assert settings.storage_backend == "s3", container.where
    assert settings.s3_bucket == config["AWARDPATH_S3_BUCKET"], container.where
    assert settings.s3_access_key_id == operator_secrets()["awardpath-secrets"]["AWARDPATH_S3_ACCESS_KEY_ID"]


def test_the_image_is_named_by_a_registry():
    name = k8s_image().rsplit(":", 1)[0]
    registry = name.split("/", 1)[0]
    assert "/" in name and ("." in registry or ":" in registry), f"{name}: no registry host"
    raw = [
        container["image"]
        for resource in yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())["resources"]
        for doc in yaml.safe_load_all((K8S_DIR / resource).read_text())
        if doc and "template" in doc.get("spec", {})
        for container in doc["spec"]["template"]["spec"].get("initContainers", [])
        + doc["spec"]["template"]["spec"]["containers"]
    ]
    assert raw and {image.split(":")[0] for image in raw} == {IMAGE}, "kustomize renames what the manifests call it"


def test_the_namespace_enforces_the_restricted_pod_security_standard():
    labels = k8s_of_kind("Namespace")[0]["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted", mode


@pytest.mark.parametrize("where,pod", [pytest.param(where, pod, id=where) for where, pod in k8s_pod_specs()])
def test_pods_meet_the_restricted_pod_security_standard(where, pod):
    """https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted, and
    more: a read-only root filesystem and no service account token."""
    assert pod["automountServiceAccountToken"] is False, where
    assert not {"hostNetwork", "hostPID", "hostIPC", "hostUsers"} & set(pod), where
    pod_security = pod.get("securityContext", {})
    assert pod_security["runAsNonRoot"] is True and pod_security["runAsUser"] != 0, where
    assert pod_security["seccompProfile"]["type"] == "RuntimeDefault", where
    for volume in pod.get("volumes", []):
        assert set(volume) - {"name"} <= RESTRICTED_VOLUME_TYPES, (where, volume)
    for container in pod.get("initContainers", []) + pod["containers"]:
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False, (where, container["name"])
        assert security.get("privileged", False) is False, (where, container["name"])
        assert security["capabilities"] == {"drop": ["ALL"]}, (where, container["name"])
        assert security["readOnlyRootFilesystem"] is True, (where, container["name"])
        assert security.get("runAsNonRoot", True) is True and security.get("runAsUser", 1) != 0, where
        assert security.get("seccompProfile", {"type": "RuntimeDefault"})["type"] == "RuntimeDefault", where
        assert not [port for port in container.get("ports", []) if "hostPort" in port], where
        assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"], where


@pytest.mark.parametrize("deployment", [d["metadata"]["name"] for d in k8s_of_kind("Deployment")])
def test_every_deployment_has_a_disruption_budget_and_spreads(deployment):
    pod_labels = k8s_named("Deployment", deployment)["spec"]["template"]["metadata"]["labels"]
    (budget,) = [
        pdb
        for pdb in k8s_of_kind("PodDisruptionBudget")
        if pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    ]
    # A drain takes a replica at a time, and never blocks on a one-replica worker.
    assert budget["spec"] == {"maxUnavailable": 1, "selector": budget["spec"]["selector"]}, deployment
    spread = k8s_named("Deployment", deployment)["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert {constraint["topologyKey"] for constraint in spread} == {
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
    }
    for constraint in spread:
        assert constraint["labelSelector"]["matchLabels"].items() <= pod_labels.items(), deployment
        # A preference: a cluster of one node or zone still runs every replica.
        assert constraint["whenUnsatisfiable"] == "ScheduleAnyway", deployment


def test_each_api_has_a_service_and_cpu_autoscaling():
    for name in SERVICES:
        deployment = k8s_named("Deployment", f"{name}-api")
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        service = k8s_named("Service", f"{name}-api")
        assert service["spec"]["selector"].items() <= pod_labels.items()
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert service["spec"]["ports"][0]["targetPort"] in {port["name"] for port in container["ports"]}
        hpa = k8s_named("HorizontalPodAutoscaler", f"{name}-api")
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"{name}-api"}
        assert [metric["resource"]["name"] for metric in hpa["spec"]["metrics"]] == ["cpu"]


@pytest.mark.parametrize("name", list(SERVICES))
def test_workers_scale_on_the_lag_of_their_own_consumer_group_and_topics(name):
    consumer = runtime_of(name).consumer
    scaled = k8s_named("ScaledObject", f"{name}-worker")
    assert scaled["spec"]["scaleTargetRef"]["name"] == k8s_named("Deployment", f"{name}-worker")["metadata"]["name"]
    # The worker also runs the outbox relay: it never scales to zero.
    assert scaled["spec"]["minReplicaCount"] >= 1
    triggers = scaled["spec"]["triggers"]
    assert {trigger["type"] for trigger in triggers} == {"kafka"}
    assert {(t["metadata"]["consumerGroup"], t["metadata"]["topic"]) for t in triggers} == {
        (consumer.group, topic) for topic in consumer.topics
    }
    config = k8s_named("ConfigMap", "awardpath-config")["data"]
    assert {trigger["metadata"]["bootstrapServers"] for trigger in triggers} == {config["KAFKA_BOOTSTRAP_SERVERS"]}
    # More replicas than partitions would sit idle.
    assert scaled["spec"]["maxReplicaCount"] <= int(config["AWARDPATH_KAFKA_TOPIC_PARTITIONS"])
    # A plaintext broker needs no credentials: only the kafka-auth component adds them.
    assert not [trigger for trigger in triggers if "authenticationRef" in trigger]


def test_the_kafka_auth_component_authenticates_every_trigger_from_the_operators_secret():
    """Optional (a broker with TLS and/or SASL): every kafka trigger of every worker's
    ScaledObject refers to the TriggerAuthentication, whose parameters are the KEDA Kafka
    scaler's and come from a Secret deploy/README.md has the operator create."""
    documents = k8s_documents((KAFKA_AUTH,))
    (authentication,) = [doc for doc in documents if doc["kind"] == "TriggerAuthentication"]
    references = authentication["spec"]["secretTargetRef"]
    assert {ref["parameter"] for ref in references} == {"sasl", "username", "password", "tls", "ca", "cert", "key"}
    ((secret_name,),) = {(ref["name"],) for ref in references}
    assert all(ref["key"] == ref["parameter"] for ref in references)
    assert set(operator_secrets()[secret_name]) == {ref["key"] for ref in references}
    scaled_objects = [doc for doc in documents if doc["kind"] == "ScaledObject"]
    assert {doc["spec"]["scaleTargetRef"]["name"] for doc in scaled_objects} == {f"{name}-worker" for name in SERVICES}
    for scaled in scaled_objects:
        for trigger in scaled["spec"]["triggers"]:
            assert trigger.get("authenticationRef") == {"name": authentication["metadata"]["name"]}, trigger
