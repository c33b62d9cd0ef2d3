"""`awardpath`: run, migrate and operate the services (see README, Operating)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI

from awardpath import dead_letters, operations
from awardpath.demo import DEMO_ADMIN, DEMO_ASSESSOR, seed_demo
from awardpath.processes import run_worker, run_worker_all, serve_all_beside_worker, serve_apps, server_config
from awardpath.services import SERVICES, AnySettings, build_apps
from awardpath.workspace.app import create_workspace_app
from awardpath.workspace.settings import WorkspaceSettings
from awardpath.workspace.sign_in import sign_in_link
from awardpath_award.settings import AwardSettings
from awardpath_shared.auth import ROLES, mint_token
from awardpath_shared.logs import configure_logging
from awardpath_shared.migrations import upgrade
from awardpath_shared.runtime import create_transport
from awardpath_shared.settings import ServiceSettings
from awardpath_shared.tracing import install_tracing

logger = logging.getLogger(__name__)

app = typer.Typer(help="Awardpath: assessment-and-award backend for educator micro-credentials.", no_args_is_help=True)


@app.command()
def migrate(target: Annotated[str, typer.Argument(help="submission, assessment, award or all")]) -> None:
    """Apply a service's Alembic migrations (or every service's)."""
    for name in _targets(target):
        upgrade(name, SERVICES[name].settings().database_url)
        typer.echo(f"{name}: migrated")


@app.command()
def token(
    role: Annotated[str, typer.Argument(help=", ".join(ROLES))],
    subject: Annotated[str, typer.Argument(help="platform, assessor, issuer or admin id")],
    ttl_days: int = 30,
) -> None:
    """Print a signed bearer token for local use."""
    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(ROLES)}")
    typer.echo(mint_token(ServiceSettings(), role, subject, timedelta(days=ttl_days)))


@app.command()
def serve(
    target: Annotated[str, typer.Argument(help="all, or one service: submission, assessment, award")],
    host: str = "127.0.0.1",
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate")] = True,
    demo: Annotated[bool, typer.Option(help="seed demo records and print tokens")] = False,
) -> None:
    """Serve the HTTP APIs. `all` runs the three services' APIs in one process (and, on the
    in-process transport, starts `awardpath worker all` beside it); one service alone needs
    AWARDPATH_TRANSPORT=kafka (its consumers then run in `awardpath worker SERVICE`)."""
    names = _targets(target)
    settings = {name: SERVICES[name].settings() for name in names}
    first = settings[names[0]]
    if target != "all" and first.transport != "kafka":
        raise typer.BadParameter("serving one service alone needs AWARDPATH_TRANSPORT=kafka; or use `serve all`")
    if demo and target != "all":
        raise typer.BadParameter("--demo seeds through all three APIs: use it with `serve all`")
    _refuse_unsafe(settings, development=demo or first.development)
    _observe(target, first)
    if migrate_first:
        for name in names:
            upgrade(name, settings[name].database_url)
    on_started: Callable[[], Awaitable[None]] | None = None
    beside: dict[str, tuple[FastAPI, int]] = {}
    if demo:
        # The workspaces are served here too, so that one command shows everything.
        workspace_settings = _demo_workspace_settings(settings, host)
        on_started = partial(_announce_demo, settings, workspace_settings, host)
        beside = {"workspace": (create_workspace_app(workspace_settings), workspace_settings.port)}
    if target == "all" and first.transport == "inprocess":
        development = demo or first.development
        raise typer.Exit(
            asyncio.run(serve_all_beside_worker(settings, host, on_started, development=development, beside=beside))
        )
    # The API of one service consumes nothing; `all` on Kafka runs every consumer group here.
    transport = create_transport(first, client_id=f"awardpath-{target}-api", consume=target == "all")
    apps = {**build_apps(transport, settings), **{name: app for name, (app, _) in beside.items()}}
    ports = {name: service_settings.port for name, service_settings in settings.items()}
    ports.update({name: port for name, (_, port) in beside.items()})
    asyncio.run(serve_apps(apps, ports, host, transport, on_started))


@app.command("login-link")
def login_link(
    role: Annotated[str, typer.Argument(help=", ".join(ROLES))],
    subject: Annotated[str, typer.Argument(help="the assessor, issuer, admin or platform id")],
) -> None:
    """Print a one-time link that signs ROLE SUBJECT in to the workspaces (valid for minutes)."""
    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(ROLES)}")
    typer.echo(sign_in_link(WorkspaceSettings(), role, subject))


@app.command()
def workspace(host: str = "127.0.0.1") -> None:
    """Serve the workspaces (the pages of assessors, issuers and administrators) on
    AWARDPATH_WORKSPACE_PORT; they call the APIs at AWARDPATH_SUBMISSION_URL,
    AWARDPATH_ASSESSMENT_URL and AWARDPATH_AWARD_URL."""
    settings = WorkspaceSettings()
    _refuse_unsafe({"workspace": settings}, development=settings.development)
    configure_logging(settings.log_level)
    asyncio.run(uvicorn.Server(server_config(create_workspace_app(settings), host, settings.port)).serve())


@app.command()
def worker(
    target: Annotated[str, typer.Argument(help="submission, assessment or award (Kafka); all (in-process)")],
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate")] = True,
    host: Annotated[str, typer.Option(help="address of the worker's health and metrics endpoints")] = "127.0.0.1",
    wake_fd: Annotated[int | None, typer.Option(hidden=True, help="set by `serve all`")] = None,
) -> None:
    """Run one service's consumers and outbox relay (AWARDPATH_TRANSPORT=kafka; run as many
    replicas as needed: they share the service's consumer group), or, with `all` on the
    in-process transport, every service's relay, deliveries and background work (`serve all`
    starts this itself)."""
    names = _targets(target)
    settings = {name: SERVICES[name].settings() for name in names}
    first = settings[names[0]]
    if target == "all" and first.transport != "inprocess":
        raise typer.BadParameter("on Kafka run one worker per service: `awardpath worker SERVICE`")
    if target != "all" and first.transport != "kafka":
        raise typer.BadParameter("a service's worker needs AWARDPATH_TRANSPORT=kafka; `serve all` delivers in-process")
    _refuse_unsafe(settings, development=first.development)
    _observe(target, first)
    if migrate_first:
        for name in names:
            upgrade(name, settings[name].database_url)
    if target == "all":
        raise typer.Exit(asyncio.run(run_worker_all(settings, wake_fd, host)))
    raise typer.Exit(asyncio.run(run_worker(target, first, host)))


@app.command()
def reseal() -> None:
    """After rotating AWARDPATH_AWARD_MASTER_KEY (the old key moved to
    AWARDPATH_AWARD_PREVIOUS_MASTER_KEYS): seal every issuer key and webhook secret under the
    new key, in one transaction. Running it again changes nothing; afterwards the previous
    keys can be removed."""
    settings = AwardSettings()
    _refuse_unsafe({"award": settings}, development=settings.development)
    if not settings.previous_master_keys or settings.master_key in settings.previous_master_keys:
        typer.echo(
            "Nothing to reseal from: set the new key in AWARDPATH_AWARD_MASTER_KEY and the old one in "
            "AWARDPATH_AWARD_PREVIOUS_MASTER_KEYS (different keys)",
            err=True,
        )
        raise typer.Exit(2)
    resealed = asyncio.run(operations.reseal(settings))
    typer.echo(f"resealed: {resealed.issuer_keys} issuer keys, {resealed.webhook_secrets} webhook secrets")


dead_letters_app = typer.Typer(help="Events a service could not handle or not deliver.", no_args_is_help=True)
app.add_typer(dead_letters_app, name="dead-letters")


@dead_letters_app.command("list")
def dead_letters_list(service: Annotated[str, typer.Argument(help="submission, assessment or award")]) -> None:
    """List the service's dead letters: messages its consumer group gave up on (Kafka
    `<topic>.dlq`) and outbox rows its relay gave up publishing."""
    name = _service(service)
    lines = asyncio.run(dead_letters.listing(name, SERVICES[name].settings()))
    typer.echo("\n".join(lines))


@dead_letters_app.command("replay")
def dead_letters_replay(service: Annotated[str, typer.Argument(help="submission, assessment or award")]) -> None:
    """Hand the service's unprocessed dead letters to its handlers again, and give its dead
    outbox rows a fresh set of delivery attempts. Replaying twice changes nothing."""
    name = _service(service)
    lines, failures = asyncio.run(dead_letters.replay_all(name, SERVICES[name].settings()))
    typer.echo("\n".join(lines))
    raise typer.Exit(1 if failures else 0)


def _refuse_unsafe(settings: Mapping[str, ServiceSettings], *, development: bool) -> None:
    """Outside development, stop before serving on a placeholder secret or a loopback public
    URL, saying what to set (exit status 2)."""
    problems = sorted({problem for service in settings.values() for problem in service.unsafe_settings()})
    if development or not problems:
        return
    typer.echo(
        "Refusing to start: this configuration is for development only.\n"
        + "".join(f"  - {problem}\n" for problem in problems)
        + "Local development and tests: set AWARDPATH_DEVELOPMENT=true (or run `awardpath serve all --demo`).",
        err=True,
    )
    raise typer.Exit(2)


def _demo_workspace_settings(settings: dict[str, AnySettings], host: str) -> WorkspaceSettings:
    """The workspaces as `serve all --demo` serves them: calling the APIs beside them."""
    return WorkspaceSettings(
        submission_url=f"http://{host}:{settings['submission'].port}",
        assessment_url=f"http://{host}:{settings['assessment'].port}",
        award_url=f"http://{host}:{settings['award'].port}",
    )


async def _announce_demo(settings: dict[str, AnySettings], workspace: WorkspaceSettings, host: str) -> None:
    urls = {name: f"http://{host}:{settings[name].port}" for name in settings}
    env_file = Path("var/demo.env")
    try:
        env = await seed_demo(settings["award"], urls, env_file)
    except Exception:  # the demo is a convenience: the services it seeds keep serving without it
        logger.exception("seeding the demo records failed; the services keep running")
        return
    lines = [f"  {key}={value}" for key, value in env.items()]
    typer.echo("\nAwardpath is running. Demo records and tokens (also in var/demo.env):\n" + "\n".join(lines))
    people = {"assessor": DEMO_ASSESSOR, "issuer": env["ISSUER_ID"], "admin": DEMO_ADMIN}
    links = [f"  {role}: {sign_in_link(workspace, role, subject)}" for role, subject in people.items()]
    typer.echo(
        "\nWorkspaces: one-time sign-in links (`awardpath login-link ROLE SUBJECT` makes more):\n" + "\n".join(links)
    )
    typer.echo("\nIn another shell: `source var/demo.env`, then follow the README walkthrough.\n")


def _observe(target: str, settings: ServiceSettings) -> None:
    """Logs and traces of this process: `awardpath-<service>`, or `awardpath` for all three."""
    name = "awardpath" if target == "all" else f"awardpath-{target}"
    configure_logging(settings.log_level, name)
    install_tracing(name)


def _service(service: str) -> str:
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; choose {', '.join(SERVICES)}")
    return service


def _targets(target: str) -> list[str]:
    if target == "all":
        return list(SERVICES)
    if target not in SERVICES:
        raise typer.BadParameter(f"unknown service {target!r}; choose {', '.join(SERVICES)} or all")
    return [target]
