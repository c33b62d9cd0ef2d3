"""Statements per submission: every SQL statement (and BEGIN, COMMIT, ROLLBACK) the three
services send while submissions travel from intake to assignment and on, counted in this
process with the services' apps on the in-process transport and a fresh PostgreSQL (or
SQLite) database. Unlike CPU time on a shared 2-core VM, the count repeats exactly, so it
shows what a change to the hot path saves.

    .venv/bin/python -m bench.statements                      # 50 submissions, PostgreSQL
    .venv/bin/python -m bench.statements --count 100 --backend sqlite

Submissions go one at a time, each once the last one's whole path is done (the system is
quiet), and timers are off: what is counted is the work one submission causes, driven by
commits' wake-ups, the same in every run. (Under load events are batched and cost less: the
load generator measures that.) Each row of the output is one statement text with its count
per submission, the total at the end.
"""

import argparse
import asyncio
import re
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from awardpath.demo import DEMO_MICRO_CREDENTIAL
from bench.loadgen import submission_body
from tests.support.databases import create_database, drop_database, migrate_all
from tests.support.in_process import Clients, running_clients
from tests.support.polling import eventually

# A submission's path is done once nothing was sent for this long.
QUIET_SECONDS = 0.5
# Timers that never fire during a run: wake-ups after commits drive the path.
NO_TIMERS = 3600.0


class StatementCounter:
    """Counts what every engine in this process sends, while `counting` is on."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.counting = False
        self.last_sent = time.monotonic()
        event.listen(Engine, "before_cursor_execute", self._statement)
        for name in ("begin", "commit", "rollback"):
            event.listen(Engine, name, self._transaction_step(name.upper()))

    async def quiet(self) -> None:
        """Returns once nothing was sent for QUIET_SECONDS."""
        while (idle := time.monotonic() - self.last_sent) < QUIET_SECONDS:
            await asyncio.sleep(QUIET_SECONDS - idle)

    def _statement(self, conn: Connection, cursor: Any, statement: str, *_: Any) -> None:
        self.last_sent = time.monotonic()
        if self.counting:
            # One row per statement text: parameters and whitespace differ, the statement does not.
            self.counts[re.sub(r"\$\d+(::\w+)?", "?", " ".join(statement.split()))[:140]] += 1

    def _transaction_step(self, name: str):
        def count(conn: Connection) -> None:
            # In autocommit the driver sends neither (`db.one_statement_sessions`).
            if self.counting and conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                self.counts[name] += 1

        return count


async def count_statements(count: int, backend: str) -> Counter[str]:
    counter = StatementCounter()
    url = await create_database(backend, Path(tempfile.mkdtemp()))
    await migrate_all(url)
    try:
        timers_off = {
            "relay_poll_interval_seconds": NO_TIMERS,
            "per_service": {
                "assessment": {"lease_sweep_interval_seconds": NO_TIMERS},
                "award": {"webhook_poll_interval_seconds": NO_TIMERS},
            },
        }
        async with running_clients(url, "bench-" * 8, **timers_off) as clients:
            micro_credential_id = await _set_up(clients)
            platform = clients("submission", "platform", "bench-platform")
            # Until the catalog entry reached the submission service; then a quiet start.
            await eventually(lambda: _accepted(platform, submission_body(micro_credential_id, "warm-up")), timeout=30)
            await counter.quiet()
            counter.counting = True
            for seq in range(count):
                response = await platform.post("/v1/submissions", json=submission_body(micro_credential_id, seq))
                assert response.status_code == 201, response.text
                await counter.quiet()
            counter.counting = False
    finally:
        await drop_database(url)
    return counter.counts


async def _accepted(platform: Any, body: dict[str, Any]) -> bool:
    return (await platform.post("/v1/submissions", json=body)).status_code == 201


async def _set_up(clients: Clients) -> str:
    """An issuer, a micro-credential and one assessor with room for every submission."""
    issuer = await clients("award", "admin", "bench-admin").post(
        "/v1/issuers", json={"name": "Bench Issuer", "url": "https://issuer.example.org", "email": "b@example.org"}
    )
    issuer_id = issuer.raise_for_status().json()["id"]
    created = await clients("award", "issuer", issuer_id).post(
        "/v1/micro-credentials", json={**DEMO_MICRO_CREDENTIAL, "issuer_id": issuer_id}
    )
    micro_credential_id = created.raise_for_status().json()["id"]
    assessor = {
        "id": "bench-assessor",
        "display_name": "Bench assessor",
        "micro_credential_ids": [micro_credential_id],
        "capacity": 1000,
        "organization_id": "bench-assessor-university",
    }
    (await clients("assessment", "admin", "bench-admin").post("/v1/assessors", json=assessor)).raise_for_status()
    return micro_credential_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=50, help="submissions (at most 1000: one assessor's room)")
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    arguments = parser.parse_args()
    counts = asyncio.run(count_statements(arguments.count, arguments.backend))
    for statement, times in counts.most_common():
        print(f"{times / arguments.count:6.2f}  {statement}")
    print(f"{sum(counts.values()) / arguments.count:6.2f}  in all, per submission")


if __name__ == "__main__":
    main()
