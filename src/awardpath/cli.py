"""`awardpath`: run, migrate and operate the services."""

import asyncio
import contextlib
import signal
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from awardpath.demo import seed_demo
from awardpath.services import SERVICES, build_apps
from awardpath_shared.auth import ROLES, mint_token
from awardpath_shared.messaging.inprocess import InProcessTransport
from awardpath_shared.migrations import upgrade
from awardpath_shared.observability import configure_logging
from awardpath_shared.settings import ServiceSettings

app = typer.Typer(help="Awardpath: assessment-and-award backend for educator micro-credentials.", no_args_is_help=True)

class _Server(uvicorn.Server):
    # Several servers share one loop; the launcher handles signals for all of them.
    @contextlib.contextmanager
    def capture_signals(self):
        yield


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
    """Serve the HTTP APIs. `all` runs the three services in one process."""
    if target != "all":
        raise typer.BadParameter(
            "serving one service alone needs the Kafka transport; use `awardpath serve all`"
        )
    settings = {name: entry.settings() for name, entry in SERVICES.items()}
    configure_logging(settings["submission"].log_level)
    if migrate_first:
        for name in SERVICES:
            upgrade(name, settings[name].database_url)
    asyncio.run(_serve_all(settings, host, demo))


async def _serve_all(settings: dict[str, ServiceSettings], host: str, demo: bool) -> None:
    apps = build_apps(InProcessTransport(), settings)
    servers = {
        name: _Server(uvicorn.Config(apps[name], host=host, port=settings[name].port, log_level="info"))
        for name in apps
    }
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, lambda: [setattr(server, "should_exit", True) for server in servers.values()])
    serving = [asyncio.create_task(server.serve()) for server in servers.values()]
    if demo:
        await _announce_demo(settings, servers, host)
    await asyncio.gather(*serving)


async def _announce_demo(settings: dict[str, ServiceSettings], servers: dict[str, _Server], host: str) -> None:
    while not all(server.started for server in servers.values()):
        if any(server.should_exit for server in servers.values()):
            return
        await asyncio.sleep(0.05)
    urls = {name: f"http://{host}:{settings[name].port}" for name in servers}
    env_file = Path("var/demo.env")
    env = await seed_demo(settings["award"], urls, env_file)
    lines = [f"  {key}={value}" for key, value in env.items()]
    typer.echo("\nAwardpath is running. Demo records and tokens (also in var/demo.env):\n" + "\n".join(lines))
    typer.echo("\nIn another shell: `source var/demo.env`, then follow the README walkthrough.\n")


def _targets(target: str) -> list[str]:
    if target == "all":
        return list(SERVICES)
    if target not in SERVICES:
        raise typer.BadParameter(f"unknown service {target!r}; choose {', '.join(SERVICES)} or all")
    return [target]
