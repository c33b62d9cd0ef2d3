"""`awardpath serve all` runs its relays and deliveries in a worker process of its own: that
process is killed with it however it dies, so a crashed `serve all` leaves nothing behind
that would go on writing to the databases."""

import signal
from pathlib import Path

from tests.support.databases import create_database, drop_database
from tests.support.polling import eventually
from tests.support.proc import process_stat, process_table
from tests.support.system import RunningSystem


def children_of(pid: int) -> list[int]:
    return [child for child, stat in process_table().items() if stat.parent == pid]


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")


def running(pid: int) -> bool:
    stat = process_stat(pid)
    return stat is not None and stat.state != "Z"


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
