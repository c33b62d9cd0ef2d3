"""The processes as an operator starts them. `awardpath serve all` runs its relays and
deliveries in a worker process of its own: that process is killed with it however it dies, so
a crashed `serve all` leaves nothing behind that would go on writing to the databases.
Outside development, a process refuses to start on placeholder settings."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from awardpath_shared.events import RecipientIdentified, SubmissionSubmitted
from tests.support.award_path import Earner, open_award_path
from tests.support.browser import browser_page
from tests.support.databases import create_database, drop_database
from tests.support.metrics import scrape, total
from tests.support.polling import eventually
from tests.support.proc import process_stat, process_table
from tests.support.system import RunningSystem, free_port


def children_of(pid: int) -> list[int]:
    return [child for child, stat in process_table().items() if stat.parent == pid]


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")


def running(pid: int) -> bool:
    stat = process_stat(pid)
    return stat is not None and stat.state != "Z"


def awardpath(arguments: list[str], variables: dict[str, str]) -> subprocess.CompletedProcess:
    """`awardpath ARGUMENTS` with only `variables` of Awardpath's settings set."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWARDPATH_")}
    return subprocess.run(
        [sys.executable, "-m", "awardpath", *arguments],
        env=environment | variables,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_the_worker_process_dies_with_a_killed_serve_all(tmp_path):
    url = await create_database("sqlite", tmp_path)
    system = RunningSystem(url, tmp_path / "awardpath.log")
    system.start()
    try:
        [worker] = children_of(system.process.pid)
        assert "worker" in command_line(worker)
        system.stop(signal.SIGKILL)
        assert await eventually(lambda: running(worker), lambda alive: not alive, timeout=10) is False
    finally:
        system.stop()
        await drop_database(url)


PLACEHOLDERS = {
    "AWARDPATH_JWT_SECRET": "change-me-jwt-secret-at-least-32-bytes-long",
    "AWARDPATH_CONFLICT_HASH_KEY": "change-me-conflict-hash-key",
    "AWARDPATH_FILE_LINK_SECRET": "change-me-file-link-secret",
    "AWARDPATH_AWARD_PUBLIC_URL": "http://127.0.0.1:8003",
    "AWARDPATH_TRANSPORT": "kafka",
}


@pytest.mark.parametrize(
    ("command", "named"),
    [
        (
            ["serve", "all"],
            [
                "AWARDPATH_JWT_SECRET",
                "AWARDPATH_CONFLICT_HASH_KEY",
                "AWARDPATH_FILE_LINK_SECRET",
                "AWARDPATH_AWARD_MASTER_KEY",
            ],
        ),
        (
            ["serve", "award"],
            ["AWARDPATH_AWARD_MASTER_KEY", "AWARDPATH_AWARD_PUBLIC_URL"],
        ),
        (
            ["worker", "submission"],
            ["AWARDPATH_JWT_SECRET", "AWARDPATH_CONFLICT_HASH_KEY", "AWARDPATH_FILE_LINK_SECRET"],
        ),
    ],
)
def test_a_process_refuses_to_start_on_placeholders_saying_what_to_set(tmp_path, command, named):
    database = tmp_path / "untouched.db"
    ended = awardpath(command, PLACEHOLDERS | {"AWARDPATH_DATABASE_URL": f"sqlite+aiosqlite:///{database}"})
    assert ended.returncode == 2, ended.stderr
    assert "Refusing to start" in ended.stderr and all(f"- {variable}" in ended.stderr for variable in named)
    assert "AWARDPATH_DEVELOPMENT=true" in ended.stderr
    assert not list(tmp_path.iterdir())  # refused before migrating: no database made


async def test_the_worker_of_serve_all_answers_health_and_shows_the_path_in_its_metrics(tmp_path):
    url = await create_database("sqlite", tmp_path)
    system = RunningSystem(url, tmp_path / "awardpath.log")
    system.start()
    opened: list[httpx.AsyncClient] = []

    def clients(service: str, role: str, subject: str) -> httpx.AsyncClient:
        opened.append(system.client(service, role, subject))
        return opened[-1]

    try:
        path = await open_award_path(clients, policy="auto")
        await path.submit(Earner())
        await path.claim("assessor-a")  # the worker process handled the attempt
        async with httpx.AsyncClient(base_url=system.worker_url, timeout=10) as worker:
            assert (await worker.get("/health/live")).status_code == 200
            assert (await worker.get("/health/ready")).status_code == 200
        metrics = await scrape(system.worker_url)
        for service, event_type in (("assessment", SubmissionSubmitted), ("award", RecipientIdentified)):
            handled = {"service": service, "event_type": event_type.event_type()}
            assert total(metrics, "awardpath_handler_duration_seconds_count", **handled) > 0, handled
    finally:
        for client in opened:
            await client.aclose()
        system.stop()
        await drop_database(url)


@pytest.mark.parametrize(
    ("variables", "said"),
    [
        ({"AWARDPATH_DEVELOPMENT": "true"}, "Nothing to reseal from"),  # no previous key
        ({"AWARDPATH_AWARD_PREVIOUS_MASTER_KEYS": "k" * 40}, "AWARDPATH_AWARD_MASTER_KEY is not set"),
    ],
)
def test_reseal_refuses_to_seal_under_a_development_key_or_without_a_previous_one(tmp_path, variables, said):
    ended = awardpath(
        ["reseal"], variables | {"AWARDPATH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'untouched.db'}"}
    )
    assert ended.returncode == 2 and said in ended.stderr, ended.stderr
    assert not list(tmp_path.iterdir())  # nothing opened


def start_demo(directory: Path, variables: dict[str, str], output: Path) -> subprocess.Popen:
    """`awardpath serve all --demo` in `directory` (it writes var/demo.env there), printing to `output`."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWARDPATH_")}
    with output.open("wb") as written:
        return subprocess.Popen(
            [sys.executable, "-m", "awardpath", "serve", "all", "--demo"],
            cwd=directory,
            env=environment | variables,
            stdout=written,
            stderr=subprocess.STDOUT,
        )


async def test_serve_all_demo_serves_the_workspaces_and_prints_a_sign_in_link_per_role(tmp_path):
    """`make run`: the APIs, the workspaces beside them, and a link that signs each demo
    person in (the administrator sees the demo assessor in the pool)."""
    ports = {name: free_port() for name in ("submission", "assessment", "award", "workspace", "worker_all")}
    variables = {
        "AWARDPATH_DATABASE_URL": await create_database("sqlite", tmp_path),
        **{f"AWARDPATH_{name.upper()}_PORT": str(port) for name, port in ports.items()},
        "AWARDPATH_WORKSPACE_PUBLIC_URL": f"http://127.0.0.1:{ports['workspace']}",
    }
    output = tmp_path / "demo.out"
    demo = start_demo(tmp_path, variables, output)
    try:
        printed = await eventually(output.read_text, lambda text: "  admin: http" in text, timeout=90)
        links = dict(line.strip().split(": ", 1) for line in printed.splitlines() if ": http" in line)
        assert set(links) >= {"assessor", "issuer", "admin"}
        async with browser_page() as page:
            await page.goto(links["admin"])
            await page.get_by_role("button", name="Continue").click()
            assert await page.get_by_role("heading", level=1).inner_text() == "Assessor pool"
            assert await page.get_by_role("row").filter(has_text="demo-assessor").count() == 1
            await page.goto(links["assessor"])
            await page.get_by_role("button", name="Continue").click()
            assert await page.get_by_role("heading", level=1).inner_text() == "Your queue"
    finally:
        demo.terminate()
        demo.wait(timeout=30)
        await drop_database(variables["AWARDPATH_DATABASE_URL"])
