"""What a process costs, read from /proc: CPU seconds and resident memory."""

from __future__ import annotations

import os

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far: the scheduler's nanosecond count
    summed over its threads (``/proc/<pid>/task/*/schedstat``) where the kernel keeps
    it, else clock ticks (10 ms: a 15-second run at 1% CPU is only ~20 ticks)."""
    try:
        total = 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                continue  # a thread that ended meanwhile
        if total:
            return total / 1e9
    except OSError:
        pass
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _TICKS


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def machine() -> str:
    """A one-line description of this machine for the results."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024 // 1024
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), {mem} GiB RAM"


# The PostgreSQL processes that write the WAL and the data files for every database of
# the server (shared: other users of the server count in them too).
PG_SHARED = ("walwriter", "checkpointer", "background writer")


def postgres_role(title: str, database: str) -> str | None:
    """What a process titled ``title`` is to the bench: ``backend`` (PostgreSQL's
    ``postgres: CLUSTER: USER DATABASE HOST(PORT) STATE`` connected to ``database``),
    ``shared`` (the WAL writer, checkpointer or background writer) or ``None``."""
    if not title.startswith("postgres: "):
        return None
    words = title.split()
    for i, word in enumerate(words[3:], start=3):  # the client: ``HOST(PORT)``, ``[local]``
        if word == "[local]" or (word.endswith(")") and "(" in word):
            return "backend" if words[i - 1] == database else None
    if len(words) <= 4 and any(title.endswith(name) for name in PG_SHARED):
        return "shared"
    return None


def postgres_processes(database: str) -> tuple[list[int], list[int]]:
    """PostgreSQL's processes on this machine, from their titles (world-readable in
    ``/proc``): the backends connected to ``database``, and the shared ones
    (``PG_SHARED``). Both empty when PostgreSQL is on another machine."""
    found: dict[str, list[int]] = {"backend": [], "shared": []}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                title = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        role = postgres_role(title, database)
        if role is not None:
            found[role].append(int(entry))
    return found["backend"], found["shared"]


def cpu_of(pids: list[int]) -> dict[int, float]:
    """CPU seconds so far of each of ``pids`` that still runs."""
    out: dict[int, float] = {}
    for pid in pids:
        try:
            out[pid] = cpu_seconds(pid)
        except OSError:
            continue  # ended meanwhile
    return out
