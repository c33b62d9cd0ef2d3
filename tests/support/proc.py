"""Linux's process table as /proc shows it: who runs, whose child each is, how much CPU each
used. The end-to-end tests check which processes run; the benchmark counts their CPU."""

import os
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessStat:
    name: str
    state: str  # R, S, ..., Z: a zombie (ended, not yet reaped)
    parent: int
    own_seconds: float  # utime + stime
    reaped_seconds: float  # cutime + cstime: its children that ended


def process_stat(pid: int) -> ProcessStat | None:
    """The process's line of /proc/<pid>/stat; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # ended while we looked
        return None
    # The name is in parentheses and may hold anything; the fields after it start at the
    # third (state): the parent is the fourth, utime, stime, cutime and cstime the 14th-17th.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(value) / CLOCK_TICKS for value in fields[11:15])
    name = stat[stat.index("(") + 1 : stat.rindex(")")]
    return ProcessStat(name, fields[0], int(fields[1]), utime + stime, cutime + cstime)


def process_table() -> dict[int, ProcessStat]:
    """Every process running now."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := process_stat(int(entry.name))) is not None:
            table[int(entry.name)] = stat
    return table
