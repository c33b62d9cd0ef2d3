"""Cost of the assignment decision as the assessor pool grows, and the load balance it gives.

For each pool size a fresh PostgreSQL database is migrated and filled with assessors
(capacity 40, 2% sharing an organisation with the earners' organisations, 5% paused), all
qualified for one micro-credential. Then:

1. fill: arrivals go through the real service path (`AssignmentService.receive`:
   store the attempt, choose, assign, stage the event), 200 per transaction, until the pool
   holds 20 open assignments per assessor. Above `--fill-limit` assessors (default 500)
   the fill is a bulk insert of what the rule gives from empty (the same load for every
   available assessor, 100,000 open assignments at 5,000 assessors) to keep the run short;
   then `ANALYZE`, as autovacuum would after such a change.
2. measure: `--arrivals` more arrivals, one transaction each, timing the decision (the
   fairness-ordered query plus the rule) and the whole transaction including the commit.
3. reference: the pure rule `choose_assessor` over the whole pool in memory, which is what
   the paged query avoids.

Run: .venv/bin/python bench/assignment/bench_assignment.py [--sizes 500 5000 50000]
"""

import argparse
import asyncio
import random
import statistics
import time
import uuid
from datetime import timedelta

import asyncpg
from sqlalchemy import func, insert, select, text

from awardpath_assessment.assignment.rule import AttemptToAssign, CandidateAssessor, choose_assessor
from awardpath_assessment.assignment.service import AssignmentService
from awardpath_assessment.models import Assessor, AssessorQualification, Assignment, Attempt, Rubric
from awardpath_assessment.settings import AssessmentSettings
from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared.db import create_engine, create_session_factory
from awardpath_shared.events import SectionEvidence, SubmissionSubmitted
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.migrations import upgrade
from awardpath_shared.privacy import conflict_hash

SERVER = "postgres@127.0.0.1:5432"
MC = "mc-bench"
KEY = "bench-key"
ORGANISATIONS = [f"district-{n}" for n in range(50)]
OPEN_PER_ASSESSOR = 20
CAPACITY = 40
FILL_BATCH = 200
SETTINGS = AssessmentSettings(conflict_hash_key=KEY)


def arrival(generator: random.Random) -> SubmissionSubmitted:
    return SubmissionSubmitted(
        submission_id=new_id(),
        attempt_id=new_id(),
        attempt=1,
        micro_credential_id=MC,
        micro_credential_version=1,
        evidence=[SectionEvidence(section_id="overview", text="Evidence.")],
        conflict_hashes=[conflict_hash(KEY, generator.choice(ORGANISATIONS))],
        submitted_at=utcnow(),
    )


async def create_database() -> str:
    name = f"awardpath_bench_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(f"postgresql://{SERVER}/postgres")
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return name


async def drop_database(name: str) -> None:
    connection = await asyncpg.connect(f"postgresql://{SERVER}/postgres")
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.close()


async def seed_pool(sessions, size: int, generator: random.Random) -> None:
    now = utcnow()
    async with sessions() as session, session.begin():
        session.add(
            Rubric(
                micro_credential_id=MC,
                version=1,
                title="Bench",
                competency="c",
                key_method="k",
                published_at=now,
                sections=[
                    {
                        "id": "overview",
                        "title": "o",
                        "prompt": "p",
                        "evidence": "text",
                        "required": True,
                        "levels": [{"id": "no", "name": "No"}, {"id": "yes", "name": "Yes"}],
                        "passing_level": "yes",
                    }
                ],
            )
        )
        rows = [
            {
                "id": f"assessor-{n:06d}",
                "display_name": f"A{n}",
                "capacity": CAPACITY,
                "paused": generator.random() < 0.05,
                "open_assignments": 0,
                "organization_hash": conflict_hash(KEY, generator.choice(ORGANISATIONS))
                if generator.random() < 0.02
                else None,
                "conflict_hashes": [],
                "last_assigned_at": None,
                "created_at": now,
            }
            for n in range(size)
        ]
        for start in range(0, size, 5000):
            await session.execute(insert(Assessor), rows[start : start + 5000])
            await session.execute(
                insert(AssessorQualification),
                [
                    {"assessor_id": row["id"], "micro_credential_id": MC, "status": "qualified"}
                    for row in rows[start : start + 5000]
                ],
            )


async def fill_through_the_service(sessions, size: int, generator: random.Random) -> list[float]:
    costs = []
    remaining = OPEN_PER_ASSESSOR * size
    while remaining > 0:
        async with sessions() as session, session.begin():
            service = AssignmentService(AssessmentUnitOfWork(session), SETTINGS)
            for _ in range(min(FILL_BATCH, remaining)):
                started = time.perf_counter()
                await service.receive(arrival(generator))
                costs.append(time.perf_counter() - started)
            remaining -= FILL_BATCH
    return costs


