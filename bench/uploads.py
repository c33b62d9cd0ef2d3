"""Evidence file uploads: how fast a large video goes through the upload API (parts PUT to
their signed URLs, then complete: join, verify, strip metadata, store) on this machine, next
to a plain copy of the same bytes on the same disk, and the services' memory while it runs.

    .venv/bin/python -m bench.uploads                       # a 1024 MiB video, 32 MiB parts, 4 at once
    .venv/bin/python -m bench.uploads --size-mib 128 --part-mib 32 --parallel 4

Run from the repository root. Starts `awardpath serve all` (SQLite, local evidence storage)
on 127.0.0.1 in a temporary directory, which is removed at the end with the test file and
every stored copy. Measures and prints (see bench/README.md); asserts nothing, but exits 1
when the completed file is not the one written.
"""

import argparse
import asyncio
import contextlib
import hashlib
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from awardpath_shared.storage.names import stored_key
from bench.observe import CpuMeter
from tests.support.evidence_files import classroom_video
from tests.support.system import RunningSystem

MIB = 1024 * 1024
WRITE_CHUNK = 8 * MIB  # the test file is written and read back in these
SEND_CHUNK = 1024 * 1024  # a part is streamed to the service in these
SAMPLE_SECONDS = 0.05
TEACHER = "Dana Whitfield"


# ---- the test file and the ceiling ---------------------------------------------------------


def write_video(path: Path, size: int) -> str:
    """A `classroom_video` of exactly `size` bytes, written in chunks (never whole in memory):
    ftyp, moov naming the teacher, an mdat header for the rest, pseudo-random frames. Its sha256."""
    head = classroom_video(TEACHER, b"")[:-8]  # without its empty mdat box
    media = size - len(head) - 8
    if media + 8 < 2**32:
        mdat = (media + 8).to_bytes(4) + b"mdat"
    else:  # a 64-bit size after the type
        media -= 8
        mdat = (1).to_bytes(4) + b"mdat" + (media + 16).to_bytes(8)
    digest = hashlib.sha256()
    with path.open("xb") as out:
        for piece in (head, mdat):
            out.write(piece)
            digest.update(piece)
        left = media
        while left:
            chunk = os.urandom(min(WRITE_CHUNK, left))
            out.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def read_and_hash(path: Path) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(WRITE_CHUNK):
            digest.update(chunk)