async def fill_in_bulk(sessions, size: int) -> None:
    """What the rule gives from empty: every available assessor gets the same load, the
    oldest assignment first (a conflict changes who, never how many)."""
    now = utcnow()
    async with sessions() as session, session.begin():
        available = list(await session.scalars(select(Assessor.id).where(~Assessor.paused).order_by(Assessor.id)))
        per_assessor = OPEN_PER_ASSESSOR * size // len(available)
        attempts, assignments = [], []
        for assessor_id in available:
            for _ in range(per_assessor):
                attempt_id = new_id()
                attempts.append(
                    {
                        "id": attempt_id,
                        "submission_id": new_id(),
                        "number": 1,
                        "micro_credential_id": MC,
                        "micro_credential_version": 1,
                        "evidence": [],
                        "conflict_hashes": [],
                        "state": "assigned",
                        "reviews_needed": 1,
                        "double_scored": False,
                        "submitted_at": now,
                        "received_at": now,
                    }
                )
                assignments.append(
                    {
                        "id": new_id(),
                        "attempt_id": attempt_id,
                        "assessor_id": assessor_id,
                        "state": "assigned",
                        "kind": "review",
                        "assigned_at": now,
                    }
                )
            if len(attempts) >= 20_000:
                await session.execute(insert(Attempt), attempts)
                await session.execute(insert(Assignment), assignments)
                attempts, assignments = [], []
        if attempts:
            await session.execute(insert(Attempt), attempts)
            await session.execute(insert(Assignment), assignments)
        await session.execute(
            Assessor.__table__.update()
            .where(~Assessor.paused)
            .values(open_assignments=per_assessor, last_assigned_at=now - timedelta(minutes=1))
        )


async def analyze(engine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()


async def measure(sessions, arrivals: int, generator: random.Random) -> tuple[list[float], list[float]]:
    decisions: list[float] = []
    original = AssignmentService._choose

    async def timed_choose(self, to_assign):
        started = time.perf_counter()
        chosen = await original(self, to_assign)
        decisions.append(time.perf_counter() - started)
        return chosen

    AssignmentService._choose = timed_choose
    transactions = []
    try:
        for _ in range(arrivals):
            started = time.perf_counter()
            async with sessions() as session, session.begin():
                await AssignmentService(AssessmentUnitOfWork(session), SETTINGS).receive(arrival(generator))
            transactions.append(time.perf_counter() - started)
    finally:
        AssignmentService._choose = original
    return decisions, transactions


async def load_balance(sessions) -> tuple[int, float, int]:
    async with sessions() as session:
        row = (
            await session.execute(
                select(func.max(Assessor.open_assignments), func.avg(Assessor.open_assignments), func.count()).where(
                    ~Assessor.paused
                )
            )
        ).one()
        total = await session.scalar(select(func.count()).select_from(Assignment).where(Assignment.state == "assigned"))
    return row[0], float(row[1]), total


async def pure_rule_cost(sessions, generator: random.Random, repeats: int = 50) -> float:
    async with sessions() as session:
        pool = [
            CandidateAssessor(
                id=a.id,
                micro_credential_ids=frozenset({MC}),
                capacity=a.capacity,
                open_assignments=a.open_assignments,
                paused=a.paused,
                conflict_hashes=a.all_conflict_hashes,
                last_assigned_at=a.last_assigned_at,
            )
            for a in await session.scalars(select(Assessor))
        ]
    to_assign = AttemptToAssign(MC, frozenset({conflict_hash(KEY, generator.choice(ORGANISATIONS))}))
    started = time.perf_counter()
    for _ in range(repeats):
        choose_assessor(to_assign, pool)
    return (time.perf_counter() - started) / repeats


def ms(seconds: list[float], q: float) -> float:
    return statistics.quantiles(seconds, n=100)[int(q) - 1] * 1000 if q < 100 else max(seconds) * 1000


async def bench(size: int, arrivals: int, fill_limit: int) -> None:
    generator = random.Random(size)
    name = await create_database()
    url = f"postgresql+asyncpg://{SERVER}/{name}"
    try:
        await asyncio.to_thread(upgrade, "assessment", url)
        engine = create_engine(url, "assessment")
        sessions = create_session_factory(engine)
        await seed_pool(sessions, size, generator)
        started = time.perf_counter()
        if size <= fill_limit:
            fill = await fill_through_the_service(sessions, size, generator)
            how = f"service, {len(fill)} arrivals, mean {statistics.mean(fill) * 1000:.2f} ms each"
        else:
            await fill_in_bulk(sessions, size)
            how = "bulk insert of the rule's from-empty result"
        fill_seconds = time.perf_counter() - started
        await analyze(engine)  # as autovacuum would after a bulk change: the planner needs row counts
        biggest, average, total = await load_balance(sessions)
        decisions, transactions = await measure(sessions, arrivals, generator)
        after_max, after_mean, after_total = await load_balance(sessions)
        reference = await pure_rule_cost(sessions, generator)
        await engine.dispose()
    finally:
        await drop_database(name)
    print(
        f"| {size:,} | {total:,} | {how} ({fill_seconds:.0f} s) | "
        f"{ms(decisions, 50):.2f} / {ms(decisions, 95):.2f} / {ms(decisions, 100):.2f} | "
        f"{ms(transactions, 50):.2f} / {ms(transactions, 95):.2f} | "
        f"{biggest} / {average:.2f} = {biggest / average:.3f} | "
        f"{after_max} / {after_mean:.2f} = {after_max / after_mean:.3f} ({after_total:,} open) | "
        f"{reference * 1000:.2f} |",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000, 50000])
    parser.add_argument("--arrivals", type=int, default=1000)
    parser.add_argument("--fill-limit", type=int, default=500)
    args = parser.parse_args()
    print(
        "| assessors | open after fill | fill | decision p50 / p95 / max ms | transaction p50 / p95 ms "
        "| max / mean open after fill | max / mean open after the measured arrivals "
        "| pure rule over the whole pool ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        await bench(size, args.arrivals, args.fill_limit)


if __name__ == "__main__":
    asyncio.run(main())