def copy_and_fsync(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    with target.open("rb+") as copied:
        os.fsync(copied.fileno())


def ceiling(path: Path, rounds: int = 3) -> dict[str, float]:
    """Median seconds of `rounds` alternating runs of a read + sha256 pass, a plain copy into the
    same directory, and a copy + fsync (the first copy after the file was written is slower)."""
    copy = path.with_name("plain-copy.mp4")
    steps = {
        "read + sha256": lambda: read_and_hash(path),
        "copyfile": lambda: shutil.copyfile(path, copy),
        "copyfile + fsync": lambda: copy_and_fsync(path, copy),
    }
    runs: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            runs[name].append(timed(step))
            copy.unlink(missing_ok=True)
    return {name: statistics.median(seconds) for name, seconds in runs.items()}


# ---- memory of the processes ---------------------------------------------------------------


def process_tree(root: int) -> list[int]:
    """`root` and its descendants, from /proc/<pid>/task/*/children."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        for children in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):  # ended while we looked
                todo.extend(int(child) for child in children.read_text().split())
    return found


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def process_name(pid: int) -> str:
    if pid == os.getpid():
        return "bench client (this process)"
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return str(pid)
    tail = args[args.index("awardpath") :] if "awardpath" in args else args[:3]
    return " ".join(arg for arg in tail if arg)


@dataclass
class RssSampler:
    """The RSS of the service's process tree and of this process, every `SAMPLE_SECONDS` in a
    thread; the peak per process in each phase."""

    root: int
    phase: str = "before"
    peaks: dict[str, dict[int, int]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread = field(init=False)

    def sample(self) -> None:
        for pid in [*process_tree(self.root), os.getpid()]:
            if (kib := rss_kib(pid)) is None:
                continue
            self.names.setdefault(pid, process_name(pid))
            phase = self.peaks.setdefault(self.phase, {})
            phase[pid] = max(phase.get(pid, 0), kib)

    def start(self) -> None:
        self.sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.phase = "after"
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()


# ---- the upload ----------------------------------------------------------------------------


async def part_bytes(path: Path, start: int, length: int) -> AsyncIterator[bytes]:
    """A part's byte range of the file, read from disk as it is sent."""
    with path.open("rb") as source:
        source.seek(start)
        while length:
            chunk = source.read(min(SEND_CHUNK, length))
            if not chunk:
                raise RuntimeError("the file is shorter than its upload")
            length -= len(chunk)
            yield chunk


async def put_parts(path: Path, upload: dict[str, Any], parallel: int) -> None:
    targets = iter(upload["parts_to_send"])
    limits = httpx.Limits(max_connections=parallel, max_keepalive_connections=parallel)
    # No bearer token: the part's URL is the permission.
    async with httpx.AsyncClient(timeout=None, limits=limits) as store:

        async def sender() -> None:
            for target in targets:
                start = (target["number"] - 1) * upload["part_size"]
                response = await store.put(
                    target["url"],
                    content=part_bytes(path, start, target["size"]),
                    headers={"Content-Length": str(target["size"])},
                )
                response.raise_for_status()

        await asyncio.gather(*(sender() for _ in range(parallel)))


@dataclass
class Upload:
    seconds: dict[str, float]
    cpu: dict[str, tuple[float, float]]  # phase -> (services, client) CPU seconds
    file: dict[str, Any]


async def upload(system: RunningSystem, path: Path, size: int, sha256: str, parallel: int, rss: RssSampler) -> Upload:
    headers = {"Authorization": f"Bearer {system.token('platform', 'bench-platform')}"}
    meter = CpuMeter(system.pids)
    seconds, cpu = {}, {}
    async with httpx.AsyncClient(base_url=system.urls["submission"], headers=headers, timeout=None) as platform_api:

        async def phase(name: str, work: Any) -> Any:
            rss.phase = name
            services, client, started = meter.read().services, time.process_time(), time.perf_counter()
            result = await work
            seconds[name] = time.perf_counter() - started
            cpu[name] = (meter.read().services - services, time.process_time() - client)
            return result

        body = {"size": size, "sha256": sha256, "media_type": "video/mp4"}
        started = await phase("start", platform_api.post("/v1/uploads", json=body))
        started.raise_for_status()
        await phase("parts", put_parts(path, started.json(), parallel))
        completed = await phase("complete", platform_api.post(f"/v1/uploads/{started.json()['id']}/complete"))
        completed.raise_for_status()
    return Upload(seconds, cpu, completed.json())


def checked(file: dict[str, Any], size: int, sha256: str, storage: Path) -> list[str]:
    """What is not as written: the file's state, size, sha256, stored size; the teacher's name
    still in the stored copy's head."""
    wrong = [
        f"{key} is {file.get(key)!r}, not {want!r}"
        for key, want in (("state", "ready"), ("size", size), ("sha256", sha256), ("stored_size", size))
        if file.get(key) != want
    ]
    stored = storage / stored_key(file["id"])
    if not stored.is_file() or stored.stat().st_size != size:
        wrong.append(f"the stored copy at {stored} is missing or of another size")
    else:
        with stored.open("rb") as copy:
            if TEACHER.encode() in copy.read(64 * 1024):
                wrong.append("the stored copy still names the teacher")
    return wrong


# ---- the report ----------------------------------------------------------------------------


def rate(size: int, seconds: float) -> str:
    return f"{size / MIB / seconds:,.0f} MiB/s"


def report(size: int, args: argparse.Namespace, written: float, plain: dict[str, float], result: Upload) -> None:
    mib = size // MIB
    print(f"\n{mib} MiB video, {args.part_mib} MiB parts, {args.parallel} sent at once")
    print(f"(writing the test file: {written:.1f} s, {rate(size, written)}, urandom + sha256 + fsync)\n")
    print("| step | seconds | MiB/s | services CPU s | client CPU s |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds in plain.items():
        print(f"| plain (median of 3): {name} | {seconds:.2f} | {rate(size, seconds)} | - | - |")
    for name in ("start", "parts", "complete"):
        services, client = result.cpu[name]
        shown = rate(size, result.seconds[name]) if name != "start" else "-"
        print(f"| upload: {name} | {result.seconds[name]:.2f} | {shown} | {services:.2f} | {client:.2f} |")
    total = sum(result.seconds.values())
    services = sum(cpu[0] for cpu in result.cpu.values())
    client = sum(cpu[1] for cpu in result.cpu.values())
    print(f"| **upload: total** | {total:.2f} | **{rate(size, total)}** | {services:.2f} | {client:.2f} |")
    print(
        f"\nupload total / plain copy: {plain['copyfile'] / total:.2f} (copyfile), "
        f"{plain['copyfile + fsync'] / total:.2f} (copyfile + fsync); "
        f"parts phase / copy + fsync: {plain['copyfile + fsync'] / result.seconds['parts']:.2f}"
    )


def report_memory(rss: RssSampler) -> None:
    print("\n| process | RSS before, MiB | peak in parts phase | peak in complete phase | after |")
    print("|---|---:|---:|---:|---:|")
    for pid, name in rss.names.items():
        cells = [rss.peaks.get(phase, {}).get(pid) for phase in ("before", "parts", "complete", "after")]
        shown = " | ".join("-" if kib is None else f"{kib / 1024:.0f}" for kib in cells)
        print(f"| {name} (pid {pid}) | {shown} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nclient peak RSS over the whole run (getrusage): {peak:.0f} MiB")


async def run(args: argparse.Namespace, workdir: Path) -> int:
    size = args.size_mib * MIB
    path = workdir / "classroom-video.mp4"
    started = time.perf_counter()
    sha256 = write_video(path, size)
    written = time.perf_counter() - started
    plain = ceiling(path)
    part = args.part_mib * MIB
    extra = {"AWARDPATH_UPLOAD_PART_BYTES": str(part), "AWARDPATH_MAX_FILE_BYTES": str(max(size, 2 * 1024**3))}
    system = RunningSystem(f"sqlite+aiosqlite:///{workdir / 'awardpath.db'}", workdir / "awardpath.log", extra)
    try:
        system.start()
        rss = RssSampler(system.process.pid)
        rss.start()
        try:
            result = await upload(system, path, size, sha256, args.parallel, rss)
        finally:
            rss.stop()
        wrong = checked(result.file, size, sha256, Path(system.env["AWARDPATH_STORAGE_PATH"]))
    finally:
        system.stop()
    report(size, args, written, plain, result)
    report_memory(rss)
    print(f"\nverified: {'; '.join(wrong) if wrong else 'yes'} (size, sha256, stored_size, name gone from the copy)")
    return 1 if wrong else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024, help="the video's size (default 1024)")
    parser.add_argument("--part-mib", type=int, default=32, help="AWARDPATH_UPLOAD_PART_BYTES in MiB (default 32)")
    parser.add_argument("--parallel", type=int, default=4, help="parts sent at once (default 4)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"{platform.python_version()}, {os.cpu_count()} CPUs, load average {load:.1f}; {tempfile.gettempdir()}")
    with tempfile.TemporaryDirectory(prefix="awardpath-bench-uploads-") as workdir:
        status = asyncio.run(run(args, Path(workdir)))
    sys.exit(status)


if __name__ == "__main__":
    main()
